"""``POST /zoho/notify``: Zoho's change callbacks, verified and stored by ``connector.notify``."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from connector.logsafe import clip
from connector.notify import NotificationRefused, receive_notification
from soap_bridge.gate import BodyRefusedError, read_capped

__all__ = ["notify", "NOTIFY_PATH"]

log = logging.getLogger(__name__)

NOTIFY_PATH = "/zoho/notify"

notify = Blueprint("zoho_notify", __name__)


@notify.post(NOTIFY_PATH)
def zoho_notify() -> Any:
    state = current_app.extensions["mlc"]
    try:
        body = read_capped(request.environ, state.settings.zoho_notify_max_bytes)
        receive_notification(state.db, body, now=state.qbwc.clock(),
                             source=request.remote_addr or "?")
    except BodyRefusedError as exc:
        log.warning("refused a Zoho notification from %s: %s", clip(request.remote_addr, 60),
                    exc)
        return jsonify(status="error", message=str(exc)), int(exc.status.split()[0])
    except NotificationRefused as exc:
        return jsonify(status="error", message=exc.message), exc.status
    return jsonify(status="ok")

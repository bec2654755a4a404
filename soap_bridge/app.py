"""Flask app factory: the QBWC SOAP endpoint at ``/qbwc``, ``GET /healthz`` and Zoho's
``POST /zoho/notify``.

The spyne WSGI application is mounted beside Flask with werkzeug's DispatcherMiddleware, behind
:class:`~soap_bridge.gate.SoapGate`. Everything an app needs hangs off the app itself
(``app.extensions["mlc"]``), never module globals, so tests can run several bridges at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from connector.config import Settings
from connector.qbwc.service import QbwcService
from connector.store import Database
from soap_bridge.notify import notify
from soap_bridge.service import soap_wsgi

__all__ = ["create_app", "BridgeState", "QBWC_PATH"]

log = logging.getLogger(__name__)

QBWC_PATH = "/qbwc"
Clock = Callable[[], datetime]

# Spyne logs whole request documents at DEBUG and unparsable ones at ERROR; an authenticate
# body holds the QBWC password, so these loggers never go below WARNING / are silenced.
_SPYNE_LOG_LEVELS = {
    "spyne": logging.WARNING,
    "spyne.protocol.xml.invalid": logging.CRITICAL + 1,
    "spyne.protocol.soap.soap11.invalid": logging.CRITICAL + 1,
}


@dataclass(frozen=True)
class BridgeState:
    settings: Settings
    db: Database
    qbwc: QbwcService


health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Any:
    state: BridgeState = current_app.extensions["mlc"]
    try:
        with state.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("health check: database unreachable (%s)", type(exc).__name__)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok", service=state.qbwc.server_version())


def _quiet_spyne() -> None:
    for name, level in _SPYNE_LOG_LEVELS.items():
        logging.getLogger(name).setLevel(level)


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
) -> Flask:
    """Build the bridge; ``db`` defaults to the settings' database (tables created).

    A closed QBWC session leaves a sync request in the store; the flows pick it up.
    """
    settings = settings or Settings()
    if db is None:
        db = Database(settings.resolved_database_url)
        db.create_all()
    _quiet_spyne()
    qbwc = QbwcService(db, settings, clock=clock)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["mlc"] = BridgeState(settings=settings, db=db, qbwc=qbwc)
    app.register_blueprint(health)
    app.register_blueprint(notify)
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {QBWC_PATH: soap_wsgi(qbwc, max_body_bytes=settings.max_body_bytes,
                                            max_call_bytes=settings.max_call_bytes)}
    )
    return app

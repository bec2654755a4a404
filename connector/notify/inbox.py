"""Zoho's callbacks, received: verified, reduced to ids, stored, acknowledged.

The endpoint must answer fast (Zoho gives up on a slow URL) and must not be a way in: the
channel must be one we opened and the token must match its stored hash (constant time), the
body is capped by the caller, and only ids are kept — the sync fetches the records itself.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlmodel import select

from connector.errors import ConnectorError
from connector.logsafe import clip
from connector.notify.channels import modules_of
from connector.notify.tokens import token_matches
from connector.store import Database, ZohoChannel, ZohoNotification

__all__ = ["OPERATIONS", "MAX_IDS_PER_CALLBACK", "NotificationRefused", "receive_notification"]

log = logging.getLogger(__name__)

OPERATIONS = frozenset({"insert", "update", "delete"})
# Zoho batches the ids of one bulk change into a callback; far more is not Zoho.
MAX_IDS_PER_CALLBACK = 5000


class NotificationRefused(ConnectorError):
    """A callback we will not store; ``status`` is the HTTP answer (400 or 403).

    ``reason`` is what the log says, which may be more than the caller is told."""

    def __init__(self, status: int, message: str, *, reason: str | None = None):
        super().__init__(message, code=status)
        self.status = status
        self.reason = reason or message


def _bad(message: str) -> NotificationRefused:
    return NotificationRefused(400, message)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise _bad("the body is not JSON") from None
    except RecursionError:
        # Zoho's callbacks nest three levels; json gives up (cleanly) long before the stack.
        raise _bad("the body nests too deeply to be a Zoho callback") from None
    if not isinstance(payload, dict):
        raise _bad("the body is not a JSON object")
    return payload


def _text(value: Any) -> str | None:
    """``value`` if it is text a database can store: JSON's ``\\ud800`` escapes give Python
    strings with lone surrogates, which no UTF-8 column (or hash) accepts."""
    if not isinstance(value, str):
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad("the body holds text that is not valid Unicode") from None
    return value


def _ids(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_IDS_PER_CALLBACK:
        raise _bad(f"ids must be a list of 1 to {MAX_IDS_PER_CALLBACK} record ids")
    ids = [str(i) for i in raw if isinstance(i, (str, int)) and not isinstance(i, bool)]
    if len(ids) != len(raw) or not all(i.isdigit() for i in ids):
        raise _bad("every id must be a Zoho record id (digits)")
    return ids


def _affected(raw: Any, ids: list[str]) -> dict[str, list[str]]:
    """``[{"<id>": ["Phone", ...]}, ...]`` -> {id: fields}; anything else is simply not kept."""
    wanted, out = set(ids), {}
    for entry in raw if isinstance(raw, list) else ():
        for record_id, fields in (entry.items() if isinstance(entry, dict) else ()):
            if str(record_id) in wanted and isinstance(fields, list):
                out[str(record_id)] = [f for f in map(_text, fields) if f is not None]
    return out


def _verified_channel(db: Database, payload: dict[str, Any]) -> ZohoChannel:
    raw_id, token = payload.get("channel_id"), _text(payload.get("token"))
    channel_id = str(raw_id) if isinstance(raw_id, int) else _text(raw_id) or ""
    with db.session() as s:
        row = s.exec(select(ZohoChannel).where(ZohoChannel.channel_id == channel_id)).first() \
            if channel_id else None
    # The token is checked even for an unknown channel, so both refusals take the same time.
    valid = token_matches(token or "", row.token_hash if row else None)
    if row is None or not valid:
        reason = "wrong token" if row is not None else "unknown channel"
        raise NotificationRefused(403, "not a channel of this connector",
                                  reason=f"{reason} (channel {clip(channel_id, 40)})")
    return row


def receive_notification(db: Database, body: bytes, *, now: datetime,
                         source: str = "?") -> ZohoNotification:
    """Verify and store one callback body; raises ``NotificationRefused`` (400/403), logged
    here in one line."""
    try:
        return _receive(db, body, now)
    except NotificationRefused as exc:
        log.warning("refused a Zoho notification from %s: %s", clip(source, 60),
                    clip(exc.reason, 200))
        raise


def _receive(db: Database, body: bytes, now: datetime) -> ZohoNotification:
    payload = _parse(body)
    channel = _verified_channel(db, payload)
    module, operation = payload.get("module"), payload.get("operation")
    if not isinstance(module, str) or module not in modules_of(channel.events):
        raise _bad(f"module {clip(module, 40)} is not watched by channel {channel.channel_id}")
    if operation not in OPERATIONS:
        raise _bad(f"unknown operation {clip(operation, 40)}")
    ids = _ids(payload.get("ids"))
    row = ZohoNotification(channel_id=channel.channel_id, module=module, operation=operation,
                           ids=ids, affected_fields=_affected(payload.get("affected_fields"), ids),
                           received_at=now)
    with db.session() as s:
        s.add(row)
    log.debug("Zoho notification: %s %s of %d record(s) on channel %s", module, operation,
              len(ids), channel.channel_id)
    return row

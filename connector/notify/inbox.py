"""Zoho's callbacks, received: verified, reduced to ids, stored, acknowledged.

The endpoint must answer fast (Zoho gives up on a slow URL) and must not be a way in: the
channel must be one we opened, still active (not replaced) and not expired, and the token
must match its stored hash (constant time); the body is capped by the caller, and only ids
are kept — the sync fetches the records itself. A callback that arrives again (a replay, or
Zoho retrying one we answered too slowly) is acknowledged and stored once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from connector.errors import ConnectorError
from connector.logsafe import clip
from connector.notify.channels import modules_of
from connector.notify.tokens import token_matches
from connector.store import Database, ZohoChannel, ZohoNotification

__all__ = ["OPERATIONS", "MAX_IDS_PER_CALLBACK", "NotificationRefused", "receive_notification",
           "release_key"]

log = logging.getLogger(__name__)

OPERATIONS = frozenset({"insert", "update", "delete"})
# Zoho batches the ids of one bulk change into a callback; far more is not Zoho.
MAX_IDS_PER_CALLBACK = 5000
# Zoho's record ids are 64-bit integers (19 digits today, e.g. 5725767000001000001); 20 digits
# hold any 64-bit value, signed or not. [0-9], not \d or str.isdigit: those also take "²" and
# other scripts' digits, which no Zoho id holds and which the sync would put in URLs.
RECORD_ID = re.compile(r"[0-9]{1,20}")


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


def _number(value: Any) -> str | None:
    """A JSON string, or an integer as its digits (Zoho writes ids either way); None for any
    other type. ``True`` is an int to Python, not a number to Zoho."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else None


def _ids(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_IDS_PER_CALLBACK:
        raise _bad(f"ids must be a list of 1 to {MAX_IDS_PER_CALLBACK} record ids")
    ids = [_number(i) or "" for i in raw]
    if not all(RECORD_ID.fullmatch(i) for i in ids):
        raise _bad("every id must be a Zoho record id (1 to 20 digits 0-9)")
    return ids


def _affected(raw: Any, ids: list[str]) -> dict[str, list[str]]:
    """``[{"<id>": ["Phone", ...]}, ...]`` -> {id: fields}; anything else is simply not kept."""
    wanted, out = set(ids), {}
    for entry in raw if isinstance(raw, list) else ():
        for record_id, fields in (entry.items() if isinstance(entry, dict) else ()):
            if str(record_id) in wanted and isinstance(fields, list):
                out[str(record_id)] = [f for f in map(_text, fields) if f is not None]
    return out


def _verified_channel(db: Database, payload: dict[str, Any], now: datetime) -> ZohoChannel:
    channel_id = _text(_number(payload.get("channel_id"))) or ""
    token = _text(payload.get("token"))
    with db.session() as s:
        row = s.exec(select(ZohoChannel).where(ZohoChannel.channel_id == channel_id)).first() \
            if channel_id else None
    # The token is checked even for an unknown channel, so both refusals take the same time.
    valid = token_matches(token or "", row.token_hash if row else None)
    reason = ("unknown channel" if row is None else "wrong token" if not valid
              else "replaced channel" if not (row.active or row.opening)
              # No grace after expiry: a lapsed channel is re-opened by renew_channels, which
              # then reads back every change since the lapse, so nothing is lost by refusing.
              else "expired channel" if row.expires_at <= now else None)
    if row is None or reason is not None:
        raise NotificationRefused(403, "not a channel of this connector",
                                  reason=f"{reason} (channel {clip(channel_id, 40)})")
    return row


def _dedupe_key(payload: dict[str, Any], channel: str, module: str, operation: str,
                ids: list[str], affected: dict[str, list[str]]) -> str:
    """The identity of one callback. With Zoho's ``server_time`` (or a ``digest``) it is the
    identity of one event, kept for good ("t:"); without, only an identical callback waiting
    unprocessed is a duplicate ("c:", released once processed), since the same record may
    change the same way again later. The fields Zoho says changed are part of it: a replay
    repeats them exactly, while two edits of one record in one millisecond must both count."""
    moment: list[str | int | None] = []
    for name in ("server_time", "digest"):
        value = payload.get(name)
        moment.append(_text(value) if isinstance(value, str) else value
                      if isinstance(value, int) and not isinstance(value, bool) else None)
    stamped = any(value is not None for value in moment)
    identity = json.dumps([channel, module, operation, sorted(ids),
                           {k: sorted(v) for k, v in sorted(affected.items())},
                           moment if stamped else None], separators=(",", ":"))
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()
    return f"{'t' if stamped else 'c'}:{digest}"


def release_key(note: ZohoNotification) -> None:
    """Called once a notification is processed: an unstamped one no longer blocks an
    identical later callback (a new change)."""
    if note.dedupe_key is not None and note.dedupe_key.startswith("c:"):
        note.dedupe_key = None


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
    channel = _verified_channel(db, payload, now)
    module, operation = payload.get("module"), payload.get("operation")
    if not isinstance(module, str) or module not in modules_of(channel.events):
        raise _bad(f"module {clip(module, 40)} is not watched by channel {channel.channel_id}")
    if not isinstance(operation, str) or operation not in OPERATIONS:
        raise _bad(f"unknown operation {clip(operation, 40)}; Zoho's are "
                   f"{', '.join(sorted(OPERATIONS))}")
    ids = _ids(payload.get("ids"))
    affected = _affected(payload.get("affected_fields"), ids)
    key = _dedupe_key(payload, channel.channel_id, module, operation, ids, affected)
    row = ZohoNotification(channel_id=channel.channel_id, module=module, operation=operation,
                           ids=ids, affected_fields=affected, received_at=now, dedupe_key=key)
    earlier = _stored(db, key)
    if earlier is None:
        try:
            with db.session() as s:
                s.add(row)
        except IntegrityError:
            earlier = _stored(db, key)  # the same callback, stored a moment ago by a twin
            if earlier is None:
                raise
    if earlier is not None:
        log.info("Zoho notification on channel %s already stored as #%s (a replay or a "
                 "retry); acknowledged, not stored again", channel.channel_id, earlier.id)
        return earlier
    log.debug("Zoho notification: %s %s of %d record(s) on channel %s", module, operation,
              len(ids), channel.channel_id)
    return row


def _stored(db: Database, key: str) -> ZohoNotification | None:
    with db.session() as s:
        return s.exec(select(ZohoNotification).where(ZohoNotification.dedupe_key == key)).first()

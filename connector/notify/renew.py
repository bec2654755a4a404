"""``renew_channels``: keep every notification channel alive, and lose nothing when one lapsed.

A channel expiring within the renewal window is renewed with PATCH (the token stays). A
channel Zoho no longer has, or one past its expiry, is opened again with a fresh token; then
Zoho is asked for every record changed or deleted since the lapse (minus an overlap), and
those ids are stored as notifications, so the sync sees what the channel missed. The lapse
stays recorded until that catch-up has finished, so a failed catch-up is retried next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.audit import AuditRecorder
from connector.config import Settings
from connector.errors import ConnectorError
from connector.notify.channels import active_channels, modules_of, subscribe
from connector.store import Database, ZohoChannel, ZohoNotification
from connector.store.rows import require_id, require_row
from connector.store.types import utcnow
from connector.zoho.client import ZohoClient
from connector.zoho.records import MAX_IDS

__all__ = ["renew_all", "catch_up"]

log = logging.getLogger(__name__)

CATCH_UP = "catch-up"
# Any field does: Zoho always returns the id, and the id is all a notification holds.
_ID_ONLY_FIELDS = ("Modified_Time",)


@dataclass(frozen=True)
class _Plan:
    lifetime: timedelta
    renew_within: timedelta
    overlap: timedelta


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for record_id in ids:
        batch.append(record_id)
        if len(batch) == MAX_IDS:
            yield batch
            batch = []
    if batch:
        yield batch


def catch_up(db: Database, client: ZohoClient, channel: ZohoChannel, since: datetime,
             now: datetime) -> int:
    """Store as notifications every record of the channel's modules changed since ``since``."""
    stored = 0
    for module in modules_of(channel.events):
        sources = (("update", (r["id"] for r in client.iter_records(
                       module, _ID_ONLY_FIELDS, modified_since=since))),
                   ("delete", (d["id"] for d in client.iter_deleted(module, modified_since=since))))
        for operation, ids in sources:
            for batch in _chunks(str(i) for i in ids):
                with db.session() as s:
                    s.add(ZohoNotification(channel_id=channel.channel_id, module=module,
                                           operation=operation, ids=batch, source=CATCH_UP,
                                           received_at=now))
                stored += len(batch)
    return stored


def _lapse_start(row: ZohoChannel, now: datetime) -> datetime:
    """When notifications stopped: the expiry, or (if Zoho dropped the channel early) the
    last moment we knew it was alive."""
    if row.expires_at <= now:
        return row.expires_at
    return row.renewed_at or row.created_at


def _mark(db: Database, channel_pk: int, **values: object) -> ZohoChannel:
    with db.session() as s:
        row = require_row(s, ZohoChannel, channel_pk)
        for key, value in values.items():
            setattr(row, key, value)
        return row


def _one(db: Database, client: ZohoClient, row: ZohoChannel, live: set[str], plan: _Plan,
         now: datetime, audit: AuditRecorder) -> None:
    pk = require_id(row)
    lapsed = row.channel_id not in live or row.expires_at <= now
    if lapsed:
        start = min(filter(None, (row.lapsed_at, _lapse_start(row, now))))
        row = _mark(db, pk, lapsed_at=start)
        subscribe(db, client, pk, now + plan.lifetime)
        row = _mark(db, pk, renewed_at=now)
        log.warning("Zoho channel %s had lapsed (since %s); opened again", row.channel_id,
                    start.isoformat(timespec="minutes"))
        audit.count("created")
        audit.event("channel_reopened", zoho_module="channel", zoho_id=row.channel_id)
    elif row.expires_at - now <= plan.renew_within:
        renewed = client.renew_notifications(row.channel_id, row.events, now + plan.lifetime)
        row = _mark(db, pk, expires_at=renewed.expires_at or now + plan.lifetime,
                    renewed_at=now)
        audit.count("updated")
        audit.event("channel_renewed", zoho_module="channel", zoho_id=row.channel_id)
    else:
        audit.count("unchanged")
    if row.lapsed_at is not None:
        found = catch_up(db, client, row, row.lapsed_at - plan.overlap, now)
        _mark(db, pk, lapsed_at=None, caught_up_at=now)
        audit.count("read", found)
        audit.event("channel_caught_up", zoho_module="channel", zoho_id=row.channel_id,
                    changed_fields=[f"{found} records"])


def renew_all(db: Database, client: ZohoClient, settings: Settings, audit: AuditRecorder, *,
              connection_id: int | None, clock: Callable[[], datetime] = utcnow) -> None:
    """Renew, re-open and catch up every active channel of the connection.

    A channel that fails is recorded and the others go on; when Zoho cannot even list the
    channels the error is raised (the run fails)."""
    plan = _Plan(settings.channel_lifetime, settings.channel_renew_within,
                 timedelta(minutes=settings.zoho_catchup_overlap_minutes))
    with db.session() as s:
        rows = active_channels(s, connection_id)
    live = {c.channel_id for c in client.notification_channels()} if rows else set()
    for row in rows:
        try:
            _one(db, client, row, live, plan, clock(), audit)
        except ConnectorError as exc:
            log.error("Zoho channel %s: %s", row.channel_id, exc)
            audit.count("failed")
            audit.event("channel_failed", zoho_module="channel", zoho_id=row.channel_id,
                        error_code=exc.code, error_message=exc.message)

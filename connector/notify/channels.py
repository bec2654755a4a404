"""Opening and listing the Zoho notification channels that feed the Zoho -> QuickBooks sync.

One channel per Zoho connection watches every module we map. ``watch`` opens a new one (and
then disables the one it replaces, so no change falls between them); ``renew_channels`` in
``connector.notify.renew`` keeps it alive.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from connector.errors import ConfigError
from connector.notify.tokens import hash_token, new_channel_id, new_token
from connector.store import Database, ZohoChannel
from connector.store.rows import require_id, require_row
from connector.zoho.client import ZohoClient

__all__ = ["WATCHED_MODULES", "ChannelStatus", "watch", "list_channels", "channel_status",
           "active_channels", "events_for", "modules_of", "subscribe"]

log = logging.getLogger(__name__)

# Invoices exist from Zoho's Professional edition up; the others in every edition.
WATCHED_MODULES: tuple[str, ...] = ("Accounts", "Contacts", "Deals", "Products", "Invoices")


@dataclass(frozen=True)
class ChannelStatus:
    channel_id: str
    modules: tuple[str, ...]
    notify_url: str
    expires_at: datetime
    state: str  # live | expiring | lapsed | catch-up pending | opening | replaced
    renewed_at: datetime | None


def events_for(modules: Sequence[str]) -> list[str]:
    return [f"{module}.all" for module in modules]


def modules_of(events: Sequence[str]) -> list[str]:
    return sorted({event.partition(".")[0] for event in events})


def subscribe(db: Database, client: ZohoClient, channel_pk: int, expires_at: datetime) -> None:
    """Open the stored channel at Zoho with a fresh token. The token's hash is committed
    first: Zoho may call back with the new token before its own answer reaches us."""
    token = new_token()
    with db.session() as s:
        row = require_row(s, ZohoChannel, channel_pk)
        row.token_hash = hash_token(token)
        channel_id, events, url = row.channel_id, list(row.events), row.notify_url
    channel = client.enable_notifications(channel_id, events, notify_url=url, token=token,
                                          expires_at=expires_at)
    with db.session() as s:
        row = require_row(s, ZohoChannel, channel_pk)
        row.expires_at = channel.expires_at or expires_at


def watch(db: Database, client: ZohoClient, *, notify_url: str, connection_id: int | None,
          now: datetime, lifetime: timedelta,
          modules: Sequence[str] | None = None) -> ZohoChannel:
    """Open a channel for every mapped module the org has, replacing the connection's old one."""
    parts = urlsplit(notify_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"the notify URL {notify_url!r} must be an http(s) URL Zoho can reach, "
                          "like https://bridge.example.com/zoho/notify")
    present = client.module_names()
    wanted = [m for m in (modules or WATCHED_MODULES) if m in present]
    if not wanted:
        raise ConfigError(f"the Zoho org has none of the modules "
                          f"{list(modules or WATCHED_MODULES)}", code="NO_MODULES")
    row = ZohoChannel(channel_id=new_channel_id(), connection_id=connection_id,
                      events=events_for(wanted), notify_url=notify_url, token_hash="",
                      expires_at=now + lifetime, created_at=now, active=False, opening=True)
    with db.session() as s:
        s.add(row)
    pk = require_id(row)
    try:
        subscribe(db, client, pk, now + lifetime)
    except BaseException:
        with db.session() as s:
            s.delete(require_row(s, ZohoChannel, pk))
        raise
    with db.session() as s:
        old = active_channels(s, connection_id)
        for previous in old:
            previous.active = False
        fresh = require_row(s, ZohoChannel, pk)
        fresh.active, fresh.opening = True, False
        row = fresh
        old_ids = [p.channel_id for p in old]
    if old_ids:
        # After the new channel is live, so changes made meanwhile reach one or the other.
        client.disable_notifications(old_ids)
        log.info("Zoho channels %s replaced by %s", ", ".join(old_ids), row.channel_id)
    log.info("Zoho channel %s opened for %s until %s", row.channel_id, ", ".join(wanted),
             row.expires_at.isoformat(timespec="minutes"))
    return row


def active_channels(s: Session, connection_id: int | None) -> list[ZohoChannel]:
    query = select(ZohoChannel).where(col(ZohoChannel.active).is_(True))
    if connection_id is not None:
        query = query.where(ZohoChannel.connection_id == connection_id)
    return list(s.exec(query.order_by(col(ZohoChannel.id))).all())


def channel_status(row: ZohoChannel, now: datetime, renew_within: timedelta) -> ChannelStatus:
    if row.opening:
        state = "opening"
    elif not row.active:
        state = "replaced"
    elif row.lapsed_at is not None:
        state = "catch-up pending"
    elif row.expires_at <= now:
        state = "lapsed"
    elif row.expires_at - now <= renew_within:
        state = "expiring"
    else:
        state = "live"
    return ChannelStatus(row.channel_id, tuple(modules_of(row.events)), row.notify_url,
                         row.expires_at, state, row.renewed_at)


def list_channels(db: Database, *, now: datetime, renew_within: timedelta,
                  include_replaced: bool = False) -> list[ChannelStatus]:
    with db.session() as s:
        query = select(ZohoChannel).order_by(col(ZohoChannel.id))
        if not include_replaced:
            query = query.where(col(ZohoChannel.active).is_(True))
        rows = s.exec(query).all()
    return [channel_status(row, now, renew_within) for row in rows]

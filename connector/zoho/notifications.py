"""Change notifications (``/actions/watch``): enable, list, renew by PATCH, disable.

Zoho silently shortens a channel to one hour when ``channel_expiry`` is missing or beyond its
maximum (one week), and silently drops a ``token`` longer than 50 characters; both would make
a channel lapse or fail verification without a word, so both are refused here up front.
Callbacks carry only ids, the operation, the channel id (a string) and our token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from connector.errors import FatalError
from connector.zoho.base import ApiBase, as_dict

__all__ = ["MAX_CHANNEL_LIFETIME", "MAX_TOKEN_LENGTH", "NOTIFY_ON_RELATED_ACTION", "Channel",
           "NotificationsApi"]

MAX_CHANNEL_LIFETIME = timedelta(days=7)
MAX_TOKEN_LENGTH = 50
# Zoho's default (true) also calls back when a *related* record changes (the Account of an
# edited Contact, BRIEF §3.2 after Kaizen #170). We map each record from its own fields and
# watch every module we map, so those callbacks are only noise that costs a read each: off,
# and said on every enable and renew so a channel never falls back to the default.
NOTIFY_ON_RELATED_ACTION = False


@dataclass(frozen=True)
class Channel:
    channel_id: str
    events: tuple[str, ...]
    expires_at: datetime | None
    notify_url: str | None = None
    token: str | None = field(default=None, repr=False)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _check_expiry(expires_at: datetime, now: datetime) -> str:
    if expires_at.tzinfo is None:
        raise ValueError("channel expiry needs a timezone-aware datetime")
    if expires_at <= now:
        raise ValueError(f"channel expiry {expires_at.isoformat()} is in the past")
    if expires_at - now > MAX_CHANNEL_LIFETIME:
        raise ValueError("Zoho keeps a channel at most one week; a later expiry would silently "
                         "become one hour, so pick one within a week")
    return expires_at.isoformat(timespec="seconds")


def _check_channel_id(channel_id: str | int) -> str:
    text = str(channel_id)
    if not text.isdigit():
        raise ValueError(f"a Zoho channel id is a number, not {channel_id!r}")
    return text


def _channels(items: list[dict[str, Any]]) -> list[Channel]:
    """Zoho lists a channel once per module it watches; merge them into one Channel."""
    merged: dict[str, Channel] = {}
    for item in items:
        cid = str(item.get("channel_id", ""))
        events = tuple(str(e) for e in item.get("events") or ())
        prev = merged.get(cid)
        merged[cid] = Channel(
            channel_id=cid,
            events=(prev.events if prev else ()) + tuple(e for e in events
                                                         if not prev or e not in prev.events),
            expires_at=_when(item.get("channel_expiry")) or (prev.expires_at if prev else None),
            notify_url=item.get("notify_url") or (prev.notify_url if prev else None),
            token=item.get("token") or (prev.token if prev else None),
        )
    return list(merged.values())


def _subscribed(items: list[dict[str, Any]], what: str, channel_id: str,
                events: Sequence[str], notify_url: str | None = None) -> Channel:
    """The channel as Zoho acknowledged it; any refused item is fatal (it is configuration)."""
    expiries: list[datetime] = []
    for item in items:
        if str(item.get("status", "")).lower() != "success":
            raise FatalError(f"Zoho refused to {what} notifications: "
                             f"{item.get('message') or item.get('code')}",
                             code=str(item.get("code") or "NOTIFICATION_REFUSED"),
                             details=item.get("details"))
        details = as_dict(item.get("details"))
        expiries.extend(w for ev in details.get("events") or ()
                        if (w := _when(ev.get("channel_expiry"))) is not None)
    if not items:
        raise FatalError(f"Zoho gave no answer to the request to {what} notifications",
                         code="NO_RESULT")
    # The earliest expiry Zoho reports is the one that matters for renewal.
    return Channel(channel_id, tuple(events), min(expiries) if expiries else None, notify_url)


class NotificationsApi(ApiBase):
    """Notification calls of ``ZohoClient``."""

    def enable_notifications(self, channel_id: str | int, events: Sequence[str], *,
                             notify_url: str, token: str, expires_at: datetime) -> Channel:
        """Watch ``events`` (e.g. ``"Accounts.all"``); Zoho POSTs ids to ``notify_url``."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError(f"the channel token may hold at most {MAX_TOKEN_LENGTH} characters")
        if urlsplit(notify_url).scheme not in ("http", "https"):
            raise ValueError(f"notify URL {notify_url!r} is not an http(s) URL")
        cid = _check_channel_id(channel_id)
        watch = {"channel_id": cid, "events": list(events), "notify_url": notify_url,
                 "token": token, "channel_expiry": _check_expiry(expires_at, self.clock()),
                 "notify_on_related_action": NOTIFY_ON_RELATED_ACTION}
        reply = self.call("POST", "/actions/watch", body={"watch": [watch]})
        return _subscribed(reply.items("watch"), "enable", cid, events, notify_url)

    def notification_channels(self, channel_id: str | int | None = None) -> list[Channel]:
        params: dict[str, Any] = {"page": 1, "per_page": 200}
        if channel_id is not None:
            params["channel_id"] = _check_channel_id(channel_id)
        items: list[dict[str, Any]] = []
        while True:
            reply = self.call("GET", "/actions/watch", params=params)
            items.extend(reply.items("watch"))
            if reply.status == 204 or not reply.info().get("more_records"):
                return _channels(items)
            params = params | {"page": int(params["page"]) + 1}

    def renew_notifications(self, channel_id: str | int, events: Sequence[str],
                            expires_at: datetime) -> Channel:
        """Move a live channel's expiry (PATCH touches only what is sent)."""
        cid = _check_channel_id(channel_id)
        watch = {"channel_id": cid, "events": list(events),
                 "channel_expiry": _check_expiry(expires_at, self.clock()),
                 "notify_on_related_action": NOTIFY_ON_RELATED_ACTION}
        reply = self.call("PATCH", "/actions/watch", body={"watch": [watch]})
        return _subscribed(reply.items("watch"), "renew", cid, events)

    def disable_notifications(self, channel_ids: Sequence[str | int]) -> None:
        ids = ",".join(_check_channel_id(c) for c in channel_ids)
        reply = self.call("DELETE", "/actions/watch", params={"channel_ids": ids})
        # A channel Zoho no longer has is already what we asked for.
        refused = [i for i in reply.items("watch")
                   if str(i.get("status", "")).lower() != "success"
                   and i.get("code") != "NOT_SUBSCRIBED"]
        if refused:
            raise FatalError(f"Zoho refused to disable notifications: "
                             f"{refused[0].get('message') or refused[0].get('code')}",
                             code=str(refused[0].get("code") or "NOTIFICATION_REFUSED"),
                             details=refused[0].get("details"))

"""Notification channels (``/actions/watch``) and the callback dispatcher.

Every create, edit or delete — through the API, the admin API or the Python helpers, so
our own writes echo back too — is matched against the live channels and queued; a worker
thread POSTs the callbacks, so the API call that caused them never waits. Callbacks carry
only ids, the operation, ``channel_id`` (a string) and the channel's ``token``. A channel
past its ``channel_expiry`` stops firing and disappears from ``GET /actions/watch``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from connector.sandbox.zoho.store import ChangeEvent, iso
from connector.tls import tls_context

__all__ = ["Channel", "Notifier", "Delivery", "OPERATION_EVENTS", "MAX_EXPIRY", "DEFAULT_EXPIRY"]

log = logging.getLogger(__name__)

# Event suffixes in ``events`` ("Accounts.create") for the operations callbacks report.
OPERATION_EVENTS = {"insert": "create", "update": "edit", "delete": "delete"}
MAX_EXPIRY = timedelta(weeks=1)
DEFAULT_EXPIRY = timedelta(hours=1)


@dataclass
class Channel:
    channel_id: str
    events: list[str]
    notify_url: str
    token: str | None
    expiry: datetime
    return_affected_field_values: bool = False
    resource_id: str = ""
    # Zoho's default is true (BRIEF §3.2); the simulator records the choice but sends no
    # callbacks for related records either way (not modelled).
    notify_on_related_action: bool = True

    def wants(self, module: str, operation: str) -> bool:
        return (f"{module}.all" in self.events
                or f"{module}.{OPERATION_EVENTS[operation]}" in self.events)

    def describe(self, api_base: str, module_ids: dict[str, str]) -> dict[str, Any]:
        modules = sorted({e.split(".")[0] for e in self.events})
        return {
            "channel_id": self.channel_id,
            "events": list(self.events),
            "notify_url": self.notify_url,
            "token": self.token,
            "channel_expiry": iso(self.expiry),
            "return_affected_field_values": self.return_affected_field_values,
            "notify_on_related_action": self.notify_on_related_action,
            "resource_name": modules[0] if len(modules) == 1 else None,
            "resource_id": module_ids.get(modules[0], "") if modules else "",
            "resource_uri": f"{api_base}/crm/v8/{modules[0]}" if modules else None,
        }


@dataclass(frozen=True)
class Delivery:
    url: str
    payload: dict[str, Any]
    status: int | None
    error: str | None


class Notifier:
    def __init__(self, clock: Callable[[], datetime], api_base: Callable[[], str],
                 transport: httpx.BaseTransport | None = None):
        self.clock = clock
        self.api_base = api_base
        self.transport = transport
        self.lock = threading.Lock()
        self.channels: dict[str, Channel] = {}
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._worker: threading.Thread | None = None

    def live(self) -> list[Channel]:
        """Channels still within their expiry; lapsed ones are forgotten, as Zoho does."""
        with self.lock:
            now = self.clock()
            for cid in [c.channel_id for c in self.channels.values() if c.expiry <= now]:
                del self.channels[cid]
            return list(self.channels.values())

    def lapse(self) -> None:
        """Every channel reaches its expiry now: what a connector that missed its renewals
        finds (Zoho then forgets the channel and sends nothing)."""
        with self.lock:
            now = self.clock()
            for channel in self.channels.values():
                channel.expiry = min(channel.expiry, now)

    def publish(self, event: ChangeEvent) -> None:
        for channel in self.live():
            if channel.wants(event.module, event.operation):
                self._enqueue(channel.notify_url, self._payload(channel, event))

    def _payload(self, channel: Channel, event: ChangeEvent) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "server_time": int(self.clock().timestamp() * 1000),
            "query_params": dict(parse_qsl(urlsplit(channel.notify_url).query)),
            "module": event.module,
            "resource_uri": f"{self.api_base()}/crm/v8/{event.module}",
            "ids": list(event.ids),
            "affected_fields": [{rid: fields} for rid, fields in event.affected.items()],
            "operation": event.operation,
            "channel_id": channel.channel_id,
            "token": channel.token,
        }
        if channel.return_affected_field_values and event.operation == "update":
            payload["affected_values"] = [
                {"record_id": rid, "values": {f: event.values.get(rid, {}).get(f)
                                              for f in fields}}
                for rid, fields in event.affected.items()]
        return payload

    def _enqueue(self, url: str, payload: dict[str, Any]) -> None:
        with self._idle:
            self._pending += 1
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="zoho-sim-notify",
                                                daemon=True)
                self._worker.start()
        self._queue.put((url, payload))

    def _run(self) -> None:
        with httpx.Client(transport=self.transport, timeout=5.0, verify=tls_context()) as client:
            while (item := self._queue.get()) is not None:
                url, payload = item
                try:
                    status: int | None = client.post(url, json=payload).status_code
                    error = None
                except httpx.HTTPError as exc:
                    status, error = None, f"{type(exc).__name__}: {exc}"
                    log.warning("zoho sim: callback to %s failed: %s", url, error)
                with self.lock:
                    self.deliveries.append(Delivery(url, payload, status, error))
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every queued callback has been attempted; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            self._queue.put(None)
            self._worker.join(timeout=5)

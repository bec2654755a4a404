"""One simulated org: its store, accounts server state, limits, faults, channels, call log."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from connector.sandbox.zoho.api import Router
from connector.sandbox.zoho.http import IN_PROCESS_API
from connector.sandbox.zoho.limits import CallLog, Faults, Limiter
from connector.sandbox.zoho.notify import Notifier
from connector.sandbox.zoho.oauth import Accounts
from connector.sandbox.zoho.profiles import OrgProfile
from connector.sandbox.zoho.routes import ROUTES
from connector.sandbox.zoho.schema import EDITIONS, INVENTORY_MODULES, MODULE_DEFS, Edition
from connector.sandbox.zoho.store import ChangeEvent, Store

__all__ = ["Core", "PageTokens", "PageCursor"]

PAGE_TOKEN_TTL = timedelta(days=1)


@dataclass
class PageCursor:
    module: str
    sort_by: str
    sort_order: str
    since: datetime | None
    after: tuple[Any, ...]
    expires: datetime


class PageTokens:
    """Opaque ``page_token`` values: a server-side cursor valid for a day."""

    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock
        self._lock = threading.Lock()
        self._cursors: dict[str, PageCursor] = {}

    def issue(self, module: str, sort_by: str, sort_order: str, since: datetime | None,
              after: tuple[Any, ...]) -> tuple[str, datetime]:
        token = secrets.token_hex(24)
        expires = self.clock() + PAGE_TOKEN_TTL
        with self._lock:
            self._cursors[token] = PageCursor(module, sort_by, sort_order, since, after, expires)
        return token, expires

    def resolve(self, token: str) -> PageCursor | None:
        with self._lock:
            cursor = self._cursors.get(token)
        return cursor if cursor and cursor.expires > self.clock() else None


class Core:
    def __init__(self, *, dc: str, edition: str, clock: Callable[[], datetime],
                 concurrency_limit: int | None, sub_concurrency_limit: int,
                 daily_credits: int | None, latency: float, org_name: str,
                 modules: Iterable[str], users: int, currency: str, multi_currency: bool,
                 search_lag: float, notify_transport: httpx.BaseTransport | None,
                 profile: OrgProfile):
        if edition not in EDITIONS:
            raise ValueError(f"unknown Zoho CRM edition {edition!r}; one of {sorted(EDITIONS)}")
        unknown = [m for m in modules if m not in MODULE_DEFS]
        if unknown:
            raise ValueError(f"the simulator does not model modules {unknown}")
        self.dc = dc
        self.profile = profile
        self.edition: Edition = EDITIONS[edition]
        self.clock = clock
        self.org_name = org_name
        self.users = users
        self.currency = currency
        self.multi_currency = multi_currency
        self.latency = latency
        self.served_api_url: str | None = None
        self.served_accounts_url: str | None = None
        self.router = Router(ROUTES)
        # Quotes/Sales Orders/Invoices exist from Professional up; Standard simply lacks them.
        present = [m for m in modules if m not in INVENTORY_MODULES or self.edition.inventory]
        self.store = Store(clock=clock, modules=present, multi_currency=multi_currency,
                           search_lag=search_lag, profile=profile)
        self.org_id = self.store.new_id()
        self.accounts: Accounts = Accounts(clock, dc, org_id=lambda: self.org_id)
        self.limiter = Limiter(clock, concurrency_limit or self.edition.concurrency,
                               sub_concurrency_limit,
                               daily_credits if daily_credits is not None else self._credits())
        self.faults: Faults = Faults()
        self.calls = CallLog()
        # Every COQL query the org answered, in order (tests check what was asked, and how
        # often).
        self.queries: list[str] = []
        self.page_tokens = PageTokens(clock)
        self.notifier = Notifier(clock, self.api_base, notify_transport)
        self.workflow_runs: list[tuple[str, str, str]] = []
        self._workflow_lock = threading.Lock()

    def _credits(self) -> int | None:
        e = self.edition
        allowed = e.base_credits + self.users * e.credits_per_user
        return allowed if e.max_credits is None else min(allowed, e.max_credits)

    def api_base(self) -> str:
        return self.served_api_url or IN_PROCESS_API

    def emit(self, events: list[ChangeEvent]) -> None:
        """Fan a write out to notification channels and (when triggers allow) workflows."""
        for event in events:
            self.notifier.publish(event)
            if "workflow" in event.triggers:
                with self._workflow_lock:
                    self.workflow_runs.extend((event.module, event.operation, i)
                                              for i in event.ids)

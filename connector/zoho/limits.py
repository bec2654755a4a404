"""Staying inside Zoho's limits instead of bumping into them.

Zoho answers 429 when an org runs more calls at once than its edition allows (concurrency),
more than 10 "heavy" calls at once (sub-concurrency: upserts of more than 10 records, COQL,
composite requests), or has spent its daily credits. The limiter keeps our own calls under
the first two, so the only 429s we ever see come from other integrations on the same org; the
credit meter stops us, with a clear message, before our share of the day's credits runs out.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Update, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from connector.store import Database, ZohoCreditUsage
from connector.store.types import utcnow
from connector.zoho.errors import CreditBudgetExceeded

__all__ = [
    "Cost", "EDITIONS", "Edition", "SUB_CONCURRENCY", "ConcurrencyLimiter", "CreditMeter",
    "UnmeteredCredits", "StoredCreditMeter", "COMPOSITE", "coql_cost", "edition",
    "write_cost",
    "credit_usage", "READ", "DELETED_READ",
]

# Zoho counts at most this many heavy calls at once, whatever the edition.
SUB_CONCURRENCY = 10


@dataclass(frozen=True, slots=True)
class Edition:
    key: str
    name: str
    concurrency: int
    has_invoices: bool


EDITIONS: dict[str, Edition] = {
    e.key: e
    for e in (
        Edition("free", "Free", 5, False),
        Edition("standard", "Standard", 10, False),
        Edition("professional", "Professional", 15, True),
        Edition("enterprise", "Enterprise", 20, True),
        Edition("ultimate", "Ultimate", 25, True),
    )
}
_EDITION_ALIASES = {"starter": "standard", "zohoone": "enterprise", "zoho_one": "enterprise",
                    "crmplus": "ultimate", "crm_plus": "ultimate"}


def edition(name: str | None) -> Edition:
    """The edition's limits; an unknown name gets the Free edition's, the safe side."""
    key = (name or "free").strip().lower().replace(" ", "")
    return EDITIONS.get(_EDITION_ALIASES.get(key, key), EDITIONS["free"])


@dataclass(frozen=True, slots=True)
class Cost:
    """What one call spends: credits, and whether it counts against sub-concurrency."""

    credits: int = 1
    heavy: bool = False


READ = Cost()
DELETED_READ = Cost(credits=2)
# COQL is charged by the LIMIT asked for, not by the rows returned.
_COQL_TIERS = ((200, 1), (1000, 2), (2000, 3))


def write_cost(n_records: int) -> Cost:
    """Insert/update/upsert: one credit per started 10 records; more than 10 is heavy."""
    return Cost(credits=max(1, math.ceil(n_records / 10)), heavy=n_records > 10)


def coql_cost(limit: int) -> Cost:
    credits = next((c for top, c in _COQL_TIERS if limit <= top), _COQL_TIERS[-1][1])
    return Cost(credits=credits, heavy=True)


# A composite request of up to five calls costs one credit ("consuming just one credit per
# composite call": Zoho's v8 Composite API overview) and is heavy whatever it bundles: Zoho
# lists Composite among the calls capped at ten at once (Kaizen #93 and #203).
COMPOSITE = Cost(credits=1, heavy=True)


class ConcurrencyLimiter:
    """Bounds calls in flight; heavy calls also take one of the sub-concurrency slots."""

    def __init__(self, concurrency: int, sub_concurrency: int = SUB_CONCURRENCY):
        if concurrency < 1 or sub_concurrency < 1:
            raise ValueError("concurrency limits must be at least 1")
        self.concurrency = concurrency
        self.sub_concurrency = min(sub_concurrency, concurrency)
        self._all = threading.BoundedSemaphore(concurrency)
        self._heavy = threading.BoundedSemaphore(self.sub_concurrency)
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    @contextmanager
    def slot(self, heavy: bool = False) -> Iterator[None]:
        # Always heavy-then-all, in one order, so two waiters can never hold each other's slot.
        if heavy:
            self._heavy.acquire()
        self._all.acquire()
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
            self._all.release()
            if heavy:
                self._heavy.release()


class CreditMeter:
    """Charges credits before each call; raises CreditBudgetExceeded instead of overspending."""

    def charge(self, credits: int) -> None:
        raise NotImplementedError

    def release(self) -> None:
        """Give back credits reserved but not spent (called when the client closes)."""


class UnmeteredCredits(CreditMeter):
    """No budget: for one-off calls (connect) where no connection row exists yet."""

    def charge(self, credits: int) -> None:
        return None


def _ensure_row(db: Database, connection_id: int, day: date) -> None:
    try:
        with db.session() as s:
            if s.get(ZohoCreditUsage, (connection_id, day)) is None:
                s.add(ZohoCreditUsage(connection_id=connection_id, day=day))
    except IntegrityError:
        pass  # another process created today's row first; that is all we wanted


def credit_usage(db: Database, connection_id: int, day: date) -> int:
    with db.session() as s:
        row = s.get(ZohoCreditUsage, (connection_id, day))
        return row.credits if row else 0


class StoredCreditMeter(CreditMeter):
    """Daily credits per connection in ``ZohoCreditUsage``, shared by every process.

    Credits are reserved from the database in blocks so a busy client writes once per block,
    not once per call; unspent reservations go back on ``release``. Days are UTC days, while
    Zoho's window rolls over 24 hours, so the budget should leave the org some headroom.
    """

    def __init__(self, db: Database, connection_id: int, budget: int, *,
                 clock: Callable[[], datetime] = utcnow, block: int = 100):
        self.db = db
        self.connection_id = connection_id
        self.budget = budget
        self.block = block
        self._clock = clock
        self._lock = threading.Lock()
        self._day: date | None = None
        self._reserved = 0
        self._calls = 0

    def _today(self) -> date:
        today = self._clock().date()
        if today != self._day:
            self._day, self._reserved = today, 0
            _ensure_row(self.db, self.connection_id, today)
        return today

    def _usage_row(self, day: date) -> Update:
        return (update(ZohoCreditUsage)
                .where(col(ZohoCreditUsage.connection_id) == self.connection_id)
                .where(col(ZohoCreditUsage.day) == day))

    def _reserve(self, day: date, credits: int) -> bool:
        stmt = (self._usage_row(day)
                .where(col(ZohoCreditUsage.credits) + credits <= self.budget)
                .values(credits=col(ZohoCreditUsage.credits) + credits,
                        calls=col(ZohoCreditUsage.calls) + self._calls))
        with self.db.engine.begin() as conn:
            done = conn.execute(stmt).rowcount == 1
        if done:
            self._reserved += credits
            self._calls = 0
        return done

    def charge(self, credits: int) -> None:
        with self._lock:
            day = self._today()
            self._calls += 1
            if self._reserved < credits:
                need = credits - self._reserved
                if not (self._reserve(day, max(need, self.block)) or self._reserve(day, need)):
                    self._calls -= 1
                    used = credit_usage(self.db, self.connection_id, day)
                    raise CreditBudgetExceeded(
                        f"ml-connector has used {used:,} of its {self.budget:,} Zoho API credits "
                        f"for {day.isoformat()} (UTC) and the next call needs {credits}; it "
                        "stops here so the org keeps credits for its other users. Raise "
                        "MLC_ZOHO_DAILY_CREDIT_BUDGET if the org's allowance has room.",
                        code="CREDIT_BUDGET", details={"used": used, "budget": self.budget},
                    )
            self._reserved -= credits

    def release(self) -> None:
        with self._lock:
            if self._day is None or (self._reserved == 0 and self._calls == 0):
                return
            stmt = self._usage_row(self._day).values(
                credits=col(ZohoCreditUsage.credits) - self._reserved,
                calls=col(ZohoCreditUsage.calls) + self._calls)
            with self.db.engine.begin() as conn:
                conn.execute(stmt)
            self._reserved = self._calls = 0

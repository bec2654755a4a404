"""Zoho's limits and our injected faults: concurrency, sub-concurrency, daily credits.

Concurrency counts calls that are being processed right now (latency included); a call
arriving above the limit is refused at once with 429 TOO_MANY_REQUESTS and no Retry-After,
as Zoho does. Credits are a rolling 24-hour window by the simulator's clock.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connector.sandbox.zoho.errors import ApiError

__all__ = ["Limiter", "Faults", "Fault", "CallLog", "credits_for_records", "coql_credits"]

_WINDOW = timedelta(hours=24)


def credits_for_records(count: int) -> int:
    """Insert/update/upsert cost one credit per ten records (at least one)."""
    return max(1, -(-count // 10))


def coql_credits(limit: int) -> int:
    """COQL costs grow with the LIMIT asked for: ≤200 → 1, ≤1000 → 2, else 3."""
    return 1 if limit <= 200 else 2 if limit <= 1000 else 3


class Limiter:
    def __init__(self, clock: Callable[[], datetime], concurrency: int, sub_concurrency: int,
                 daily_credits: int | None):
        self._lock = threading.Lock()
        self.clock = clock
        self.concurrency = concurrency
        self.sub_concurrency = sub_concurrency
        self.daily_credits = daily_credits
        self.in_flight = 0
        self.sub_in_flight = 0
        self.max_in_flight_seen = 0
        self.max_sub_in_flight_seen = 0
        self.count_429 = 0
        self._spent: deque[tuple[datetime, int]] = deque()
        # The sum of ``_spent``, kept as calls come and go: summing the window on every call
        # made a large org's load quadratic (a 150,000-record first load charges ~200,000).
        self._spent_total = 0

    def _refuse(self, message: str, details: dict[str, int]) -> ApiError:
        self.count_429 += 1
        return ApiError(429, "TOO_MANY_REQUESTS", message, details)

    @contextmanager
    def slot(self, heavy: bool) -> Iterator[None]:
        with self._lock:
            if self.in_flight >= self.concurrency:
                raise self._refuse("The concurrency limit of the org has been exceeded.",
                                   {"limit": self.concurrency})
            if heavy and self.sub_in_flight >= self.sub_concurrency:
                raise self._refuse("The sub-concurrency limit of this API has been exceeded.",
                                   {"limit": self.sub_concurrency})
            self.in_flight += 1
            self.max_in_flight_seen = max(self.max_in_flight_seen, self.in_flight)
            if heavy:
                self.sub_in_flight += 1
                self.max_sub_in_flight_seen = max(self.max_sub_in_flight_seen,
                                                  self.sub_in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
                if heavy:
                    self.sub_in_flight -= 1

    def _used(self) -> int:
        horizon = self.clock() - _WINDOW
        while self._spent and self._spent[0][0] <= horizon:
            self._spent_total -= self._spent.popleft()[1]
        return self._spent_total

    def charge(self, cost: int) -> None:
        with self._lock:
            if self.daily_credits is not None and self._used() + cost > self.daily_credits:
                raise self._refuse("The API credits of the org for the last 24 hours are used up.",
                                   {"limit": self.daily_credits})
            self._spent.append((self.clock(), cost))
            self._spent_total += cost

    @property
    def credits_used(self) -> int:
        with self._lock:
            return self._used()

    @property
    def credits_remaining(self) -> int | None:
        if self.daily_credits is None:
            return None
        return max(0, self.daily_credits - self.credits_used)


@dataclass
class Fault:
    # "fail" answers ``status`` without doing the work; "timeout" delays the answer;
    # "expire" expires every access token just before the call is checked (API calls only);
    # "revoke" revokes every refresh token as well (the user disconnected the app).
    kind: str
    remaining: int
    status: int = 500
    seconds: float = 0.0
    path_contains: str | None = None
    retry_after: int | None = None  # a 429's Retry-After header, in seconds
    after: int = 0  # matching calls let through before this fault starts


@dataclass
class Storm:
    """Random faults on a share of the calls, from a seeded generator (chaos tests)."""

    rate: float
    rng: random.Random
    statuses: tuple[int, ...] = (500, 502, 503, 504, 429)
    timeout_seconds: float = 0.0
    expire_share: float = 0.1
    injected: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, path, status)

    def roll(self, path: str) -> Fault | None:
        if self.rng.random() >= self.rate:
            return None
        pick = self.rng.random()
        if path.startswith("/crm/") and pick < self.expire_share:
            fault = Fault("expire", 1, status=401)
        elif self.timeout_seconds and pick < 0.3:
            fault = Fault("timeout", 1, seconds=self.timeout_seconds)
        else:
            status = self.rng.choice(self.statuses)
            fault = Fault("fail", 1, status=status, retry_after=1 if status == 429 else None)
        self.injected.append((fault.kind, path, fault.status))
        return fault


class Faults:
    """Faults for the next calls, first match first, on either server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self.storm: Storm | None = None

    def start_storm(self, rate: float, seed: int, *, timeout_seconds: float = 0.0,
                    statuses: tuple[int, ...] = (500, 502, 503, 504, 429)) -> Storm:
        """From now on about ``rate`` of the calls fail (5xx, 429 with Retry-After, a late
        answer, an access token expiring), drawn from ``seed``; ``stop_storm`` ends it."""
        with self._lock:
            self.storm = Storm(rate, random.Random(seed), statuses, timeout_seconds)
            return self.storm

    def stop_storm(self) -> Storm | None:
        with self._lock:
            storm, self.storm = self.storm, None
            return storm

    def fail_next(self, n: int, status: int = 500, *, path_contains: str | None = None,
                  after: int = 0) -> None:
        """The next ``n`` matching calls fail, once ``after`` more have gone through."""
        with self._lock:
            self._queue.append(Fault("fail", n, status=status, path_contains=path_contains,
                                     after=after))

    def timeout_next(self, n: int, seconds: float, *, path_contains: str | None = None) -> None:
        """The next ``n`` calls are processed, then their answer is held ``seconds``."""
        with self._lock:
            self._queue.append(Fault("timeout", n, seconds=seconds, path_contains=path_contains))

    def revoke_at(self, call: int, *, path_contains: str | None = None) -> None:
        """The ``call``-th matching API call finds every token of the org revoked."""
        with self._lock:
            self._queue.append(Fault("revoke", 1, status=401, path_contains=path_contains,
                                     after=call - 1))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._queue:
                if fault.path_contains is None or fault.path_contains in path:
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._queue.remove(fault)
                    return fault
            if self.storm is not None:
                return self.storm.roll(path)
        return None


class CallLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[tuple[str, str, int]] = []

    def add(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._calls.append((method, path, status))

    def all(self) -> list[tuple[str, str, int]]:
        with self._lock:
            return list(self._calls)

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        return sum(1 for m, p, _ in self.all()
                   if (method is None or m == method.upper())
                   and (path_contains is None or path_contains in p))

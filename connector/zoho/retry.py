"""Retry policy as data: how often, how long between tries, and which failures deserve one.

One object, passed to the client and shown in logs, instead of loops scattered through the
code. ``sleep`` and ``random`` are injectable so tests run instantly and deterministically.
"""

from __future__ import annotations

import logging
import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from connector.errors import ConnectorError, RetriableError
from connector.zoho.errors import NOT_SENT_CODES

__all__ = ["RetryPolicy", "DEFAULT_RETRY", "NO_RETRY"]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter; a server's Retry-After wins when present.

    ``attempts`` counts the first try. ``give_up_codes`` are retriable in principle but not
    within one call (the day's credit budget, the org's daily limit).
    """

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    # Fraction of each delay that is random, so parallel workers hit by one 429 spread out.
    jitter: float = 0.5
    # A Retry-After longer than this is not slept through inside one call: the caller decides.
    max_retry_after: float = 120.0
    retry_on: tuple[type[ConnectorError], ...] = (RetriableError,)
    give_up_codes: frozenset[str] = frozenset({"CREDIT_BUDGET", "LIMIT_REACHED"})
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    random: Callable[[], float] = field(default=_random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1 (the first try)")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("RetryPolicy.jitter is a fraction between 0 and 1")

    def backoff(self, attempt: int) -> float:
        """Delay after failed try number ``attempt`` (1-based), jitter applied."""
        raw = min(self.max_delay, self.base_delay * self.multiplier ** (attempt - 1))
        return raw * (1.0 - self.jitter) + raw * self.jitter * self.random()

    def delay_for(self, exc: ConnectorError, attempt: int, *, idempotent: bool) -> float | None:
        """Seconds to wait before the next try, or None to give up and raise ``exc``."""
        if attempt >= self.attempts or not isinstance(exc, self.retry_on):
            return None
        code = str(exc.code) if exc.code is not None else ""
        if code in self.give_up_codes:
            return None
        # A call that may already have run (timeout, 5xx) is repeated only when repeating is
        # harmless: an insert repeated after a lost answer would create the record twice.
        if not idempotent and code not in NOT_SENT_CODES:
            return None
        after = getattr(exc, "retry_after", None)
        if after is not None:
            return None if after > self.max_retry_after else float(after)
        return self.backoff(attempt)

    def run(self, fn: Callable[[], T], *, what: str, idempotent: bool = True,
            on_retry: Callable[[ConnectorError], None] | None = None) -> T:
        """Call ``fn`` until it succeeds or the policy gives up; the last error propagates.
        ``on_retry`` hears of every failure that is tried again (the audit counts them)."""
        attempt = 1
        while True:
            try:
                return fn()
            except ConnectorError as exc:
                delay = self.delay_for(exc, attempt, idempotent=idempotent)
                if delay is None:
                    raise
                log.warning("%s: %s; retry %d/%d in %.2fs", what, exc, attempt,
                            self.attempts - 1, delay)
                if on_retry is not None:
                    on_retry(exc)
                self.sleep(delay)
                attempt += 1


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=1)

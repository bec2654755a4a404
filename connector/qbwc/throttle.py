"""Slowing down password guessing without locking the real Web Connector out.

Every try is *reserved* before its password is checked: one atomic UPDATE counts it and, past
the free tries, sets when the next try may be checked. Parallel guesses therefore cannot all
slip through between a read and a write, on SQLite or PostgreSQL, across processes.

Three counts are kept (user names as typed: unknown names are counted like known ones):

* per user and source address: ``free_failures`` tries, then a growing wait between tries
  (``first_delay``, doubling, at most ``max_delay``). Guesses from one address slow only that
  address; the Web Connector on another one is not touched, and on the same one the right
  password still gets in once the wait is over.
* per user over all addresses, and per address over all user names: ``spread_free_failures``
  tries, then the same growing wait. They bound guessing spread over many addresses (an IPv6
  prefix holds billions) or over many user names, and never slow a user at an address the
  right password for that user came from: the Web Connector, once it has logged in, is out of
  a stranger's reach.

A right password refunds its reservation. A wrong or refused try simply stays counted; a quiet
day forgets it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, delete, null, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from connector.config import Settings
from connector.store import Database, LoginThrottle
from connector.store.login_models import ANY_ADDRESS, ANY_USER
from connector.store.types import UTCDateTime

__all__ = ["ThrottlePolicy", "Attempt", "Throttle", "user_key", "forget_user"]

log = logging.getLogger(__name__)

# A row untouched this long (and not trusted) is forgotten: its failures lapse.
FORGET_AFTER = timedelta(days=1)
_SWEEP_EVERY = timedelta(hours=1)


def user_key(username: str) -> str:
    return hashlib.sha256(username.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    spread_free_failures: int
    first_delay: timedelta
    max_delay: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        return cls(free_failures=settings.login_max_failures,
                   spread_free_failures=settings.login_spread_max_failures,
                   first_delay=timedelta(seconds=settings.login_first_delay_seconds),
                   max_delay=settings.lockout)

    def waits(self, free: int) -> list[tuple[int, timedelta]]:
        """(failures counted, wait before the next try) while the wait still grows; from there
        on every try waits ``max_delay``."""
        steps: list[tuple[int, timedelta]] = []
        wait = self.first_delay
        while wait < self.max_delay:
            steps.append((free + len(steps), wait))
            wait *= 2
        return steps


@dataclass(frozen=True)
class Attempt:
    """One login try: may its password be checked, and what it reserved (for the refund)."""

    key: str
    address: str
    allowed: bool
    counted_spread: bool = False  # also counted per user and per address
    retry_at: datetime | None = None  # refused: when a try from this address is checked again


_THIS_ROW = ((col(LoginThrottle.user_key) == bindparam("key"))
             & (col(LoginThrottle.address) == bindparam("from_address")))
_TRUST = (update(LoginThrottle).where(_THIS_ROW)
          .values(failures=0, next_try_at=None, trusted=True, updated_at=bindparam("now")))
_GIVE_BACK = (update(LoginThrottle).where(_THIS_ROW).where(col(LoginThrottle.failures) > 0)
              .values(failures=col(LoginThrottle.failures) - 1, updated_at=bindparam("now")))
_NEXT_TRY = select(LoginThrottle.next_try_at).where(_THIS_ROW)
_SWEEP = (delete(LoginThrottle)
          .where(col(LoginThrottle.trusted).is_(False))
          .where(col(LoginThrottle.updated_at) < bindparam("forget_before"))
          .where(or_(col(LoginThrottle.next_try_at).is_(None),
                     col(LoginThrottle.next_try_at) < bindparam("now"))))
_ENSURE = {"sqlite": sqlite_insert(LoginThrottle).on_conflict_do_nothing(),
           "postgresql": pg_insert(LoginThrottle).on_conflict_do_nothing()}


class Throttle:
    def __init__(self, policy: ThrottlePolicy) -> None:
        self.policy = policy
        self._next_sweep: datetime | None = None
        # Built once per count of free tries: every login runs them.
        self._takes = {free: self._take_statement(free)
                       for free in {policy.free_failures, policy.spread_free_failures}}

    def reserve(self, db: Database, username: str, address: str, now: datetime) -> Attempt:
        """Count this try before its password is checked; ``allowed`` says whether to check it."""
        key, address = user_key(username), address or "?"
        self._sweep(db, now)
        with db.session() as s:
            _ensure_rows(s, key, address, now)
            trusted = self._take(s, key, address, self.policy.free_failures, now)
            if trusted is None:
                s.rollback()
                return Attempt(key, address, False, retry_at=_retry_at(s, key, address))
            if trusted:
                return Attempt(key, address, True)
            # Always in this order (this address, the user, the address): concurrent tries lock
            # the rows in one order and never wait on each other in a circle.
            for spread in ((key, ANY_ADDRESS), (ANY_USER, address)):
                if self._take(s, *spread, self.policy.spread_free_failures, now) is None:
                    s.rollback()
                    return Attempt(key, address, False, retry_at=_retry_at(s, *spread))
            return Attempt(key, address, True, counted_spread=True)

    def refund(self, db: Database, attempt: Attempt, now: datetime) -> None:
        """The right password: the user is cleared and trusted at this address, and the try
        counted over all addresses and all user names is given back."""
        with db.session() as s:
            conn = s.connection()
            conn.execute(_TRUST, {"key": attempt.key, "from_address": attempt.address,
                                 "now": now})
            if not attempt.counted_spread:
                return
            conn.execute(_GIVE_BACK, [
                {"key": key, "from_address": address, "now": now}
                for key, address in ((attempt.key, ANY_ADDRESS), (ANY_USER, attempt.address))])

    def _take_statement(self, free: int) -> Any:
        after = col(LoginThrottle.failures) + 1
        when: list[tuple[ColumnElement[bool], Any]] = [
            (after == count, bindparam(f"wait_{count}", type_=UTCDateTime()))
            for count, _wait in self.policy.waits(free)
        ]
        when.append((after >= free, bindparam("longest_wait", type_=UTCDateTime())))
        return (
            update(LoginThrottle)
            .where(_THIS_ROW)
            .where(or_(col(LoginThrottle.next_try_at).is_(None),
                       col(LoginThrottle.next_try_at) <= bindparam("now")))
            .values(failures=after, next_try_at=case(*when, else_=null()),
                    updated_at=bindparam("now"))
            .returning(col(LoginThrottle.trusted))
        )

    def _take(self, s: Session, key: str, address: str, free: int,
              now: datetime) -> bool | None:
        """The reservation itself: one UPDATE that counts the try and sets the next wait, and
        matches no row while a wait is running (None); else whether the row is trusted.
        Concurrent tries queue on the row's lock and re-check the wait (PostgreSQL re-reads the
        updated row; SQLite has one writer)."""
        params: dict[str, Any] = {"key": key, "from_address": address, "now": now,
                                  "longest_wait": now + self.policy.max_delay}
        params.update({f"wait_{count}": now + wait for count, wait in self.policy.waits(free)})
        trusted = s.connection().execute(self._takes[free], params).scalar()
        return None if trusted is None else bool(trusted)

    def _sweep(self, db: Database, now: datetime) -> None:
        if self._next_sweep is not None and now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_EVERY
        with db.session() as s:
            s.connection().execute(_SWEEP, {"forget_before": now - FORGET_AFTER, "now": now})


def forget_user(s: Session, username: str) -> None:
    """A new password: every count and trust of the user name starts over."""
    s.execute(delete(LoginThrottle).where(col(LoginThrottle.user_key) == user_key(username)))


def _ensure_rows(s: Session, key: str, address: str, now: datetime) -> None:
    s.connection().execute(
        _ENSURE[s.get_bind().dialect.name],
        [{"user_key": k, "address": a, "failures": 0, "trusted": False, "updated_at": now}
         for k, a in ((key, address), (key, ANY_ADDRESS), (ANY_USER, address))])


def _retry_at(s: Session, key: str, address: str) -> datetime | None:
    return s.connection().execute(_NEXT_TRY, {"key": key, "from_address": address}).scalar()

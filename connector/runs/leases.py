"""Leases in the store: one holder at a time per key, across processes and hosts.

A lease is taken with one conditional UPDATE (free, expired, or already ours) or, when no row
exists yet, one INSERT that the primary key lets only one process win; so two processes that
race never both hold it, on SQLite or PostgreSQL. A holder renews it while it works; a holder
that died simply stops renewing and the lease expires, or, when it was a process of this
machine that is gone, is taken over at once (compare-and-set on the dead holder).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from connector.errors import FatalError
from connector.store import Database, Lease
from connector.store.types import utcnow

__all__ = ["Held", "LeaseLost", "LeaseKeeper", "acquire", "renew", "release", "live_holders",
           "live_keys", "new_holder", "process_info"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class LeaseLost(FatalError):
    """Another holder took the lease over (ours expired while we worked): stop writing."""


@dataclass(frozen=True)
class Held:
    """Someone else holds the lease."""

    key: str
    holder_info: str
    acquired_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        return (f"held by {self.holder_info or 'another process'} since "
                f"{self.acquired_at:%Y-%m-%d %H:%M:%S} UTC (lease until "
                f"{self.expires_at:%H:%M:%S} UTC)")


def new_holder() -> str:
    return uuid.uuid4().hex


def process_info(extra: str = "") -> str:
    where = f"{socket.gethostname()} pid {os.getpid()}"
    return f"{extra} on {where}" if extra else where


def pid_space() -> str | None:
    """Where this process's pid means this process: the host and its pid namespace (Linux).
    Two containers may share a host name, never a pid namespace. None where it cannot be told:
    no lease is then taken from a holder thought dead."""
    try:
        return f"{socket.gethostname()} {os.readlink('/proc/self/ns/pid')}"
    except OSError:
        return None


def _gone(pid: int) -> bool:
    """Whether no process has this pid (in our pid namespace). POSIX only: on Windows
    ``os.kill(pid, 0)`` would end the process."""
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: alive
        return False
    return False


def _dead_holder(row: Lease) -> bool:
    """A holder of this machine whose process ended without releasing (killed, or stopped by
    a second Ctrl-C): its lease need not run out first. A pid taken again since by another
    process only makes us wait for the expiry, as before."""
    here = pid_space()
    return (here is not None and row.pid_space == here and row.pid is not None
            and row.pid != os.getpid() and _gone(row.pid))


def _take_from_dead(db: Database, row: Lease, values: dict[str, object]) -> bool:
    table = Lease.__table__  # type: ignore[attr-defined]
    with db.engine.begin() as conn:
        taken = conn.execute(update(table).where(table.c.key == row.key)
                             .where(table.c.holder == row.holder).values(**values))
    if taken.rowcount == 1:
        log.warning("lease %s: its holder (%s) is no longer running; taken over", row.key,
                    row.holder_info)
    return taken.rowcount == 1


def _try_take(db: Database, key: str, holder: str, info: str, ttl: timedelta,
              now: datetime) -> Held | None:
    table = Lease.__table__  # type: ignore[attr-defined]
    values: dict[str, object] = {"holder": holder, "holder_info": info[:500],
                                 "acquired_at": now, "expires_at": now + ttl,
                                 "pid_space": pid_space(), "pid": os.getpid()}
    with db.engine.begin() as conn:
        taken = conn.execute(update(table).where(table.c.key == key).where(
            (table.c.expires_at <= now) | (table.c.holder == holder)).values(**values))
        if taken.rowcount == 1:
            return None
    try:
        with db.engine.begin() as conn:
            conn.execute(table.insert().values(key=key, **values))
        return None
    except IntegrityError:
        pass
    with db.session() as s:
        row = s.get(Lease, key)
    if row is None:  # released between our two statements: try again at once
        return _try_take(db, key, holder, info, ttl, now)
    if _dead_holder(row) and _take_from_dead(db, row, values):
        return None
    return Held(key, row.holder_info, row.acquired_at, row.expires_at)


def acquire(db: Database, key: str, holder: str, *, info: str, ttl: timedelta,
            wait: float = 0.0, clock: Clock = utcnow, poll: float = 0.25) -> Held | None:
    """Take the lease; None when taken, else who holds it after waiting up to ``wait`` s."""
    deadline = time.monotonic() + wait
    while True:
        held = _try_take(db, key, holder, info, ttl, clock())
        if held is None or time.monotonic() >= deadline:
            return held
        time.sleep(poll)


def renew(db: Database, key: str, holder: str, ttl: timedelta, clock: Clock = utcnow) -> bool:
    """Push the expiry on; False when the lease is no longer ours."""
    table = Lease.__table__  # type: ignore[attr-defined]
    with db.engine.begin() as conn:
        done = conn.execute(update(table).where(table.c.key == key)
                            .where(table.c.holder == holder)
                            .values(expires_at=clock() + ttl))
    return done.rowcount == 1


def release(db: Database, key: str, holder: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(Lease.__table__).where(  # type: ignore[attr-defined]
            col(Lease.key) == key).where(col(Lease.holder) == holder))


def live_holders(db: Database, now: datetime) -> set[str]:
    """Holders whose lease has not expired: the processes known to be alive."""
    with db.session() as s:
        return set(s.exec(select(Lease.holder).where(col(Lease.expires_at) > now)).all())


def live_keys(db: Database, now: datetime) -> set[str]:
    """Keys someone holds right now."""
    with db.session() as s:
        return set(s.exec(select(Lease.key).where(col(Lease.expires_at) > now)).all())


class LeaseKeeper:
    """Holds a taken lease for a ``with`` block: renews it every third of its lifetime from a
    daemon thread and releases it at the end. ``check()`` raises ``LeaseLost`` once another
    holder has taken it over, so a long run stops at its next checkpoint."""

    def __init__(self, db: Database, key: str, holder: str, ttl: timedelta,
                 clock: Clock = utcnow) -> None:
        self.db, self.key, self.holder, self.ttl, self.clock = db, key, holder, ttl, clock
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{key}", daemon=True)

    def _beat(self) -> None:
        interval = max(self.ttl.total_seconds() / 3, 0.05)
        while not self._stop.wait(interval):
            try:
                if not renew(self.db, self.key, self.holder, self.ttl, self.clock):
                    log.error("lease %s was taken over by another process", self.key)
                    self._lost.set()
                    return
            except Exception:
                log.warning("lease %s: renewal failed; retrying", self.key, exc_info=True)

    def check(self) -> None:
        if self._lost.is_set():
            raise LeaseLost(f"the lease {self.key} expired and another process took it over; "
                            "stopping so two runs never write at once")

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        if not self._lost.is_set():
            release(self.db, self.key, self.holder)

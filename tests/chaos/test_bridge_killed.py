"""(b) The bridge (`ml-connector bridge`, a subprocess) is killed with SIGKILL after
authenticate, in the middle of a multi-page iterator, between the last receive and
closeConnection and in the middle of a backfill's reads, then restarted: the next Web
Connector sessions complete, the backfill's reads are answered, and after the runs both
systems agree (nothing lost, nothing twice)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

from connector import runs
from connector.errors import ConnectorError
from connector.sandbox.qbd import QuickBooksSimulator
from connector.sandbox.webconnector import WebConnector
from connector.store import QueuedRequest, RequestState
from connector.store.types import utcnow
from connector.sync.backfill import BACKFILL_SEQ
from tests.bridge.test_cli_bridge import _free_port, _wait_healthy
from tests.sync.conftest import PASSWORD, World

from .checker import RESULTS, Checker, Figures, chaos_seed

ROOT = Path(__file__).resolve().parents[2]


class Bridge:
    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MLC_QBWC_REQUEST_TIMEOUT_SECONDS": "1",
               "MLC_MIN_POLL_SECONDS": "0", "MLC_MAX_RETURNED_CUSTOMERS": "5",
               "MLC_MAX_RETURNED_INVOICES": "4"}
        for _ in range(3):  # another process may take the free port before the bridge does
            start = self.log.stat().st_size if self.log.exists() else 0
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, "-c", "from connector.cli import main; main()",
                     "bridge", "--host", "127.0.0.1", "--port", str(self.port)],
                    env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait_healthy(f"{self.url}/healthz", self.proc)
                return
            except AssertionError as exc:
                said = self.log.read_bytes()[start:].decode(errors="replace")
                if "already in use" not in said:
                    raise AssertionError(f"{exc}\n{said[-3000:]}") from None
                self.port = _free_port()
        raise AssertionError(f"no free port for the bridge after 3 tries: {self.log}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


class Killing:
    """QuickBooks as the Web Connector sees it, with a trap that kills the bridge."""

    def __init__(self, qb: QuickBooksSimulator, kill: Callable[[], None], *, at: str,
                 after_requests: int = 0) -> None:
        self.qb, self.kill, self.at, self.after = qb, kill, at, after_requests
        self.company_file = qb.company_file
        self.handled = 0

    def begin_session(self) -> None:
        self.qb.begin_session()
        if self.at == "authenticate":
            self.kill()

    def handle(self, request_xml: str) -> str:
        answer = self.qb.handle(request_xml)
        self.handled += 1
        if self.at == "iterator" and self.handled == self.after:
            self.kill()
        # A backfill's read of every customer (no date filter), its first page answered.
        if self.at == "backfill" and "<CustomerQueryRq" in request_xml \
                and "FromModifiedDate" not in request_xml:
            self.kill()
        return answer

    def end_session(self) -> None:
        self.qb.end_session()
        if self.at == "close":
            self.kill()


@pytest.mark.chaos  # four bridge processes: long for `make test`
def test_bridge_killed_and_restarted_loses_nothing(served_world: World, tmp_path: Path) -> None:
    world, seed = served_world, chaos_seed()
    figures = Figures("b: bridge SIGKILL + restart", seed)
    world.clock.now = utcnow()  # the bridge subprocess keeps real time
    books = world.add_books("Acme", customers=14, invoices=9, seed=seed % 1000)
    bridge = Bridge(tmp_path / "bridge.log")
    edited: set[str] = set()
    try:
        for at, after in (("authenticate", 0), ("iterator", 2), ("close", 0),
                          ("backfill", 0)):
            bridge.start()
            if at == "backfill":  # standing reads, taken by the session that dies
                runs.backfill(world.run_env(), "Acme", resync_stored=False)
            trap = Killing(books.qb, bridge.kill, at=at, after_requests=after)
            with (WebConnector(f"{bridge.url}/qbwc", "acme", PASSWORD, trap) as wc,
                  pytest.raises((ConnectorError, httpx.HTTPError))):
                wc.run_session()
            figures.injected += 1
            assert bridge.proc is not None and bridge.proc.poll() is not None
            edited.add(books.qb.company.modify_customer(
                sorted(c.name for c in books.qb.company.records.values()
                       if c.kind == "Customer" and c.parent_id is None)[figures.injected],
                Phone=f"555-01{figures.injected:02d}").list_id)
            time.sleep(1.1)  # the dead session falls silent; the next login takes over
        bridge.start()
        check = Checker(world, books, f"{bridge.url}/qbwc")
        check.edited = edited
        check.run()
        check.converge(figures)
        check.compare(figures)
        # Each of the backfill's reads was answered in the end: none cancelled, none waiting.
        with world.db.session() as s:
            reads = [(r.entity, r.state) for r in s.exec(
                select(QueuedRequest).where(col(QueuedRequest.seq) >= BACKFILL_SEQ)).all()]
        unanswered = [r for r in reads if r[1] != RequestState.ANSWERED]
        if not reads or unanswered:
            figures.lost_edits += 1
            figures.details.append(f"backfill reads not answered: {unanswered or 'none queued'}")
    finally:
        bridge.kill()
    RESULTS.append(figures)
    assert figures.clean, figures.details[:20]

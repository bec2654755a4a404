"""The production layout scaled out: two bridges and two Prefect workers on one PostgreSQL,
many companies' Web Connectors polling at once.

Each in its own process, as in production: a real ``prefect server start`` with the
``ml-connector`` process work pool deployed from prefect.yaml (the session's shared server,
tests/flows/conftest.py); two ``ml-connector bridge`` processes on one PostgreSQL database;
two ``prefect worker start --pool ml-connector`` workers, each on its own work queue with a
scheduled, watching ``qb-to-zoho`` run (copies of the deployment, ``due_soon_copy``). The
Web Connectors reach the bridges through a proxy without sticky sessions: every call goes to
the next bridge, so a session's calls alternate between the two processes.

Every company (its own QuickBooks simulator, company file and user; the simulators reuse
ListIDs across company files, as real ones do) runs two sessions while all the others run
theirs. Then: no request was handed out twice, no response was stored or synced twice, no
company's records landed under another's key or were linked to another's Account, and every
company converged in Zoho. ``COMPANIES`` is 6 in ``make test``, 50 with
``MLC_CHAOS_SIZE=full`` (``make chaos``).
"""

from __future__ import annotations

import itertools
import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select

from connector.mapping.keys import company_scope, parse_key
from connector.qbwc import add_company
from connector.runs import UseCase
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.sandbox.webconnector import SessionReport, WebConnector
from connector.store import AuditEvent, AuditRun, Company, QueuedRequest, RawResponse
from tests.conftest import PG_URL
from tests.flows.prefect_server import (
    Bridge,
    Server,
    deploy,
    due_soon_copy,
    served_zoho_org,
    start_bridge,
    start_server,
    start_worker,
)

pytestmark = pytest.mark.slow

FULL = os.environ.get("MLC_CHAOS_SIZE") == "full"
COMPANIES = 50 if FULL else 6
CUSTOMERS, INVOICES = (8, 4) if FULL else (6, 3)
# Long enough for both watching runs to take every company's sync requests.
WATCH_SECONDS = 240 if FULL else 60
QUEUES = ("scale-a", "scale-b")
WRITES = ("created", "updated", "adopted", "linked", "relinked")


class NoStickyProxy(httpx.BaseTransport):
    """A load balancer without session affinity: each call goes to the next bridge."""

    def __init__(self, bridges: list[Bridge]):
        self.targets = [httpx.URL(b.url) for b in bridges]
        self.inner = httpx.HTTPTransport()
        self.turn = itertools.count()
        self.served: Counter[int] = Counter()
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            target = self.targets[next(self.turn) % len(self.targets)]
            self.served[target.port or 0] += 1
        request.url = request.url.copy_with(host=target.host, port=target.port)
        return self.inner.handle_request(request)


@dataclass
class Books:
    name: str
    user: str
    password: str
    qb: QuickBooksSimulator
    scope: str = ""

    def customers(self) -> dict[str, str]:
        """Top-level customers (jobs belong to their Account): ListID -> name."""
        return {c.list_id: c.name for c in self.qb.company.listed("Customer")
                if c.parent_id is None}

    def invoices(self) -> dict[str, str]:
        """TxnID -> the ListID of the top-level customer whose Account the Deal links to."""
        parents = {c.list_id: c.parent_id for c in self.qb.company.listed("Customer")}
        out = {}
        for txn_id, invoice in self.qb.company.invoices.items():
            top = invoice.customer_id
            while parents.get(top):
                top = parents[top] or top
            out[txn_id] = top
        return out


def _books(db: Any, n: int) -> Books:
    qbw = rf"C:\QB\Scale {n}.qbw"
    qb = QuickBooksSimulator(qbw, company_name=f"Scale {n}")
    seed_company(qb, customers=CUSTOMERS, invoices=INVOICES, lines_per_invoice=2, seed=n)
    books = Books(f"Scale {n}", f"scale{n}", f"pw-scale-{n}-web-connector", qb)
    company = add_company(db, books.name, books.user, books.password, company_file=qbw)
    books.scope = company_scope(company.file_id)
    return books


def _two_sessions(books: Books, proxy: NoStickyProxy, url: str) -> list[SessionReport]:
    with httpx.Client(transport=proxy, timeout=120) as http:
        wc = WebConnector(url, books.user, books.password, books.qb, http=http)
        return [wc.run_session(), wc.run_session()]


def _keyed(records: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Records by (company scope, QuickBooks id) of their QBD_Key; a key twice fails."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        if record.get("QBD_Key"):
            key = parse_key(str(record["QBD_Key"]))
            assert (key.scope, key.qb_id) not in out, f"two Zoho records keyed {key}"
            out[(key.scope, key.qb_id)] = record
    return out


def _converged(org: Any, companies: list[Books]) -> bool:
    accounts = _keyed(org.sim.records("Accounts"))
    deals = _keyed(org.sim.records("Deals"))
    return all({(b.scope, i) for i in b.customers()} <= set(accounts)
               and {(b.scope, t) for t in b.invoices()} <= set(deals) for b in companies)


def _assert_each_company_its_own(org: Any, companies: list[Books]) -> None:
    accounts = _keyed(org.sim.records("Accounts"))
    deals = _keyed(org.sim.records("Deals"))
    by_scope = {b.scope: b for b in companies}
    assert {scope for scope, _ in accounts} <= set(by_scope), "an Account under no company"
    for books in companies:
        mine = {qb_id for scope, qb_id in accounts if scope == books.scope}
        assert mine == set(books.customers()), f"{books.name}: Accounts not its customers"
        for txn_id, customer in books.invoices().items():
            account = accounts[(books.scope, customer)]
            deal = deals[(books.scope, txn_id)]
            assert deal["Account_Name"]["id"] == account["id"], \
                f"{books.name}: Deal of invoice {txn_id} linked to another Account"


def _assert_nothing_twice(org: Any, companies: list[Books]) -> None:
    with org.db.session() as s:
        again = s.exec(select(QueuedRequest.id).where(col(QueuedRequest.attempts) > 1)).all()
        assert not again, f"requests handed out more than once: {again[:10]}"
        stored_twice = s.exec(select(RawResponse.request_id).group_by(
            col(RawResponse.request_id)).having(func.count() > 1)).all()
        assert not stored_twice, f"responses stored twice: {stored_twice[:10]}"
        unsynced = s.exec(select(func.count()).select_from(RawResponse)
                          .where(col(RawResponse.processed_at).is_(None))).one()
        assert unsynced == 0, f"{unsynced} stored responses never synced"
        runs = s.exec(select(AuditRun).where(AuditRun.flow == UseCase.QB_TO_ZOHO.value)).all()
        # Both watchers may reach for one company: the second waits for the lease, then
        # ends skipped. Nothing else may happen to a run here.
        assert {r.status for r in runs} <= {"completed", "skipped"}, \
            [(r.id, r.status, r.error) for r in runs if r.status not in ("completed", "skipped")]
        done = {r.company_id for r in runs if r.status == "completed"}
        assert done == {c.id for c in s.exec(select(Company)).all()} and \
            len(done) == len(companies)
        written = s.exec(select(AuditRun.company_id, AuditEvent.qb_type, AuditEvent.qb_id)
                         .select_from(AuditEvent)
                         .join(AuditRun, col(AuditRun.id) == col(AuditEvent.run_id))
                         .where(col(AuditEvent.action).in_(WRITES))).all()
        twice = [k for k, n in Counter(written).items() if n > 1]
        assert not twice, f"records written to Zoho by more than one run: {twice[:10]}"


@contextmanager
def _prefect_on_postgres(home: Path) -> Iterator[Server]:
    """A Prefect server of its own on a fresh PostgreSQL database, deployed as the README
    says: in production the server shares PostgreSQL too, and SQLite's single writer locks
    up under two workers' heartbeats and flow runs on a busy machine."""
    assert PG_URL is not None
    name = f"mlc_prefect_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_URL).set(drivername="postgresql+asyncpg", database=name)
    try:
        with start_server(home, database_url=url.render_as_string(hide_password=False)) \
                as server:
            yield deploy(server)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_many_companies_on_two_bridges_and_two_workers_converge_once_each(
        request: pytest.FixtureRequest, tmp_path: Path, record_property: Any) -> None:
    if not PG_URL:
        pytest.skip("the scale-out layout runs on PostgreSQL only (several bridge and worker "
                    "processes on one database); set MLC_TEST_POSTGRES_URL, as make test does "
                    "when 127.0.0.1:5432 answers")
    database_url: str = request.getfixturevalue("pg_schema_url")
    (tmp_path / "prefect").mkdir()
    with _prefect_on_postgres(tmp_path / "prefect") as deployed:
        _scale_out(deployed, tmp_path, database_url, record_property)


def _scale_out(deployed: Server, tmp_path: Path, database_url: str,
               record_property: Any) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with served_zoho_org(tmp_path, database_url) as org:
        env = org.env | {"MLC_MIN_POLL_SECONDS": "0", "MLC_SYNC_POLL_SECONDS": "2"}
        with start_bridge(tmp_path / "a", env) as first, \
                start_bridge(tmp_path / "b", env) as second:
            companies = [_books(org.db, n) for n in range(COMPANIES)]
            runs: dict[str, str] = {}
            for queue in QUEUES:
                deployment = due_soon_copy(deployed, "qb-to-zoho", queue=queue, seconds=5,
                                           parameters={"watch_seconds": WATCH_SECONDS})
                runs[deployed.first_scheduled_run(deployment)["id"]] = deployment
            workers = [start_worker(deployed, queue, "--prefetch-seconds", "60", cwd=tmp_path,
                                    env=env | {"PREFECT_WORKER_QUERY_SECONDS": "1"})
                       for queue in QUEUES]
            services = [*workers, first, second]
            proxy = NoStickyProxy([first, second])
            try:
                with ThreadPoolExecutor(max_workers=COMPANIES) as pool:
                    reports = list(pool.map(
                        lambda b: _two_sessions(b, proxy, first.qbwc_url), companies))
                for books, (one, two) in zip(companies, reports, strict=True):
                    for report in (one, two):
                        assert report.percents and report.percents[-1] == 100 \
                            and report.last_error is None, f"{books.name}: {report.describe()}"
                deployed.wait_for(f"every one of {COMPANIES} companies converged in Zoho",
                                  lambda: _converged(org, companies),
                                  timeout=WATCH_SECONDS + 60, also=services, every=1.0)
                for run_id, deployment in runs.items():
                    deployed.wait_for(f"flow run {run_id} to end",
                                      lambda r=run_id: deployed.flow_run(r)["state_type"]
                                      not in ("SCHEDULED", "PENDING", "RUNNING"),
                                      timeout=WATCH_SECONDS + 120, also=services)
                    deployed.assert_completed_by_schedule(run_id, deployment, services)
            finally:
                for worker in workers:
                    worker.stop()
        _assert_each_company_its_own(org, companies)
        _assert_nothing_twice(org, companies)
        with org.db.session() as s:
            by_run = Counter(s.exec(select(AuditRun.external_run_id)
                                    .where(AuditRun.flow == UseCase.QB_TO_ZOHO.value)).all())
    assert set(by_run) <= set(runs), f"runs by another flow run: {by_run}"
    assert len(proxy.served) == 2 and min(proxy.served.values()) > COMPANIES
    record_property("companies_per_flow_run", sorted(by_run.values()))
    record_property("calls_per_bridge", sorted(proxy.served.values()))
    deployed.assert_no_traceback()

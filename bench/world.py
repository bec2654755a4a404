"""The seeded world the benchmarks share: a QuickBooks company read into the store, a Zoho org.

``company_world`` seeds a QuickBooks simulator, registers the company, reads it through the
QBWC service in-process (every answer lands in ``RawResponse``, as a bridge would store it)
and connects the store to a Zoho org: either a ``ZohoSimulator`` answering in-process (every
cost of ours and the simulator's shares one interpreter) or one served from a process of its
own over real HTTP (``served_org``), as the real Zoho is far away and its CPU is not ours.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr

from connector.config import Settings
from connector.crypto import SecretBox
from connector.qbwc import add_company, get_company
from connector.qbwc.service import QbwcService
from connector.runs import RunEnv
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Company, Database
from connector.zoho import DEFAULT_SCOPES, NO_RETRY, OAuthApp, TokenEndpoint
from connector.zoho.connection import NewConnection, save_connection
from connector.zoho.fields import REQUIRED_CUSTOM_FIELDS

__all__ = ["CLIENT_ID", "SECRET", "Org", "StoredCompany", "World", "bench_settings",
           "company_world", "copied_world", "in_process_org", "read_company", "served_org",
           "seeded_books", "stored_company"]

CLIENT_ID, SECRET = "1000.BENCH", "bench-secret"


def bench_settings(tmp: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    """Settings of a throw-away store: no poll pacing, credits no benchmark runs out of."""
    options: dict[str, Any] = {"min_poll_seconds": 0, "zoho_daily_credit_budget": 10_000_000,
                               "secret_key": SecretStr(Fernet.generate_key().decode())}
    return Settings(data_dir=tmp, database_url=database_url or f"sqlite:///{tmp / 'bench.db'}",
                    **(options | overrides))


def seeded_books(customers: int, invoices: int, *, lines: int = 3,
                 seed: int = 11) -> QuickBooksSimulator:
    """A company file whose history ends a day ago, so a session reads all of it."""
    qb = QuickBooksSimulator(clock=lambda: datetime.now(UTC) - timedelta(days=1),
                             sleep=lambda s: None)
    seed_company(qb, customers=customers, invoices=invoices, lines_per_invoice=lines, seed=seed)
    return qb


def read_company(db: Database, settings: Settings, qb: QuickBooksSimulator, user: str,
                 password: str) -> int:
    """One Web Connector session, in-process; returns how many requests QuickBooks answered."""
    service = QbwcService(db, settings)
    ticket, status, *_ = service.authenticate(user, password)
    if not ticket:
        raise RuntimeError(f"authenticate refused the bench company: {status}")
    qb.begin_session()
    answered = 0
    while request := service.send_request_xml(ticket, "", qb.company_file, "US", 13, 0):
        answered += 1
        if service.receive_response_xml(ticket, qb.handle(request), "", "") >= 100:
            break
    qb.end_session()
    service.close_connection(ticket)
    return answered


@dataclass
class Org:
    """A Zoho org the store is connected to; ``client_options`` reach it (in-process), and
    ``calls()`` counts the API calls it answered (token calls are the accounts server's)."""

    client_options: dict[str, Any]
    calls: Callable[[], list[tuple[str, str, int]]]
    set_latency: Callable[[float], None]
    org_id: str
    edition: str
    grant: Callable[[], tuple[OAuthApp, str]]
    extra: dict[str, Any] = field(default_factory=dict)


def _prepare(sim: ZohoSimulator) -> None:
    sim.register_client(CLIENT_ID, SECRET)
    for f in REQUIRED_CUSTOM_FIELDS:
        sim.add_field(f.module, f.api_name, f.data_type, unique=f.unique)


def in_process_org(**options: Any) -> Org:
    sim = ZohoSimulator(daily_credits=100_000_000, **options)
    _prepare(sim)

    def grant() -> tuple[OAuthApp, str]:
        return (OAuthApp("http://zoho-accounts.sim", CLIENT_ID, SECRET),
                sim.grant_code(CLIENT_ID, scope=",".join(DEFAULT_SCOPES)))

    def latency(seconds: float) -> None:
        sim.latency = seconds

    return Org({"transport": sim.api_transport(), "accounts_transport": sim.accounts_transport(),
                "retry": NO_RETRY}, lambda: sim.calls, latency, sim.org_id, sim.edition, grant,
               {"simulator": sim})


def _org_process(options: dict[str, Any], pipe: Connection) -> None:
    """The simulated org in a process of its own until the parent says stop."""
    sim = ZohoSimulator(daily_credits=100_000_000, **options)
    _prepare(sim)
    with sim.serve() as urls:
        pipe.send((urls.accounts_url, urls.api_url, sim.org_id, sim.edition))
        while (ask := pipe.recv()) != "stop":
            pipe.send(sim.grant_code(CLIENT_ID, scope=",".join(DEFAULT_SCOPES))
                      if ask == "grant" else None)
    sim.close()


@contextmanager
def served_org(**options: Any) -> Iterator[Org]:
    """A simulated org served over real HTTP from a spawned process."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_org_process, args=(options, theirs), daemon=True)
    child.start()
    accounts_url, api_url, org_id, edition = ours.recv()
    admin = httpx.Client(base_url=f"{api_url}/__admin", timeout=120)

    def grant() -> tuple[OAuthApp, str]:
        ours.send("grant")
        return OAuthApp(accounts_url, CLIENT_ID, SECRET), str(ours.recv())

    def calls() -> list[tuple[str, str, int]]:
        return [tuple(c) for c in admin.get("/calls").json()["calls"]]

    def latency(seconds: float) -> None:
        admin.put("/latency", json={"seconds": seconds}).raise_for_status()

    try:
        yield Org({"retry": NO_RETRY}, calls, latency, org_id, edition, grant,
                  {"api_url": api_url, "pid": child.pid})
    finally:
        admin.close()
        ours.send("stop")
        child.join(timeout=30)
        if child.is_alive():
            child.terminate()


def connect(db: Database, settings: Settings, org: Org) -> None:
    """Store the connection to ``org`` as `ml-connector zoho connect` would."""
    app, code = org.grant()
    transport = org.client_options.get("accounts_transport")
    endpoint = TokenEndpoint(app, transport=transport)
    grant = endpoint.exchange_code(code)
    endpoint.close()
    save_connection(db, SecretBox.from_settings(settings),
                    NewConnection(app, None, grant.refresh_token or "", grant, org.org_id,
                                  org.edition))


@dataclass
class World:
    settings: Settings
    db: Database
    company: Company
    qb: QuickBooksSimulator
    org: Org

    def env(self) -> RunEnv:
        return RunEnv.from_settings(self.settings, self.db, **self.org.client_options)

    def session(self) -> int:
        return read_company(self.db, self.settings, self.qb, "bench", "bench-pw")


def _read_into(db: Database, settings: Settings, *, customers: int, invoices: int, lines: int,
               seed: int) -> tuple[Company, QuickBooksSimulator]:
    """A seeded company registered in a new store and read once by a Web Connector session."""
    db.create_all()
    qb = seeded_books(customers, invoices, lines=lines, seed=seed)
    company = add_company(db, "Bench", "bench", "bench-pw", company_file=qb.company_file)
    read_company(db, settings, qb, "bench", "bench-pw")
    return company, qb


@contextmanager
def company_world(org: Org, *, customers: int, invoices: int, lines: int = 3,
                  seed: int = 11, tmp: Path | None = None,
                  database_url: str | None = None) -> Iterator[World]:
    """A company read once into a fresh store connected to ``org`` (nothing synced yet)."""
    with tempfile.TemporaryDirectory() as scratch:
        settings = bench_settings(tmp or Path(scratch), database_url)
        db = Database(settings.resolved_database_url)
        company, qb = _read_into(db, settings, customers=customers, invoices=invoices,
                                 lines=lines, seed=seed)
        connect(db, settings, org)
        try:
            yield World(settings, db, company, qb, org)
        finally:
            db.dispose()


@dataclass(frozen=True)
class StoredCompany:
    """A company read once into a SQLite store not connected to any Zoho org: each
    ``copied_world`` of it starts from the same fresh store without reading QuickBooks again."""

    path: Path
    secret_key: SecretStr
    name: str
    qb: QuickBooksSimulator


@contextmanager
def stored_company(*, customers: int, invoices: int, lines: int = 3,
                   seed: int = 11) -> Iterator[StoredCompany]:
    with tempfile.TemporaryDirectory() as scratch:
        settings = bench_settings(Path(scratch))
        db = Database(settings.resolved_database_url)
        company, qb = _read_into(db, settings, customers=customers, invoices=invoices,
                                 lines=lines, seed=seed)
        db.dispose()
        if settings.secret_key is None:
            raise RuntimeError("bench settings come with a secret key")
        yield StoredCompany(Path(scratch) / "bench.db", settings.secret_key, company.name, qb)


@contextmanager
def copied_world(stored: StoredCompany, org: Org) -> Iterator[World]:
    """A fresh store holding what ``stored`` holds (SQLite's online backup: a page-for-page
    copy), connected to ``org`` as ``company_world`` connects its own."""
    with tempfile.TemporaryDirectory() as scratch:
        settings = bench_settings(Path(scratch), secret_key=stored.secret_key)
        with closing(sqlite3.connect(stored.path)) as source, \
                closing(sqlite3.connect(Path(scratch) / "bench.db")) as copy:
            source.backup(copy)
        db = Database(settings.resolved_database_url)
        connect(db, settings, org)
        try:
            yield World(settings, db, get_company(db, stored.name), stored.qb, org)
        finally:
            db.dispose()

"""A whole small world for the sync tests: a QuickBooks simulator driven through the QBWC
service, the store, a simulated Zoho org with a stored connection, and one clock for all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from connector import runs
from connector.audit import AuditSummary
from connector.config import Settings
from connector.crypto import SecretBox
from connector.mapping import is_product
from connector.mapping.keys import parse_key
from connector.qbwc import add_company
from connector.qbwc.service import QbwcService
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Company, Database, RawResponse, Watermark
from connector.store.types import utcnow
from connector.zoho import OAuthApp, TokenEndpoint
from connector.zoho.client import ZohoClient
from connector.zoho.connection import (
    NewConnection,
    load_connection,
    open_client,
    save_connection,
)
from connector.zoho.fields import QBD_KEY
from connector.zoho.org_state import save_overrides
from tests.mapping.conftest import read_books
from tests.qbwc.driver import Clock, Run, run_session
from tests.zoho.conftest import CLIENT_ID, FAST, SCOPE, SECRET, add_key_fields, endpoint_for

PASSWORD = "web-connector-pw"
# QuickBooks' clock as it is found in the wild, on in every world: its stamps an hour off the
# true time (local time with a wrong DST offset) and the PC clock drifting further.
QB_CLOCK_SKEW = timedelta(hours=1)
QB_CLOCK_DRIFT = timedelta(seconds=20)  # per day
# Calls that change something in Zoho (COQL and metadata reads are not writes).
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# What a user does after `ml-connector ping` names a mandatory field nothing feeds.
PROFILE_SETUP: dict[str, dict[str, str]] = {"mandatory_field": {"Deals.Region": "North"}}
# The Invoice status each profile's org uses for a voided or deleted invoice.
CANCELLED_STATUS = {"default": "Cancelled", "own_pipeline": "Void", "mandatory_field": "Cancelled",
                    "renamed": "Voided", "potentials": "Cancelled"}


def zoho_writes(sim: ZohoSimulator) -> int:
    return sum(1 for method, path, _ in sim.calls
               if method in WRITE_METHODS and "/coql" not in path and "/oauth" not in path)


@dataclass
class Books:
    name: str
    qb: QuickBooksSimulator
    company: Company


@dataclass
class World:
    db: Database
    settings: Settings
    secrets: SecretBox
    clock: Clock
    sim: ZohoSimulator
    service: QbwcService
    books: dict[str, Books] = field(default_factory=dict)
    # In-process transports by default; a served simulator needs only the fast retries.
    in_process: bool = True

    @property
    def profile(self) -> str:
        return self.sim.profile.name

    @property
    def has_invoices(self) -> bool:
        return "Invoices" in self.sim.modules

    def stage_meaning(self, forecast_type: str, nth: int = 0) -> str:
        """The org's ``nth`` stage (in pipeline order) whose forecast type is ``forecast_type``."""
        options = self.sim.field_meta("Deals", "Stage")["pick_list_values"]
        return [o["display_value"] for o in options
                if o.get("forecast_type") == forecast_type][nth]

    def forecast_type(self, stage: str) -> str | None:
        """What a Deal stage means in this org (Open, Closed Won, Closed Lost)."""
        options = self.sim.field_meta("Deals", "Stage")["pick_list_values"]
        return next((o.get("forecast_type") for o in options if o["display_value"] == stage),
                    None)

    def add_books(self, name: str, *, customers: int = 12, invoices: int = 8, seed: int = 3,
                  lines: int = 3, address: dict[str, str] | None = None) -> Books:
        qb = QuickBooksSimulator(rf"C:\QB\{name}.qbw", company_name=name, clock=self.clock,
                                 sleep=lambda s: None, company_address=address,
                                 local_time_offset=QB_CLOCK_SKEW,
                                 clock_drift_per_day=QB_CLOCK_DRIFT)
        start = self.clock.now
        self.clock.advance(days=-2)
        seed_company(qb, customers=customers, invoices=invoices, lines_per_invoice=lines,
                     seed=seed)
        self.clock.now = start
        company = add_company(self.db, name, name.lower(), PASSWORD, company_file=qb.company_file)
        self.books[name] = Books(name, qb, company)
        return self.books[name]

    def session(self, name: str) -> Run:
        self.clock.advance(minutes=5)
        return run_session(self.service, self.books[name].qb, name.lower(), PASSWORD)

    def client_options(self) -> dict[str, Any]:
        if not self.in_process:
            return {"retry": FAST}
        return {"transport": self.sim.api_transport(),
                "accounts_transport": self.sim.accounts_transport(), "retry": FAST,
                "clock": self.clock}

    def run_env(self) -> runs.RunEnv:
        """The run layer's environment, with this world's Zoho transports and clock."""

        def connect(name: str) -> ZohoClient:
            return open_client(self.settings, self.db, self.secrets, name=name,
                               **self.client_options())

        return runs.RunEnv(self.settings, self.db, connect, clock=self.clock)

    def run(self, name: str) -> runs.RunResult:
        self.clock.advance(seconds=30)
        return runs.sync_quickbooks(self.run_env(), name)

    def sync(self, name: str) -> AuditSummary:
        """One audited run; a run that stopped raises what stopped it, as a flow task does."""
        result = self.run(name)
        if result.error is not None:
            raise result.error
        return result.summary

    def unprocessed(self) -> list[RawResponse]:
        with self.db.session() as s:
            return list(s.exec(select(RawResponse)
                               .where(col(RawResponse.processed_at).is_(None))
                               .order_by(col(RawResponse.id))).all())

    def forget_watermarks(self) -> None:
        """The next session reads everything again, as a replayed first load would."""
        with self.db.session() as s:
            for mark in s.exec(select(Watermark)).all():
                s.delete(mark)

    def reprocess_all(self) -> None:
        with self.db.session() as s:
            s.execute(update(RawResponse).values(processed_at=None))

    def records(self, module: str) -> list[dict[str, Any]]:
        """The org's records of ``module``; none when the org lacks the module (Standard
        edition has no Invoices)."""
        return self.sim.records(module) if module in self.sim.modules else []


def connect_zoho(db: Database, secrets: SecretBox, sim: ZohoSimulator,
                 clock: Callable[[], Any], accounts_url: str | None = None) -> None:
    """Store a connection the way `zoho connect --grant-code` does (over HTTP when the
    simulator is served at ``accounts_url``)."""
    endpoint = (TokenEndpoint(OAuthApp(accounts_url, CLIENT_ID, SECRET), retry=FAST)
                if accounts_url else endpoint_for(sim, clock))
    grant = endpoint.exchange_code(sim.grant_code(CLIENT_ID, scope=SCOPE))
    endpoint.close()
    assert grant.refresh_token
    save_connection(db, secrets, NewConnection(
        app=endpoint.app, region=None, refresh_token=grant.refresh_token, grant=grant,
        org_id=sim.org_id, edition=sim.edition))


def make_world(db: Database, settings: Settings, *, profile: str = "default",
               configure: bool = True, **sim_options: Any) -> World:
    """The world on a Zoho org of ``profile``; ``configure`` does what ping asks of the user
    for that org (fixed values for mandatory fields nothing feeds)."""
    clock = Clock()
    tuned = settings.model_copy(update={"min_poll_seconds": 0, "max_returned_customers": 5,
                                        "max_returned_invoices": 4, "sync_chunk_responses": 4})
    sim = ZohoSimulator(clock=clock, profile=profile, **sim_options)
    sim.register_client(CLIENT_ID, SECRET)
    add_key_fields(sim)
    secrets = SecretBox.from_settings(tuned)
    connect_zoho(db, secrets, sim, clock)
    if configure and profile in PROFILE_SETUP:
        connection_id = load_connection(db).id
        assert connection_id is not None
        save_overrides(db, connection_id, PROFILE_SETUP[profile], now=utcnow())
    return World(db, tuned, secrets, clock, sim, QbwcService(db, tuned, clock=clock))


@pytest.fixture
def served_world(db: Database, settings: Settings,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Zoho served over real HTTP on 127.0.0.1 (real clock), and the ``MLC_`` environment
    pointing at the test database, as the CLI and the Prefect flows read it."""
    sim = ZohoSimulator()
    sim.register_client(CLIENT_ID, SECRET)
    add_key_fields(sim)
    tuned = settings.model_copy(update={"min_poll_seconds": 0, "max_returned_customers": 5,
                                        "max_returned_invoices": 4, "sync_chunk_responses": 4})
    secrets = SecretBox.from_settings(tuned)
    assert tuned.secret_key is not None
    for name, value in (("DATABASE_URL", tuned.resolved_database_url),
                        ("DATA_DIR", str(tuned.data_dir)),
                        ("SECRET_KEY", tuned.secret_key.get_secret_value()),
                        ("ZOHO_TIMEOUT_SECONDS", "10")):
        monkeypatch.setenv(f"MLC_{name}", value)
    with sim.serve() as urls:
        connect_zoho(db, secrets, sim, Clock(), accounts_url=urls.accounts_url)
        clock = Clock()
        yield World(db, tuned, secrets, clock, sim, QbwcService(db, tuned, clock=clock),
                    in_process=False)
    sim.close()


@pytest.fixture
def world(db: Database, settings: Settings, profile: str) -> Iterator[World]:
    made = make_world(db, settings, profile=profile)
    yield made
    made.sim.close()


@pytest.fixture
def acme(world: World) -> Books:
    books = world.add_books("Acme")
    world.session("Acme")
    return books


def by_qb_id(world: World, module: str) -> dict[str, dict[str, object]]:
    return {parse_key(str(r[QBD_KEY])).qb_id: r for r in world.records(module)}


def delete_some(acme: Books) -> tuple[str, str, str]:
    """An invoice, an unused product and a customer without invoices, deleted in QuickBooks."""
    company = acme.qb.company
    invoice = next(iter(company.invoices))
    company.delete_invoice(invoice)
    used = {line.fields.get("ItemRef") for inv in company.invoices.values() for line in inv.lines}
    books = read_books(acme.qb)
    item = next(i for i in books.items if is_product(i) and i.list_id not in used)
    customer = next(c for c in books.customers if not c.is_job
                    and c.list_id not in {i.customer.list_id for i in books.invoices}
                    and not any(j.parent and j.parent.list_id == c.list_id
                                for j in books.customers))
    company.delete_item(item.list_id)
    company.delete_customer(customer.list_id)
    return invoice, item.list_id, customer.list_id

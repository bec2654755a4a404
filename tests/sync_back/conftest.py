"""The whole loop for the Zoho -> QuickBooks tests, on the simulators, with one clock.

A small QuickBooks company is read through the QBWC service and synced to a simulated Zoho
org by the real ``qb_to_zoho`` (which makes the links); a notification channel points the
org's callbacks at the bridge (in-process); ``zoho_to_qb`` turns them into Mods; the next
Web Connector session hands those to the QuickBooks simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from connector import runs
from connector.audit import AuditEvent, AuditSummary, run_events
from connector.config import Settings
from connector.mapping.keys import parse_key
from connector.notify import watch
from connector.qbwc import add_company
from connector.sandbox.qbd import ListRecord, QuickBooksSimulator
from connector.store import Database, QueuedRequest, RecordLink, RequestKind, WriteBack
from connector.zoho.connection import load_connection, open_client
from connector.zoho.fields import QBD_KEY
from soap_bridge.app import create_app
from tests.qbwc.driver import Run
from tests.sync.conftest import (
    PASSWORD,
    QB_CLOCK_DRIFT,
    QB_CLOCK_SKEW,
    Books,
    World,
    make_world,
)

NAME = "Acme"


class Loop:
    """The test world plus what the Zoho -> QuickBooks direction adds to it."""

    def __init__(self, world: World, books: Books) -> None:
        self.world, self.books = world, books
        self.db, self.sim, self.clock = world.db, world.sim, world.clock
        self.connection_id = load_connection(self.db).id

    @property
    def qb(self) -> QuickBooksSimulator:
        return self.books.qb

    def client(self) -> Any:
        return open_client(self.world.settings, self.db, self.world.secrets,
                           **self.world.client_options())

    def session(self) -> Run:
        return self.world.session(NAME)

    def sync(self) -> AuditSummary:
        summary = self.world.sync(NAME)
        assert self.sim.wait_for_notifications()
        return summary

    def sync_back(self, *, company: str | None = None) -> AuditSummary:
        assert self.sim.wait_for_notifications()
        self.clock.advance(seconds=30)
        result = runs.sync_back(self.world.run_env(), "default", company)
        if result.error is not None:
            raise result.error
        return result.summary

    def zoho_id(self, module: str, list_id: str) -> str:
        for record in self.sim.records(module):
            if record.get(QBD_KEY) and parse_key(record[QBD_KEY]).qb_id == list_id:
                return str(record["id"])
        raise KeyError(f"no {module} record for {list_id}")

    def customer(self, name: str) -> ListRecord:
        return self.qb.company.customer(name)

    def link(self, qb_type: str, qb_id: str) -> RecordLink:
        with self.db.session() as s:
            return s.exec(select(RecordLink).where(RecordLink.qb_type == qb_type)
                          .where(RecordLink.qb_id == qb_id)).one()

    def write_backs(self) -> list[WriteBack]:
        with self.db.session() as s:
            return list(s.exec(select(WriteBack).order_by(col(WriteBack.id))).all())

    def writes_queued(self) -> list[QueuedRequest]:
        with self.db.session() as s:
            return list(s.exec(select(QueuedRequest).where(QueuedRequest.kind == RequestKind.WRITE)
                               .order_by(col(QueuedRequest.id))).all())

    def events(self, summary: AuditSummary) -> list[AuditEvent]:
        return run_events(self.db, summary.run_id)


def typed_row(row: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A Zoho Invoice row as a salesperson sends it back from Zoho's screen: its id and what
    they typed."""
    return {"id": row["id"], "Product_Name": {"id": row["Product_Name"]["id"]},
            "Quantity": row["Quantity"], "List_Price": row["List_Price"],
            "Description": row.get("Description"), **changes}


def _books(world: World) -> Books:
    qb = QuickBooksSimulator(r"C:\QB\Acme.qbw", company_name=NAME, clock=world.clock,
                             sleep=lambda s: None, local_time_offset=QB_CLOCK_SKEW,
                             clock_drift_per_day=QB_CLOCK_DRIFT)
    company = qb.company
    with qb.clock.at(world.clock.now.replace(year=2025)):
        for name, first, last, phone in (("Acme Rockets", "Wile", "Coyote", "555-0100"),
                                         ("Bolt Bikes", "Rita", "Bolt", "555-0200")):
            company.add_customer(name, CompanyName=name, FirstName=first, LastName=last,
                                 Phone=phone, Email=f"{last.lower()}@example.com",
                                 BillAddress={"Addr1": name, "Addr2": "1 Main St",
                                              "City": "Springfield", "PostalCode": "12345"})
        company.add_item("ItemService", "Consulting", SalesTaxCodeRef="Non",
                         SalesOrPurchase={"Desc": "Consulting", "Price": Decimal("100.00"),
                                          "AccountRef": "Services"})
        company.add_invoice("Acme Rockets", [{"ItemRef": "Consulting", "Quantity": Decimal(3)}],
                            RefNumber="1001")
    row = add_company(world.db, NAME, NAME.lower(), PASSWORD, company_file=qb.company_file)
    world.books[NAME] = Books(NAME, qb, row)
    return world.books[NAME]


@pytest.fixture
def loop(db: Database, settings: Settings, profile: str) -> Iterator[Loop]:
    holder: dict[str, World] = {}
    # Late-bound: the world is made after the app it notifies.
    app = create_app(settings, db=db, clock=lambda: holder["world"].clock())  # noqa: PLW0108
    world = holder["world"] = make_world(db, settings, profile=profile,
                                         notify_transport=httpx.WSGITransport(app=app))
    books = _books(world)
    made = Loop(world, books)
    with made.client() as client:
        watch(db, client, notify_url="http://bridge.test/zoho/notify",
              connection_id=made.connection_id, now=world.clock(),
              lifetime=settings.channel_lifetime)
    made.session()
    made.sync()
    yield made
    world.sim.close()

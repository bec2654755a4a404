"""Realistic QuickBooks records for the mapping tests: a seeded simulated company, read back
through the same builders and parser the connector uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from connector.qbxml import Customer, Invoice, Item, builders, iter_records
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.sandbox.zoho import ZohoSimulator
from connector.zoho.metadata import FieldInfo, ModuleMeta, OrgMeta

SCOPE = "0f8fad5b-d9cb-469f-a165-70867728950e"


@dataclass
class Books:
    customers: list[Customer]
    items: list[Item]
    invoices: list[Invoice]

    def customer(self, list_id: str) -> Customer:
        return next(c for c in self.customers if c.list_id == list_id)


def read_books(qb: QuickBooksSimulator) -> Books:
    def read(xml: str) -> list[object]:
        return list(iter_records(qb.handle(xml)))

    qb.begin_session()
    try:
        customers = read(builders.customer_query("1", iterator=False, max_returned=1000))
        items = read(builders.item_query("2", iterator=False, max_returned=1000))
        invoices = read(builders.invoice_query("3", iterator=False, max_returned=1000))
    finally:
        qb.end_session()
    return Books([c for c in customers if isinstance(c, Customer)],
                 [i for i in items if isinstance(i, Item)],
                 [i for i in invoices if isinstance(i, Invoice)])


@pytest.fixture(scope="module")
def books() -> Books:
    start = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
    qb = QuickBooksSimulator(clock=lambda: start, sleep=lambda s: None)
    seed_company(qb, customers=40, invoices=24, lines_per_invoice=4, seed=7)
    return read_books(qb)


def org_meta(profile: str = "default") -> OrgMeta:
    """The fields metadata a simulated org of ``profile`` serves, as the connector reads it."""
    sim = ZohoSimulator(profile=profile)
    try:
        return OrgMeta({m: ModuleMeta(m, {f: FieldInfo.from_zoho(sim.field_meta(m, f))
                                         for f in sim.fields(m)}) for m in sim.modules},
                       datetime(2026, 1, 5, tzinfo=UTC))
    finally:
        sim.close()

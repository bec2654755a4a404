"""Round trips through the QuickBooks simulator: what we build, it accepts and answers, and
what it answers, we read back with every field intact."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connector.qbxml import (
    Address,
    CompanyInfo,
    Customer,
    CustomerInput,
    DeletedListRecord,
    DeletedTxnRecord,
    HostInfo,
    Invoice,
    Item,
    Record,
    Ref,
    ResponseStatus,
    ResponseStream,
    StatusKind,
    continue_iterator,
    customer_mod,
    customer_query,
    customer_query_by_id,
    host_company_query,
    invoice_query,
    invoice_query_by_id,
    item_query,
    list_deleted_query,
    read_statuses,
    txn_deleted_query,
)
from connector.sandbox.qbd import QuickBooksSimulator

START = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
NAME_41 = "Ærø Ŝkövde Łódź Handelsgesellschaft mbH 4"  # exactly 41 characters
FULL = CustomerInput(
    name=NAME_41, company_name="Ærø & Łódź GmbH", salutation="Frau", first_name="Zoë",
    middle_name="Ł", last_name="Nørgaard-Šimić", job_title="Einkäuferin",
    bill_address=Address(addr1="Königstraße 41 – Hinterhaus, 3. Stock xx", addr2="c/o Œuvre",
                         city="Łódź", state="Łódzkie", postal_code="90-001", country="Polska",
                         note="Tor ☃"),
    ship_address=Address(addr1="Lager Süd", city="Köln", postal_code="50667"),
    phone="+48 42 000 00 00", alt_phone="+48 42 000 00 01", fax="+48 42 000 00 02",
    email="zoë@example.com", cc="łukasz@example.com", contact="Zoë Nørgaard",
    alt_contact="Łukasz", account_number="A-41", notes="Zahlt pünktlich – ★★★")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def qb() -> QuickBooksSimulator:
    simulator = QuickBooksSimulator(clock=Clock(), sleep=lambda seconds: None)
    simulator.begin_session()
    return simulator


Exchange = Callable[[str], tuple[list[Record], list[ResponseStatus]]]
USABLE = (StatusKind.OK, StatusKind.NO_MATCH, StatusKind.WARNING)


@pytest.fixture
def exchange(qb: QuickBooksSimulator) -> Exchange:
    def send(request: str) -> tuple[list[Record], list[ResponseStatus]]:
        stream = ResponseStream(qb.handle(request))
        records = list(stream)
        assert all(status.kind in USABLE for status in stream.statuses), stream.statuses
        return records, stream.statuses
    return send


def _expected(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]


def _customer(qb: QuickBooksSimulator, exchange: Exchange, name: str) -> Customer:
    """A customer someone typed into QuickBooks, as our re-read by ListID returns it."""
    record = qb.company.add_customer(name)
    (found,), _ = exchange(customer_query_by_id("r-1", record.list_id))
    assert isinstance(found, Customer)
    return found


def _mod(exchange: Exchange, customer: Customer, changes: CustomerInput) -> Customer:
    (modified,), _ = exchange(customer_mod("mod-1", customer.list_id, customer.edit_sequence,
                                           changes))
    assert isinstance(modified, Customer)
    return modified


def test_customer_mod_then_query_preserves_every_field(qb: QuickBooksSimulator,
                                                        exchange: Exchange) -> None:
    added = _mod(exchange, _customer(qb, exchange, "Neukunde"), FULL)
    (queried,), _ = exchange(customer_query("q-1", iterator=False))
    assert isinstance(added, Customer) and queried == added
    assert added.name == added.full_name == NAME_41 and len(NAME_41) == 41
    for field in ("company_name", "salutation", "first_name", "middle_name", "last_name",
                  "job_title", "phone", "alt_phone", "fax", "email", "cc", "contact",
                  "alt_contact", "account_number", "notes"):
        assert getattr(added, field) == getattr(FULL, field), field
    assert added.bill_address == FULL.bill_address
    assert added.ship_address == FULL.ship_address
    assert added.is_active and not added.is_job
    assert added.time_created.tzinfo is not None and added.edit_sequence


def test_text_over_the_limits_arrives_truncated_as_warned(qb: QuickBooksSimulator,
                                                          exchange: Exchange) -> None:
    long = CustomerInput(name="N" * 41 + "Ł", first_name="Zoë" * 10,
                         bill_address=Address(addr1="Ŝ" * 42, city="C" * 40))
    bare = _customer(qb, exchange, "Neukunde")
    request = customer_mod("mod-1", bare.list_id, bare.edit_sequence, long)
    (added,), _ = exchange(request)
    assert isinstance(added, Customer)
    assert added.name == "N" * 41
    assert added.first_name == _expected(long.first_name, 25)
    assert added.bill_address == Address(addr1="Ŝ" * 41, city="C" * 31)
    assert {w.field for w in request.warnings if w.kind == "truncated"} == {
        "CustomerMod/Name", "CustomerMod/FirstName", "CustomerMod/BillAddress/Addr1",
        "CustomerMod/BillAddress/City"}


def test_a_customer_moved_under_another_comes_back_as_its_job(qb: QuickBooksSimulator,
                                                              exchange: Exchange) -> None:
    parent = _customer(qb, exchange, "Müller GmbH")
    job = _mod(exchange, _customer(qb, exchange, "Bürobau 2026"),
               CustomerInput(parent=Ref(list_id=parent.list_id)))
    assert job.is_job and job.sublevel == 1
    assert job.parent == Ref(list_id=parent.list_id, full_name="Müller GmbH")
    assert job.full_name == "Müller GmbH:Bürobau 2026"


def test_customer_mod_changes_fields_and_bumps_edit_sequence(qb: QuickBooksSimulator,
                                                             exchange: Exchange) -> None:
    added = _mod(exchange, _customer(qb, exchange, "Neukunde"), FULL)
    modified = _mod(exchange, added, CustomerInput(email="neu@example.com", phone="",
                                                   is_active=False))
    assert (modified.email, modified.phone, modified.is_active) == (
        "neu@example.com", None, False)
    assert modified.first_name == FULL.first_name
    assert modified.edit_sequence != added.edit_sequence
    assert modified.time_modified > added.time_modified


def test_stale_edit_sequence_answers_3200(qb: QuickBooksSimulator, exchange: Exchange) -> None:
    added = _customer(qb, exchange, "Acme")
    _mod(exchange, added, CustomerInput(phone="1"))
    (stale,) = read_statuses(qb.handle(customer_mod("mod-2", added.list_id, added.edit_sequence,
                                                    CustomerInput(phone="2"))))
    assert (stale.status_code, stale.kind) == (3200, StatusKind.STALE)


def test_iterators_continue_until_nothing_remains(qb: QuickBooksSimulator,
                                                  exchange: Exchange) -> None:
    for n in range(5):
        qb.company.add_customer(f"Kunde {n}")
    request = customer_query("it-1", max_returned=2)
    names: list[str] = []
    for page in range(1, 10):
        records, (status,) = exchange(request)
        names += [r.name for r in records if isinstance(r, Customer)]
        assert status.iterator_id and status.ret_count == len(records)
        if status.iterator_remaining == 0:
            break
        request = continue_iterator(request, iterator_id=status.iterator_id,
                                    request_id=f"it-{page + 1}")
    assert sorted(names) == [f"Kunde {n}" for n in range(5)] and page == 3


def test_an_iterator_from_a_closed_session_is_lost(qb: QuickBooksSimulator,
                                                   exchange: Exchange) -> None:
    for n in range(3):
        qb.company.add_customer(f"Kunde {n}")
    request = customer_query("it-1", max_returned=1)
    _, (status,) = exchange(request)
    qb.end_session()
    qb.begin_session()
    (lost,) = read_statuses(qb.handle(continue_iterator(
        request, iterator_id=status.iterator_id or "", request_id="it-2")))
    assert lost.kind is StatusKind.ITERATOR_LOST


def test_items_of_every_kind_read_back_with_their_prices(qb: QuickBooksSimulator,
                                                         exchange: Exchange) -> None:
    company = qb.company
    company.add_item("ItemService", "Beratung", SalesOrPurchase={
        "Desc": "Beratung je Stunde", "Price": Decimal("150.00"), "AccountRef": "Sales"})
    company.add_item("ItemInventory", "Widget", SalesDesc="Blaues Widget",
                     SalesPrice=Decimal("19.99"))
    company.add_item("ItemDiscount", "Treue", ItemDesc="Treuerabatt",
                     DiscountRatePercent=Decimal("10"))
    records, _ = exchange(item_query("i-1", iterator=False))
    items = {r.name: r for r in records if isinstance(r, Item)}
    assert (items["Beratung"].item_type, items["Beratung"].price,
            items["Beratung"].description) == ("Service", Decimal("150.00"), "Beratung je Stunde")
    assert (items["Widget"].price, items["Widget"].description) == (
        Decimal("19.99"), "Blaues Widget")
    assert items["Treue"].price_percent == Decimal("10")


def _invoice(qb: QuickBooksSimulator) -> str:
    company = qb.company
    customer = company.add_customer("Łódź Handel")
    company.add_item("ItemService", "Beratung", SalesOrPurchase={
        "Desc": "Beratung", "Price": Decimal("150.00"), "AccountRef": "Sales"})
    company.add_item("ItemNonInventory", "Kabel", SalesOrPurchase={
        "Desc": "Kabel", "Price": Decimal("4.10"), "AccountRef": "Sales"})
    invoice = company.add_invoice(customer.list_id, [
        {"ItemRef": "Beratung", "Quantity": Decimal("4"), "Rate": Decimal("150.00")},
        {"ItemRef": "Kabel", "Desc": "Kabel – 3 m", "Quantity": Decimal("3"),
         "Rate": Decimal("4.10")},
    ], RefNumber="INV-1", Memo="Phase 1 — Rohbau")
    return invoice.txn_id


def test_invoices_read_back_with_lines_and_decimal_amounts(qb: QuickBooksSimulator,
                                                           exchange: Exchange) -> None:
    txn_id = _invoice(qb)
    (invoice,), _ = exchange(invoice_query("v-1", iterator=False))
    assert isinstance(invoice, Invoice) and invoice.txn_id == txn_id
    assert invoice.customer.full_name == "Łódź Handel" and invoice.memo == "Phase 1 — Rohbau"
    assert [(ln.item.full_name if ln.item else None, ln.quantity, ln.amount)
            for ln in invoice.lines] == [("Beratung", Decimal("4"), Decimal("600.00")),
                                         ("Kabel", Decimal("3"), Decimal("12.30"))]
    assert invoice.subtotal == Decimal("612.30") and invoice.lines[1].desc == "Kabel – 3 m"


def test_an_invoice_is_read_back_by_its_txn_id(qb: QuickBooksSimulator,
                                               exchange: Exchange) -> None:
    txn_id = _invoice(qb)
    (invoice,), _ = exchange(invoice_query_by_id("r-1", txn_id))
    assert isinstance(invoice, Invoice) and invoice.txn_id == txn_id
    assert [ln.quantity for ln in invoice.lines] == [Decimal("4"), Decimal("3")]


def test_deletions_are_read_from_the_deleted_queries(qb: QuickBooksSimulator,
                                                     exchange: Exchange) -> None:
    txn_id = _invoice(qb)
    qb.company.delete_invoice(txn_id)
    qb.company.delete_item("Kabel")
    (txn,), _ = exchange(txn_deleted_query("d-1", from_deleted=START))
    assert isinstance(txn, DeletedTxnRecord) and (txn.txn_id, txn.ref_number) == (
        txn_id, "INV-1")
    records, _ = exchange(list_deleted_query("d-2", from_deleted=START))
    assert [(r.list_del_type, r.full_name) for r in records
            if isinstance(r, DeletedListRecord)] == [("ItemNonInventory", "Kabel")]


def test_host_and_company_name_the_open_file(exchange: Exchange) -> None:
    (host, company), statuses = exchange(host_company_query("h-1"))
    assert isinstance(host, HostInfo) and "13.0" in host.supported_qbxml_versions
    assert isinstance(company, CompanyInfo) and company.company_name == "Sample Co"
    assert [s.request_id for s in statuses] == ["h-1", "h-1"]

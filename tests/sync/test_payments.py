"""A payment closes the Deal as won whether or not QuickBooks touches the invoice.

Intuit does not say whether applying a payment moves the invoice's TimeModified; the simulator
can do either (``payments_touch_invoices``) and the connector must not care: it reads the
payments of every session and re-reads the invoices they apply to.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from connector.mapping.keys import parse_key
from connector.sandbox.qbd.records import Invoice as QbInvoice
from connector.store import PaymentApplication
from connector.zoho.fields import QBD_KEY

from .conftest import Books, World, zoho_writes

TOUCH = pytest.mark.parametrize("touches", [False, True], ids=["invoice-untouched",
                                                              "invoice-touched"])


def _deal(world: World, txn_id: str) -> dict[str, Any]:
    return next(r for r in world.records("Deals") if parse_key(r[QBD_KEY]).qb_id == txn_id)


def _open_invoices(acme: Books, n: int = 1) -> list[QbInvoice]:
    company = acme.qb.company
    found = [i for i in company.invoices.values() if company.totals(i).balance > 0]
    assert len(found) >= n
    return found[:n]


def _pay_in_full(acme: Books, *invoices: QbInvoice) -> str:
    company = acme.qb.company
    [customer] = {i.customer_id for i in invoices}
    payment = company.receive_payment(customer, {i.txn_id: company.totals(i).balance
                                                 for i in invoices})
    return payment.txn_id


def _stage_meaning(world: World, txn_id: str) -> str | None:
    return world.forecast_type(_deal(world, txn_id)["Stage"])


@pytest.mark.all_profiles
@TOUCH
def test_a_payment_closes_the_deal_in_the_orgs_won_stage(world: World, acme: Books,
                                                         touches: bool) -> None:
    acme.qb.company.payments_touch_invoices = touches
    world.sync("Acme")
    [invoice] = _open_invoices(acme)
    edit_sequence = invoice.edit_sequence
    assert _stage_meaning(world, invoice.txn_id) == "Open"
    world.clock.advance(minutes=20)
    _pay_in_full(acme, invoice)
    assert (invoice.edit_sequence != edit_sequence) is touches
    world.session("Acme")
    summary = world.sync("Acme")
    assert summary.counts["failed"] == 0, summary.markdown()
    assert _stage_meaning(world, invoice.txn_id) == "Closed Won"
    assert Decimal(str(_deal(world, invoice.txn_id)["Amount"])) == acme.qb.company.totals(
        invoice).subtotal + acme.qb.company.totals(invoice).tax_total


@TOUCH
def test_a_replayed_or_overlapping_payment_window_costs_no_zoho_writes(
        world: World, acme: Books, touches: bool) -> None:
    acme.qb.company.payments_touch_invoices = touches
    world.sync("Acme")
    _pay_in_full(acme, *_open_invoices(acme))
    world.session("Acme")
    world.sync("Acme")
    before = zoho_writes(world.sim)
    world.session("Acme")  # the overlap reads the payment (and its invoice) again
    overlapping = world.sync("Acme")
    world.forget_watermarks()
    world.session("Acme")  # a replay of everything, every payment and paid invoice included
    replayed = world.sync("Acme")
    assert zoho_writes(world.sim) == before
    assert overlapping.counts["failed"] == replayed.counts["failed"] == 0


def test_one_payment_for_two_invoices_closes_both_deals(world: World, acme: Books) -> None:
    world.sync("Acme")
    company = acme.qb.company
    first = _open_invoices(acme)[0]
    second = company.add_invoice(first.customer_id, [{"Desc": "more work", "Amount": 75}])
    world.session("Acme")
    world.sync("Acme")
    _pay_in_full(acme, first, second)
    world.session("Acme")
    world.sync("Acme")
    assert [_stage_meaning(world, i.txn_id) for i in (first, second)] == ["Closed Won"] * 2


def test_a_deleted_payment_reopens_the_deal(world: World, acme: Books) -> None:
    world.sync("Acme")
    [invoice] = _open_invoices(acme)
    payment = _pay_in_full(acme, invoice)
    world.session("Acme")
    world.sync("Acme")
    assert _stage_meaning(world, invoice.txn_id) == "Closed Won"
    world.clock.advance(hours=1)
    acme.qb.company.delete_payment(payment)
    world.session("Acme")
    summary = world.sync("Acme")
    assert summary.counts["failed"] == 0, summary.markdown()
    assert _stage_meaning(world, invoice.txn_id) == "Open"


def test_a_payment_moved_to_another_invoice_reopens_the_first(world: World,
                                                               acme: Books) -> None:
    world.sync("Acme")
    company = acme.qb.company
    [invoice] = _open_invoices(acme)
    payment = _pay_in_full(acme, invoice)
    world.session("Acme")
    world.sync("Acme")
    with world.db.session() as s:
        assert [a.invoice_id for a in s.exec(select(PaymentApplication)).all()
                if a.payment_id == payment] == [invoice.txn_id]
    # QuickBooks has no ReceivePaymentMod here: the bookkeeper deletes the payment and
    # enters it against a new invoice, in the same minute.
    other = company.add_invoice(invoice.customer_id, [{"Desc": "other", "Amount": 10}])
    company.delete_payment(payment)
    company.receive_payment(invoice.customer_id, {other.txn_id: Decimal(10)})
    world.session("Acme")
    world.sync("Acme")
    assert _stage_meaning(world, invoice.txn_id) == "Open"
    assert _stage_meaning(world, other.txn_id) == "Closed Won"


def test_a_paid_invoice_marks_the_zoho_invoice_with_the_orgs_paid_status(
        world: World, acme: Books) -> None:
    if not world.has_invoices:
        pytest.skip("the org has no Invoices module")
    # Zoho's default statuses have none meaning paid; this admin adds one (an org with its own
    # statuses may list it already).
    listed = [o["display_value"] for o in world.sim.field_meta(
        "Invoices", "Status")["pick_list_values"]]
    if "Paid" not in listed:
        world.sim.alter_field("Invoices", "Status", pick_list=[*listed, "Paid"])
    world.sync("Acme")
    [invoice] = _open_invoices(acme)
    _pay_in_full(acme, invoice)
    world.session("Acme")
    world.sync("Acme")
    zoho_invoice = next(r for r in world.records("Invoices")
                        if parse_key(r[QBD_KEY]).qb_id == invoice.txn_id)
    assert zoho_invoice["Status"] == "Paid"

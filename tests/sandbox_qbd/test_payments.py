"""Received payments: ReceivePaymentAdd / Query / TxnDel, and what they do to invoices.

Whether QuickBooks moves an invoice's TimeModified when a payment is applied is undocumented;
the simulator leaves it alone unless told otherwise, and both ways are exercised here.
"""

from __future__ import annotations

from decimal import Decimal

from connector.sandbox.qbd import QuickBooksSimulator
from connector.sandbox.qbd.records import Invoice

from .conftest import FakeClock
from .qbxml import ask_one, status


def _invoice(qb: QuickBooksSimulator, customer: str = "Acme", amount: int = 100,
             ref: str = "1") -> Invoice:
    if qb.company.find("Customer", customer) is None:
        qb.company.add_customer(customer)
    return qb.company.add_invoice(customer, [{"Desc": "work", "Amount": amount}], RefNumber=ref)


def _payment_add(customer: str, *applied: tuple[str, str], total: str | None = None) -> str:
    lines = "".join(f"<AppliedToTxnAdd><TxnID>{t}</TxnID><PaymentAmount>{a}</PaymentAmount>"
                    "</AppliedToTxnAdd>" for t, a in applied)
    amount = f"<TotalAmount>{total}</TotalAmount>" if total else ""
    return (f"<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>{customer}"
            f"</FullName></CustomerRef><RefNumber>P-1</RefNumber>{amount}{lines}"
            "</ReceivePaymentAdd></ReceivePaymentAddRq>")


def _invoice_ret(qb: QuickBooksSimulator, txn_id: str) -> dict[str, str]:
    reply = ask_one(qb, f"<InvoiceQueryRq><TxnID>{txn_id}</TxnID></InvoiceQueryRq>")
    ret = reply[0]
    return {tag: ret.findtext(tag) or "" for tag in
            ("TimeModified", "EditSequence", "BalanceRemaining", "IsPaid", "AppliedAmount")}


def test_receive_payment_add_applies_to_the_invoice_and_answers_the_ret(qb, clock):
    invoice = _invoice(qb)
    clock.advance(hours=1)
    reply = ask_one(qb, _payment_add("Acme", (invoice.txn_id, "100.00")))
    assert status(reply) == 0
    ret = reply[0]
    assert ret.tag == "ReceivePaymentRet"
    assert ret.findtext("TotalAmount") == "100.00"
    assert ret.findtext("UnusedPayment") == "0.00"
    applied = ret.find("AppliedToTxnRet")
    assert (applied.findtext("TxnID"), applied.findtext("TxnType"),
            applied.findtext("BalanceRemaining"), applied.findtext("Amount")) == (
        invoice.txn_id, "Invoice", "0.00", "100.00")
    seen = _invoice_ret(qb, invoice.txn_id)
    assert (seen["IsPaid"], seen["BalanceRemaining"], seen["AppliedAmount"]) == (
        "true", "0.00", "-100.00")


def test_by_default_a_payment_leaves_the_invoices_time_modified_and_edit_sequence(qb, clock):
    invoice = _invoice(qb)
    before = _invoice_ret(qb, invoice.txn_id)
    clock.advance(hours=1)
    qb.company.record_payment(invoice.txn_id, Decimal(100))
    after = _invoice_ret(qb, invoice.txn_id)
    assert (after["TimeModified"], after["EditSequence"]) == (
        before["TimeModified"], before["EditSequence"])
    assert after["IsPaid"] == "true"
    since = ask_one(qb, "<InvoiceQueryRq><ModifiedDateRangeFilter><FromModifiedDate>"
                        f"{qb.clock.format(clock.now)}</FromModifiedDate>"
                        "</ModifiedDateRangeFilter></InvoiceQueryRq>")
    assert status(since) == 1


def test_payments_touch_invoices_when_configured(clock: FakeClock):
    qb = QuickBooksSimulator(clock=clock, payments_touch_invoices=True)
    invoice = _invoice(qb)
    before = _invoice_ret(qb, invoice.txn_id)
    clock.advance(hours=1)
    qb.company.record_payment(invoice.txn_id, Decimal(100))
    after = _invoice_ret(qb, invoice.txn_id)
    assert after["TimeModified"] > before["TimeModified"]
    assert after["EditSequence"] != before["EditSequence"]


def test_receive_payment_query_by_modified_date_lists_applied_invoices(qb, clock):
    first, second = _invoice(qb, ref="1"), _invoice(qb, ref="2", amount=50)
    qb.company.receive_payment("Acme", {first.txn_id: Decimal(40)})
    clock.advance(days=1)
    mark = qb.clock.format(clock.now)
    late = qb.company.receive_payment("Acme", {first.txn_id: Decimal(60),
                                               second.txn_id: Decimal(50)}, RefNumber="P-9")
    reply = ask_one(qb, "<ReceivePaymentQueryRq><ModifiedDateRangeFilter><FromModifiedDate>"
                        f"{mark}</FromModifiedDate></ModifiedDateRangeFilter>"
                        "<IncludeLineItems>true</IncludeLineItems></ReceivePaymentQueryRq>")
    assert [r.findtext("TxnID") for r in reply] == [late.txn_id]
    assert [(a.findtext("TxnID"), a.findtext("BalanceRemaining"))
            for a in reply[0].iterfind("AppliedToTxnRet")] == [
        (first.txn_id, "0.00"), (second.txn_id, "0.00")]


def test_auto_apply_pays_the_oldest_open_invoices_first(qb, clock):
    first, second = _invoice(qb, ref="1"), _invoice(qb, ref="2")
    payment = qb.company.receive_payment("Acme", auto_apply=True, TotalAmount=Decimal(150))
    assert payment.applied == {first.txn_id: Decimal(100), second.txn_id: Decimal(50)}


def test_deleting_a_payment_reopens_the_invoice_and_lists_the_deletion(qb, clock):
    invoice = _invoice(qb)
    reply = ask_one(qb, _payment_add("Acme", (invoice.txn_id, "100.00")))
    payment_id = reply[0].findtext("TxnID")
    clock.advance(hours=1)
    gone = ask_one(qb, "<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType>"
                       f"<TxnID>{payment_id}</TxnID></TxnDelRq>")
    assert status(gone) == 0
    assert _invoice_ret(qb, invoice.txn_id)["IsPaid"] == "false"
    deleted = ask_one(qb, "<TxnDeletedQueryRq><TxnDelType>ReceivePayment</TxnDelType>"
                          "</TxnDeletedQueryRq>")
    assert [(r.findtext("TxnDelType"), r.findtext("TxnID")) for r in deleted] == [
        ("ReceivePayment", payment_id)]


def test_a_payment_for_another_customers_invoice_is_refused(qb):
    invoice = _invoice(qb)
    qb.company.add_customer("Bolt")
    reply = ask_one(qb, _payment_add("Bolt", (invoice.txn_id, "10.00")))
    assert status(reply) == 3140


def test_unmodelled_application_details_are_refused_not_dropped(qb):
    element = "<TxnLineDetail><TxnLineID>1</TxnLineID><Amount>1.00</Amount></TxnLineDetail>"
    invoice = _invoice(qb)
    request = _payment_add("Acme", (invoice.txn_id, "10.00")).replace(
        "</PaymentAmount>", f"</PaymentAmount>{element}")
    assert status(ask_one(qb, request)) == 1030


def test_payments_survive_a_save_and_load(tmp_path, clock):
    state = tmp_path / "company.json"
    qb = QuickBooksSimulator(clock=clock, state_file=state)
    invoice = _invoice(qb)
    qb.company.record_payment(invoice.txn_id, Decimal(30))
    qb.save()
    again = QuickBooksSimulator(clock=clock, state_file=state)
    [kept] = again.company.payments.values()
    assert kept.applied == {invoice.txn_id: Decimal(30)}
    assert again.company.totals(again.company.invoices[invoice.txn_id]).balance == Decimal(70)

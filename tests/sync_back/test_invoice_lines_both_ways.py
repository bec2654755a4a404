"""Invoice lines both ways (opt-in): a Zoho Invoice's line edits become an InvoiceMod that
keeps every other line, survives a stale EditSequence, and brings QuickBooks' new totals back
to the Deal and the Zoho Invoice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.qbxml.schema import validate
from connector.reviews import list_reviews
from connector.store import InvoiceLinesPolicy, WriteBackState
from connector.sync.policy import set_policy
from connector.xmlsafe import parse_xml
from connector.zoho.invoices import INVOICED_ITEMS

from .conftest import Loop, typed_row


def _opt_in(loop: Loop) -> None:
    set_policy(loop.db, "Acme", invoice_lines=InvoiceLinesPolicy.BOTH_WAYS)


def _txn(loop: Loop) -> str:
    [invoice] = loop.qb.company.invoices.values()
    return invoice.txn_id


def _zoho_rows(loop: Loop) -> list[dict[str, Any]]:
    invoice = loop.sim.record("Invoices", loop.zoho_id("Invoices", _txn(loop)))
    return list(invoice[INVOICED_ITEMS])


def _edit_lines(loop: Loop, rows: list[dict[str, Any]]) -> None:
    loop.sim.edit_record("Invoices", loop.zoho_id("Invoices", _txn(loop)), Invoiced_Items=rows)


def _deal_amount(loop: Loop) -> Decimal:
    return Decimal(str(loop.sim.record("Deals", loop.zoho_id("Deals", _txn(loop)))["Amount"]))


def _qb_lines(loop: Loop) -> list[tuple[str, Decimal, Decimal]]:
    invoice = loop.qb.company.invoices[_txn(loop)]
    return [(line.txn_line_id, line.fields["Quantity"], line.fields["Amount"])
            for line in invoice.lines]


def test_a_line_edited_and_one_added_in_zoho_amend_the_quickbooks_invoice(loop: Loop) -> None:
    _opt_in(loop)
    [row] = _zoho_rows(loop)
    [(kept_id, _, _)] = _qb_lines(loop)
    _edit_lines(loop, [typed_row(row, Quantity=5, List_Price=90),
                       {"Product_Name": {"id": row["Product_Name"]["id"]}, "Quantity": 1,
                        "List_Price": 10, "Description": "Travel"}])
    summary = loop.sync_back()
    [queued] = [e for e in loop.events(summary) if e.action == "queued"]
    assert queued.changed_fields == [INVOICED_ITEMS] and list_reviews(loop.db) == []
    [write] = loop.writes_queued()
    validate(parse_xml(write.qbxml))
    assert "<InvoiceModRq" in write.qbxml and f"<TxnLineID>{kept_id}</TxnLineID>" in write.qbxml
    assert "<TxnLineID>-1</TxnLineID>" in write.qbxml
    loop.session()
    lines = _qb_lines(loop)
    assert lines[0] == (kept_id, Decimal(5), Decimal("450.00"))  # the same line, amended
    assert lines[1][1:] == (Decimal(1), Decimal("10.00"))
    assert loop.qb.company.invoices[_txn(loop)].lines[1].fields["Desc"] == "Travel"
    settled = loop.sync_back()
    assert [e.action for e in loop.events(settled)] == ["updated"]
    assert loop.write_backs()[0].state == WriteBackState.APPLIED
    loop.sync()  # QuickBooks' new total reaches the Deal, its lines the Zoho Invoice
    assert _deal_amount(loop) == Decimal("460.00")
    assert [(Decimal(str(r["Quantity"])), Decimal(str(r["List_Price"])))
            for r in _zoho_rows(loop)] == [(Decimal(5), Decimal(90)), (Decimal(1), Decimal(10))]
    # Every echo after that is ours: nothing more goes to QuickBooks, nothing is restored.
    quiet = loop.sync_back()
    assert quiet.counts.get("conflicts", 0) == 0 and len(loop.writes_queued()) == 1


def test_a_line_removed_in_zoho_is_removed_and_the_other_kept(loop: Loop) -> None:
    _opt_in(loop)
    txn = _txn(loop)
    [(first_id, _, _)] = _qb_lines(loop)
    loop.qb.company.modify_invoice(txn, lines=[
        {"TxnLineID": first_id}, {"ItemRef": "Consulting", "Quantity": Decimal(2),
                                  "Desc": "Follow-up"}])
    loop.session()
    loop.sync()
    first, _ = _zoho_rows(loop)
    _edit_lines(loop, [typed_row(first)])
    loop.sync_back()
    loop.session()
    assert _qb_lines(loop) == [(first_id, Decimal(3), Decimal("300.00"))]
    loop.sync_back()
    loop.sync()
    assert _deal_amount(loop) == Decimal("300.00")


def test_a_stale_edit_sequence_re_reads_the_invoice_and_re_applies_the_lines(loop: Loop) -> None:
    _opt_in(loop)
    [row] = _zoho_rows(loop)
    _edit_lines(loop, [typed_row(row, Quantity=4)])
    loop.sync_back()
    loop.qb.company.modify_invoice(_txn(loop), Memo="checked by Anna")  # the bookkeeper
    loop.session()  # 3200: the invoice is read again
    assert _qb_lines(loop)[0][1] == Decimal(3)
    retried = loop.sync_back()
    assert [e.action for e in loop.events(retried)] == ["requeued"]
    [back] = loop.write_backs()
    assert back.state == WriteBackState.QUEUED and back.attempts == 2
    loop.session()
    invoice = loop.qb.company.invoices[_txn(loop)]
    assert invoice.fields["Memo"] == "checked by Anna"
    assert _qb_lines(loop)[0][1:] == (Decimal(4), Decimal("400.00"))
    loop.sync_back()
    loop.sync()
    assert _deal_amount(loop) == Decimal("400.00")


def test_a_row_whose_product_has_no_quickbooks_item_is_restored_for_review(loop: Loop) -> None:
    _opt_in(loop)
    [row] = _zoho_rows(loop)
    sold_in_zoho = loop.sim.create_record("Products", Product_Name="Gift wrap", Unit_Price=5)
    _edit_lines(loop, [typed_row(row), {"Product_Name": {"id": sold_in_zoho["id"]},
                                        "Quantity": 1, "List_Price": 5}])
    summary = loop.sync_back()
    assert loop.writes_queued() == [] and summary.counts["conflicts"] == 1
    assert len(_zoho_rows(loop)) == 1  # the rows QuickBooks has are back
    [review] = list_reviews(loop.db)
    assert "Gift wrap has no QuickBooks item" in review.reason


def test_a_second_edit_before_quickbooks_polls_replaces_the_first(loop: Loop) -> None:
    _opt_in(loop)
    [row] = _zoho_rows(loop)
    _edit_lines(loop, [typed_row(row), {"Product_Name": {"id": row["Product_Name"]["id"]},
                                        "Quantity": 1, "List_Price": 10}])
    loop.sync_back()
    first, added = _zoho_rows(loop)
    _edit_lines(loop, [typed_row(first, Quantity=2), typed_row(added)])
    loop.sync_back()
    assert [w.state for w in loop.write_backs()] == [WriteBackState.SUPERSEDED,
                                                     WriteBackState.QUEUED]
    loop.session()
    # One added line, not two: the second Mod holds the first change too.
    assert [line[1:] for line in _qb_lines(loop)] == [(Decimal(2), Decimal("200.00")),
                                                      (Decimal(1), Decimal("10.00"))]


def test_an_edit_while_an_earlier_one_is_with_quickbooks_waits_for_review(loop: Loop) -> None:
    _opt_in(loop)
    [row] = _zoho_rows(loop)
    _edit_lines(loop, [typed_row(row, Quantity=4)])
    loop.sync_back()
    loop.session()  # QuickBooks applied it; the sync has not written its lines back yet
    [row] = _zoho_rows(loop)
    _edit_lines(loop, [typed_row(row, Quantity=7)])
    loop.sync_back()
    assert len(loop.writes_queued()) == 1
    [review] = list_reviews(loop.db)
    assert "an earlier change of these lines is on its way to QuickBooks" in review.reason
    loop.sync()
    assert _deal_amount(loop) == Decimal("400.00")
    assert [Decimal(str(r["Quantity"])) for r in _zoho_rows(loop)] == [Decimal(4)]


def test_a_foreign_currency_invoice_keeps_its_lines_in_quickbooks(loop: Loop) -> None:
    _opt_in(loop)
    loop.qb.company.modify_invoice(_txn(loop), ExchangeRate=Decimal("1.08"))
    loop.session()
    loop.sync()
    [row] = _zoho_rows(loop)
    _edit_lines(loop, [typed_row(row, Quantity=4)])
    loop.sync_back()
    assert loop.writes_queued() == []
    assert [Decimal(str(r["Quantity"])) for r in _zoho_rows(loop)] == [Decimal(3)]
    [review] = list_reviews(loop.db)
    assert "whose prices the connector does not take back from Zoho" in review.reason

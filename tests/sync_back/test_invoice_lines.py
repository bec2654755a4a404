"""Zoho Invoice lines: QuickBooks owns them by default (restored, raised for review); a
company that opts in to "invoice lines both ways" has them written into QuickBooks."""

from __future__ import annotations

from decimal import Decimal

from connector.reviews import list_reviews
from connector.zoho.invoices import INVOICED_ITEMS

from .conftest import Loop, typed_row


def _invoice(loop: Loop) -> str:
    [invoice] = loop.qb.company.invoices.values()
    return loop.zoho_id("Invoices", invoice.txn_id)


def _rows(loop: Loop, zoho_id: str) -> list[tuple[str, Decimal, Decimal]]:
    rows = loop.sim.record("Invoices", zoho_id)[INVOICED_ITEMS]
    return [(str(r["Product_Name"]["id"]), Decimal(str(r["Quantity"])),
             Decimal(str(r["List_Price"]))) for r in rows]


def test_an_invoice_line_edited_in_zoho_is_restored_and_raised_for_review(loop: Loop) -> None:
    zoho_id = _invoice(loop)
    written = _rows(loop, zoho_id)
    [row] = loop.sim.record("Invoices", zoho_id)[INVOICED_ITEMS]
    product = loop.zoho_id("Products", loop.qb.company.item("Consulting").list_id)
    loop.sim.edit_record("Invoices", zoho_id, Invoiced_Items=[
        typed_row(row, Quantity=5, List_Price=90),
        {"Product_Name": {"id": product}, "Quantity": 1, "List_Price": 10}])
    summary = loop.sync_back()
    assert _rows(loop, zoho_id) == written == [(product, Decimal(3), Decimal(100))]
    [conflict] = [e for e in loop.events(summary) if e.action == "conflict_qbd_won"]
    assert conflict.changed_fields == [INVOICED_ITEMS] and conflict.zoho_id == zoho_id
    # The audit keeps values short; the review item says it all.
    assert conflict.values is not None and conflict.values[INVOICED_ITEMS].startswith(
        "Zoho Consulting x5 @ 90.00 (Consulting); Consulting x1 @ 10.00 -> QuickBooks")
    [review] = list_reviews(loop.db)
    assert review.zoho_module == "Invoices" and review.candidates == [zoho_id]
    said = ("(1 row edited, 1 row added): Consulting x5 @ 90.00 (Consulting); Consulting x1 @ "
            "10.00; QuickBooks has Consulting x3 @ 100.00 (Consulting)")
    assert said in review.reason
    assert "QuickBooks owns money" in review.reason
    # The restore's own notification is our echo: nothing more, and nothing for QuickBooks.
    again = loop.sync_back()
    assert again.counts.get("conflicts", 0) == 0 and len(list_reviews(loop.db)) == 1
    assert loop.writes_queued() == []


def test_an_invoice_line_removed_in_zoho_is_restored(loop: Loop) -> None:
    [invoice] = loop.qb.company.invoices.values()
    [line] = invoice.lines
    loop.qb.company.modify_invoice(invoice.txn_id, lines=[
        {"TxnLineID": line.txn_line_id}, {"ItemRef": "Consulting", "Quantity": Decimal(1),
                                          "Desc": "Follow-up"}])
    loop.session()
    loop.sync()
    zoho_id = _invoice(loop)
    written = _rows(loop, zoho_id)
    first, _ = loop.sim.record("Invoices", zoho_id)[INVOICED_ITEMS]
    loop.sim.edit_record("Invoices", zoho_id, Invoiced_Items=[typed_row(first)])
    summary = loop.sync_back()
    assert len(written) == 2 and _rows(loop, zoho_id) == written
    [review] = list_reviews(loop.db)
    assert "1 row removed" in review.reason
    assert summary.counts["conflicts"] == 1


def test_an_edit_of_another_invoice_field_restores_nothing(loop: Loop) -> None:
    zoho_id = _invoice(loop)
    loop.sim.edit_record("Invoices", zoho_id, Terms_and_Conditions="Net 30")
    summary = loop.sync_back()
    assert summary.counts.get("conflicts", 0) == 0 and list_reviews(loop.db) == []

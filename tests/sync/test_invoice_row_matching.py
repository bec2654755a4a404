"""Telling a Zoho Invoice row a salesperson edited from one they added, by the rows written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.mapping.lines import WrittenLine
from connector.sync.invoice_lines import diff_lines, seen_rows
from connector.zoho.invoices import InvoiceLine


def _written(line_id: str, product: str, quantity: str, price: str,
             description: str | None = None) -> WrittenLine:
    return WrittenLine(line_id, f"item-{product}", product.title(),
                       InvoiceLine(product_id=product, quantity=Decimal(quantity),
                                   list_price=Decimal(price), description=description))


def _zoho(*rows: tuple[Any, ...]) -> dict[str, Any]:
    """A record as Zoho answers it: row ids, computed totals, numbers as JSON numbers."""
    return {"Invoiced_Items": [
        {"id": f"9{i}", "Product_Name": {"id": r[0], "name": r[0].title()}, "Quantity": r[1],
         "List_Price": r[2], "Total": r[1] * r[2], "Net_Total": r[1] * r[2], "Discount": 0,
         "Tax": 0, "Description": r[3] if len(r) > 3 else None}
        for i, r in enumerate(rows)]}


WRITTEN = [_written("L1", "consulting", "3", "100.00", "Consulting"),
           _written("L2", "design", "1", "50.00"),
           _written("L3", "consulting", "1", "100.00")]


def test_rows_as_written_are_no_change_whatever_zoho_adds_to_them() -> None:
    seen = seen_rows(_zoho(("consulting", 3.0, 100.0, "Consulting"), ("design", 1, 50),
                           ("consulting", 1, 100)))
    assert not diff_lines(WRITTEN, seen)


def test_a_row_of_the_same_product_with_other_values_is_an_edit_of_its_line() -> None:
    diff = diff_lines(WRITTEN, seen_rows(_zoho(("consulting", 3, 100, "Consulting"),
                                               ("design", 2, 45), ("consulting", 1, 100))))
    assert [(w.txn_line_id, s.row.quantity) for w, s in diff.edited] == [("L2", Decimal(2))]
    assert diff.added == [] and diff.removed == []


def test_an_untouched_twin_keeps_its_own_line_when_the_other_is_edited() -> None:
    # The second Consulting row changed; the first still holds what was written.
    diff = diff_lines(WRITTEN, seen_rows(_zoho(("consulting", 3, 100, "Consulting"),
                                               ("design", 1, 50), ("consulting", 4, 100))))
    assert [w.txn_line_id for w, _ in diff.edited] == ["L3"]


def test_a_swapped_product_is_a_removal_and_an_addition() -> None:
    diff = diff_lines(WRITTEN, seen_rows(_zoho(("consulting", 3, 100, "Consulting"),
                                               ("hosting", 1, 50), ("consulting", 1, 100))))
    assert [s.row.product_id for s in diff.added] == ["hosting"]
    assert [w.txn_line_id for w in diff.removed] == ["L2"] and diff.edited == []

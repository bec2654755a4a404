"""Invoice lines for Zoho's Invoices module (Professional edition and up).

The lines live in the ``Invoiced_Items`` subform: product, quantity, list price, and
optional discount, tax and description; Zoho computes each line's totals and the invoice's
Sub_Total and Grand_Total itself. Amounts are Decimal end to end: a float here would already
have lost cents before Zoho saw them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["INVOICED_ITEMS", "InvoiceLine", "invoiced_items"]

INVOICED_ITEMS = "Invoiced_Items"


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    product_id: str
    quantity: Decimal
    list_price: Decimal
    discount: Decimal | None = None
    tax: Decimal | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        for name in ("quantity", "list_price", "discount", "tax"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Decimal):
                raise TypeError(f"InvoiceLine.{name} must be a Decimal, not "
                                f"{type(value).__name__}: money never travels as float")

    def to_zoho(self) -> dict[str, Any]:
        row: dict[str, Any] = {"Product_Name": {"id": self.product_id},
                               "Quantity": self.quantity, "List_Price": self.list_price}
        optional = {"Discount": self.discount, "Tax": self.tax, "Description": self.description}
        row.update({k: v for k, v in optional.items() if v is not None})
        return row


def invoiced_items(lines: Sequence[InvoiceLine]) -> dict[str, list[dict[str, Any]]]:
    """The ``Invoiced_Items`` part of an Invoices record; Zoho needs at least one line."""
    if not lines:
        raise ValueError("a Zoho invoice needs at least one line in Invoiced_Items")
    return {INVOICED_ITEMS: [line.to_zoho() for line in lines]}

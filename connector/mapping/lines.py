"""QuickBooks invoice lines -> Zoho ``Invoiced_Items`` rows carrying their own discount and tax.

Zoho computes each row (Total = Quantity x List_Price, Net_Total = Total - Discount + Tax)
and the invoice (Grand_Total = the rows' Net_Total - Discount + Tax + Adjustment, with the
invoice-level fields). So Zoho shows discounts and tax where QuickBooks has them:

- A discount line (a negative line with no product) belongs, as in QuickBooks, to the line
  directly above it. When that line is a product row, the row carries the discount (up to
  its total); otherwise (a subtotal, a description line) the discount stays unplaced.
- Sales tax is spread over the taxable product rows in proportion to their net amount,
  exactly to the cent; tax with no taxable row to carry it stays at invoice level.
- What QuickBooks bills without a product (description lines with an amount, sales-tax items
  used as lines, unplaced discounts, rounding of quantity x rate) is the invoice's Adjustment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from connector.mapping.currency import CENT, Conversion
from connector.mapping.fields import clip
from connector.mapping.products import NON_TAXABLE_CODES
from connector.qbxml.models import Invoice, InvoiceLine
from connector.zoho.invoices import InvoiceLine as ZohoLine

__all__ = ["Rows", "WrittenLine", "invoice_rows", "spread", "written_lines"]

_ZERO = Decimal(0)


@dataclass
class _Row:
    source: InvoiceLine
    product_id: str
    quantity: Decimal
    list_price: Decimal
    description: str | None
    taxable: bool
    discount: Decimal = _ZERO
    tax: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.list_price).quantize(CENT)

    @property
    def net(self) -> Decimal:
        return self.total - self.discount

    def zoho(self) -> ZohoLine:
        return ZohoLine(product_id=self.product_id, quantity=self.quantity,
                        list_price=self.list_price, description=self.description,
                        discount=self.discount or None, tax=self.tax or None)


@dataclass(frozen=True)
class Rows:
    lines: list[ZohoLine]
    tax: Decimal  # sales tax no taxable row carries: the invoice's own Tax
    net: Decimal  # what Zoho adds up from the rows (their Net_Total)
    sources: tuple[InvoiceLine, ...] = ()  # the QuickBooks line of each row, in order


@dataclass(frozen=True)
class WrittenLine:
    """One ``Invoiced_Items`` row as the sync wrote it, with the QuickBooks line behind it."""

    txn_line_id: str
    item_id: str
    item_name: str
    row: ZohoLine

    def to_json(self) -> dict[str, Any]:
        r = self.row
        return {"txn_line_id": self.txn_line_id, "item_id": self.item_id,
                "item_name": self.item_name, "product_id": r.product_id,
                "quantity": str(r.quantity), "list_price": str(r.list_price),
                "discount": None if r.discount is None else str(r.discount),
                "tax": None if r.tax is None else str(r.tax), "description": r.description}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WrittenLine:
        def amount(name: str) -> Decimal | None:
            value = data.get(name)
            return None if value is None else Decimal(str(value))
        row = ZohoLine(product_id=str(data["product_id"]), quantity=Decimal(data["quantity"]),
                       list_price=Decimal(data["list_price"]), discount=amount("discount"),
                       tax=amount("tax"), description=data.get("description"))
        return cls(str(data["txn_line_id"]), str(data["item_id"]), str(data["item_name"]), row)


def spread(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``amount`` (in cents) over ``weights`` in proportion; the shares add up to it exactly
    (the cents left by rounding down go to the largest remainders)."""
    total = sum(weights, _ZERO)
    if not weights or total <= 0:
        return []
    sign = -1 if amount < 0 else 1
    cents = int((abs(amount) / CENT).to_integral_value())
    raw = [cents * w / total for w in weights]
    floors = [int(r.to_integral_value(rounding=ROUND_FLOOR)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - floors[i], reverse=True)
    for i in order[:cents - sum(floors)]:
        floors[i] += 1
    return [sign * CENT * n for n in floors]


def _price(line: InvoiceLine, quantity: Decimal) -> Decimal:
    """A list price (in cents) whose row total is the line's amount, where one exists."""
    amount = line.amount or _ZERO
    candidates = [line.rate.quantize(CENT)] if line.rate is not None and line.quantity else []
    candidates.append((amount / quantity).quantize(CENT))
    return next((p for p in candidates if (quantity * p).quantize(CENT) == amount),
                candidates[0])


def _row(line: InvoiceLine, product_id: str, money: Conversion) -> _Row:
    quantity = line.quantity if line.quantity not in (None, _ZERO) else Decimal(1)
    code = line.sales_tax_code.full_name if line.sales_tax_code else None
    return _Row(line, product_id, quantity, money.amount(_price(line, quantity)),
                clip(line.desc, 2000), taxable=code is not None and code not in NON_TAXABLE_CODES)


def _place_discount(above: _Row | None, amount: Decimal) -> None:
    if above is not None:
        above.discount += min(amount, max(above.net, _ZERO))


def invoice_rows(invoice: Invoice, products: Mapping[str, str], money: Conversion) -> Rows:
    """The rows of the Zoho invoice (none when no line names a synced product)."""
    rows: list[_Row] = []
    above: _Row | None = None
    for line in invoice.lines:
        product_id = products.get(line.item.list_id or "") if line.item else None
        if line.amount is None:
            continue
        if product_id:
            above = _row(line, product_id, money)
            rows.append(above)
        elif line.amount < 0:
            _place_discount(above, money.amount(-line.amount))
            above = None  # a second discount would belong to this discount line
        else:
            above = None
    tax = money.amount(invoice.sales_tax_total)
    taxable = [r for r in rows if r.taxable and r.net > 0]
    shares = spread(tax, [r.net for r in taxable])
    for row, share in zip(taxable, shares, strict=False):
        row.tax = share
    left = tax - sum(shares, _ZERO)
    return Rows([r.zoho() for r in rows], left,
                sum((r.net + r.tax for r in rows), _ZERO), tuple(r.source for r in rows))


def written_lines(rows: Rows) -> list[WrittenLine]:
    """``rows`` as the store keeps them once written: each with its QuickBooks line."""
    return [WrittenLine(line.txn_line_id, line.item.list_id or "" if line.item else "",
                        line.item.full_name or "" if line.item else "", row)
            for row, line in zip(rows.lines, rows.sources, strict=True)]

"""Invoices: defaults QuickBooks fills in, line pricing, totals, and InvoiceMod's line rules.

Totals follow US QuickBooks: ``Subtotal`` is the sum of line amounts (discount lines are
negative, a sales-tax item used as a line adds its amount), ``SalesTaxTotal`` is the invoice's
sales-tax item rate applied to taxable lines, and the invoice total is Subtotal + SalesTaxTotal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from connector.sandbox.qbd.ledger import Ledger
from connector.sandbox.qbd.records import Deleted, Invoice, InvoiceLine, ListRecord
from connector.sandbox.qbd.status import QbStatus
from connector.sandbox.qbd.values import money

__all__ = ["InvoiceBook", "Totals", "NEW_LINE"]

NEW_LINE = "-1"
_OWNER = ("Invoice", "Invoice")
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
# Changing any of these on an existing line makes QuickBooks recompute its amount.
_PRICING = frozenset({"ItemRef", "Quantity", "Rate", "RatePercent"})


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Decimal
    tax_percent: Decimal
    tax_total: Decimal
    balance: Decimal


class InvoiceBook(Ledger):
    """Invoice operations of a company file."""

    # ---- bookkeeper helpers (and the qbXML handlers) ---------------------------------------
    def add_invoice(self, customer: str, lines: Sequence[Mapping[str, Any]] = (),
                    **fields: Any) -> Invoice:
        """Create an invoice; ``lines`` are mappings of InvoiceLine fields (``ItemRef``,
        ``Desc``, ``Quantity``, ``Rate``/``RatePercent``, ``Amount``…)."""
        owner = self.resolve_ref("CustomerRef", customer, "Customer", "Invoice")
        header = self.normalise("InvoiceRet", _OWNER, fields, self._defaults(owner, fields))
        priced = self._price_lines(lines, {})
        stamp = self.clock.stamp()
        invoice = Invoice(self._txn_id(stamp), self.next_txn_seq, stamp, stamp, self.sequence(0),
                          owner.list_id, header)
        self.next_txn_seq += 1
        invoice.lines = [InvoiceLine(self._txn_id(stamp), line) for _, line in priced]
        self._note_ref_number(header.get("RefNumber", ""))
        self.invoices[invoice.txn_id] = invoice
        self.invoices_of[owner.list_id].append(invoice.txn_id)
        self.dirty = True
        return invoice

    def modify_invoice(self, txn_id: str, *, edit_sequence: str | None = None,
                       customer: str | None = None,
                       lines: Sequence[Mapping[str, Any]] | None = None, **fields: Any) -> Invoice:
        """Change an invoice. When ``lines`` is given it becomes the whole line list, as in
        InvoiceMod: entries with an existing ``TxnLineID`` keep (and update) that line, ``-1``
        or no TxnLineID adds one, and lines not mentioned are removed."""
        invoice = self.invoice(txn_id)
        self.check_edit_sequence(invoice.edit_sequence, edit_sequence)
        owner = (
            self.resolve_ref("CustomerRef", customer, "Customer", "Invoice") if customer else None
        )
        header = self.normalise("InvoiceRet", _OWNER, fields, invoice.fields)
        current = {line.txn_line_id: line for line in invoice.lines}
        priced = None if lines is None else self._price_lines(lines, current)
        if owner is not None and owner.list_id != invoice.customer_id:
            self.invoices_of[invoice.customer_id].remove(txn_id)
            self.invoices_of[owner.list_id].append(txn_id)
            invoice.customer_id = owner.list_id
        invoice.fields = header
        if priced is not None:
            stamp = self.clock.stamp()
            invoice.lines = [InvoiceLine(line_id or self._txn_id(stamp), line)
                             for line_id, line in priced]
        self._note_ref_number(header.get("RefNumber", ""))
        self.touch(invoice)
        return invoice

    def void_invoice(self, txn_id: str) -> Invoice:
        """The bookkeeper's Edit > Void Invoice: the invoice stays, its lines billing nothing,
        and "VOID:" starts its memo. (A choice: modelled on what QuickBooks' own screens show
        of a voided invoice; no capture of a voided InvoiceRet is at hand.)"""
        invoice = self.invoice(txn_id)
        for line in invoice.lines:
            if "Quantity" in line.fields:
                line.fields["Quantity"] = _ZERO
            line.fields["Amount"] = _ZERO
        memo = invoice.fields.get("Memo")
        invoice.fields["Memo"] = f"VOID: {memo}" if memo else "VOID:"
        self.touch(invoice)
        return invoice

    def delete_invoice(self, txn_id: str) -> None:
        invoice = self.invoice(txn_id)
        self.deleted_txns.append(Deleted("Invoice", txn_id, invoice.time_created,
                                         self.clock.stamp(), invoice.fields.get("RefNumber", "")))
        del self.invoices[txn_id]
        self.invoices_of[invoice.customer_id].remove(txn_id)
        # The payments applied to it keep their money, unused (a CHOICE: QuickBooks asks the
        # user what to do; the simulator lets the delete happen).
        for payment in self.payments.values():
            payment.applied.pop(txn_id, None)
        self.dirty = True

    def invoice(self, txn_id: str) -> Invoice:
        found = self.invoices.get(txn_id)
        if found is None:
            raise QbStatus(3120, value=txn_id)
        return found

    # ---- amounts -------------------------------------------------------------------------
    def totals(self, invoice: Invoice) -> Totals:
        subtotal = sum((line.amount for line in invoice.lines), _ZERO)
        taxable = sum((line.amount for line in invoice.lines
                       if self._taxable(line.fields.get("SalesTaxCodeRef"))), _ZERO)
        tax_item = self.records.get(invoice.fields.get("ItemSalesTaxRef", ""))
        percent = tax_item.fields.get("TaxRate", _ZERO) if tax_item else _ZERO
        if not self._taxable(invoice.fields.get("CustomerSalesTaxCodeRef")):
            taxable = _ZERO
        tax = money(taxable * percent / _HUNDRED)
        return Totals(subtotal, percent, tax, subtotal + tax - invoice.applied_amount)

    def balance(self, customer: ListRecord, *, with_jobs: bool = False) -> Decimal:
        """Open balance of the customer's own invoices, plus its jobs' with ``with_jobs``."""
        owners = [customer, *(self.descendants(customer) if with_jobs else ())]
        return sum((self.totals(self.invoices[t]).balance
                    for owner in owners for t in self.invoices_of.get(owner.list_id, ())), _ZERO)

    def is_used(self, record: ListRecord) -> bool:
        """Whether a transaction refers to ``record`` (QuickBooks then refuses to delete it)."""
        if record.family == "Customer":
            return bool(self.invoices_of.get(record.list_id))
        return any(record.list_id in (inv.fields.get("ItemSalesTaxRef"),
                                      *(line.fields.get("ItemRef") for line in inv.lines))
                   for inv in self.invoices.values())

    def _taxable(self, code_id: str | None) -> bool:
        code = self.records.get(code_id or "")
        return bool(code and code.fields.get("IsTaxable"))

    # ---- internals -----------------------------------------------------------------------
    def _defaults(self, owner: ListRecord, given: Mapping[str, Any]) -> dict[str, Any]:
        """What QuickBooks fills in from the customer and preferences when a field is omitted."""
        txn_date = given.get("TxnDate") or self.clock.today()
        taken = owner.fields
        terms = self.records.get(taken.get("TermsRef", ""))
        due_days = terms.fields.get("StdDueDays", 0) if terms else 0
        defaults: dict[str, Any] = {
            "ARAccountRef": self.resolve_ref(
                "ARAccountRef", "Accounts Receivable", "Account", "Invoice"
            ).list_id,
            "TxnDate": txn_date,
            "RefNumber": str(self.next_ref_number),
            "IsPending": False,
            "IsFinanceCharge": False,
            "DueDate": txn_date + timedelta(days=due_days),
            "IsToBePrinted": False,
            "IsToBeEmailed": False,
        }
        for key in ("BillAddress", "ShipAddress", "TermsRef", "ItemSalesTaxRef"):
            if key in taken:
                defaults[key] = taken[key]
        if "SalesTaxCodeRef" in taken:
            defaults["CustomerSalesTaxCodeRef"] = taken["SalesTaxCodeRef"]
        # What the request gives replaces the default whole (an address is not merged into it).
        return {key: value for key, value in defaults.items() if key not in given}

    def _price_lines(self, specs: Sequence[Mapping[str, Any]],
                     current: dict[str, InvoiceLine]) -> list[tuple[str | None, dict[str, Any]]]:
        """Validate and price every line before anything changes (nothing half-written)."""
        priced: list[tuple[str | None, dict[str, Any]]] = []
        previous = _ZERO
        for spec in specs:
            fields = dict(spec)
            line_id = fields.pop("TxnLineID", NEW_LINE)
            if line_id != NEW_LINE and line_id not in current:
                raise QbStatus(3120, value=line_id)
            base = current[line_id].fields if line_id != NEW_LINE else {}
            line = self.normalise("InvoiceLineRet", _OWNER, fields, base)
            if line_id == NEW_LINE or _PRICING & fields.keys():
                self._price(line, explicit=set(fields), previous=previous)
            previous = line["Amount"]
            priced.append((None if line_id == NEW_LINE else line_id, line))
        return priced

    def _price(self, line: dict[str, Any], *, explicit: set[str], previous: Decimal) -> None:
        item = self.records.get(line.get("ItemRef", ""))
        if item is not None:
            desc, rate, percent, tax_code = _sales_terms(item)
            if desc and "Desc" not in line:
                line["Desc"] = desc
            if "Rate" not in line and "RatePercent" not in line and "Amount" not in explicit:
                if rate is not None:
                    line["Rate"] = rate
                elif percent is not None:
                    line["RatePercent"] = percent
            if tax_code and "SalesTaxCodeRef" not in line:
                line["SalesTaxCodeRef"] = tax_code
        if "Amount" not in explicit:
            line["Amount"] = _amount(
                line, previous, negative=item is not None and item.kind == "ItemDiscount"
            )

    def _txn_id(self, stamp: Any) -> str:
        txn_id = f"{self.next_txn_number:X}-{int(stamp.timestamp())}"
        self.next_txn_number += 1
        return txn_id

    def _note_ref_number(self, ref_number: str) -> None:
        if ref_number.isdigit() and int(ref_number) >= self.next_ref_number:
            self.next_ref_number = int(ref_number) + 1


def _sales_terms(item: ListRecord) -> tuple[str | None, Decimal | None, Decimal | None, str | None]:
    """(description, price, percent, sales tax code) an item puts on an invoice line."""
    f = item.fields
    sales = f.get("SalesOrPurchase") or {}
    both = f.get("SalesAndPurchase") or {}
    desc = sales.get("Desc") or both.get("SalesDesc") or f.get("SalesDesc") or f.get("ItemDesc")
    rate = (sales.get("Price") or both.get("SalesPrice") or f.get("SalesPrice")
            or f.get("DiscountRate"))
    percent = sales.get("PricePercent") or f.get("DiscountRatePercent") or f.get("TaxRate")
    return desc, rate, percent, f.get("SalesTaxCodeRef")


def _amount(line: dict[str, Any], previous: Decimal, *, negative: bool) -> Decimal:
    if "Rate" in line:
        amount = money(line.get("Quantity", Decimal(1)) * line["Rate"])
    elif "RatePercent" in line:
        # A percentage line (discount, sales tax item, percent charge) applies to the line above.
        amount = money(previous * line["RatePercent"] / _HUNDRED)
    else:
        amount = _ZERO
    return -abs(amount) if negative else amount

"""Received payments (ReceivePayment): a customer's money applied to its invoices.

Applying a payment changes each invoice's AppliedAmount, BalanceRemaining and IsPaid; deleting
the payment gives the invoices their balance back (QuickBooks lists the deletion under
TxnDeletedQuery as ``ReceivePayment``). Whether QuickBooks also moves those invoices'
TimeModified and EditSequence is not documented: ``payments_touch_invoices`` (a CHOICE, off
by default) decides it, so the connector is tested both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connector.sandbox.qbd.invoices import InvoiceBook
from connector.sandbox.qbd.records import Deleted, Invoice, Payment
from connector.sandbox.qbd.status import QbStatus

__all__ = ["PaymentBook"]

_OWNER = ("Customer", "ReceivePayment")
_ZERO = Decimal(0)


class PaymentBook(InvoiceBook):
    """Payment operations of a company file."""

    def receive_payment(self, customer: str,
                        applied: Mapping[str, Decimal | int | str] | None = None, *,
                        auto_apply: bool = False, **fields: Any) -> Payment:
        """Receive a payment from ``customer``: ``applied`` maps invoice TxnIDs to the amount
        applied to each; ``auto_apply`` applies ``TotalAmount`` to the oldest open invoices,
        as QuickBooks' IsAutoApply does. ``TotalAmount`` defaults to the sum applied."""
        owner = self.resolve_ref("CustomerRef", customer, "Customer", "ReceivePayment")
        amounts = {txn_id: Decimal(amount) for txn_id, amount in (applied or {}).items()}
        total = Decimal(fields.pop("TotalAmount", sum(amounts.values(), _ZERO)))
        if auto_apply:
            amounts = self._auto_apply(owner.list_id, total)
        for txn_id in amounts:
            invoice = self.invoices.get(txn_id)
            if invoice is None or invoice.customer_id != owner.list_id:
                raise QbStatus(3140, value=txn_id, list="Invoice", object="ReceivePayment")
        defaults: dict[str, Any] = {"TxnDate": fields.get("TxnDate") or self.clock.today(),
                                    "ARAccountRef": "Accounts Receivable", "TotalAmount": total}
        header = self.normalise("ReceivePaymentRet", _OWNER, {**defaults, **fields}, {})
        stamp = self.clock.stamp()
        txn_id = f"{self.next_txn_number:X}-{int(stamp.timestamp())}"
        self.next_txn_number += 1
        payment = Payment(txn_id, self.next_txn_seq, stamp, stamp, self.sequence(0),
                          owner.list_id, header, amounts)
        self.next_txn_seq += 1
        self.payments[txn_id] = payment
        self._apply(payment, 1)
        return payment

    def record_payment(self, txn_id: str, amount: Decimal) -> Invoice:
        """The bookkeeper's shortcut: a payment of ``amount`` from the invoice's customer,
        applied to that invoice alone."""
        invoice = self.invoice(txn_id)
        self.receive_payment(invoice.customer_id, {txn_id: amount})
        return invoice

    def delete_payment(self, txn_id: str) -> None:
        payment = self.payment(txn_id)
        self._apply(payment, -1)
        self.deleted_txns.append(Deleted("ReceivePayment", txn_id, payment.time_created,
                                         self.clock.stamp(), payment.fields.get("RefNumber", "")))
        del self.payments[txn_id]

    def payment(self, txn_id: str) -> Payment:
        found = self.payments.get(txn_id)
        if found is None:
            raise QbStatus(3120, value=txn_id)
        return found

    def unused(self, payment: Payment) -> Decimal:
        return payment.fields.get("TotalAmount", _ZERO) - sum(payment.applied.values(), _ZERO)

    def _apply(self, payment: Payment, sign: int) -> None:
        for txn_id, amount in payment.applied.items():
            invoice = self.invoices.get(txn_id)
            if invoice is None:
                continue
            invoice.applied_amount += sign * amount
            if self.payments_touch_invoices:
                self.touch(invoice)
        self.dirty = True

    def _auto_apply(self, customer_id: str, total: Decimal) -> dict[str, Decimal]:
        left, amounts = total, {}
        ordered = sorted((self.invoices[t] for t in self.invoices_of.get(customer_id, ())),
                         key=lambda i: (str(i.fields.get("TxnDate", "")), i.txn_number))
        for invoice in ordered:
            due = self.totals(invoice).balance
            if left <= 0:
                break
            if due > 0:
                amounts[invoice.txn_id] = min(due, left)
                left -= amounts[invoice.txn_id]
        return amounts

"""Add / Mod / Del requests: read the aggregate, apply QuickBooks' rules, answer with the Ret.

Elements a request may carry but the simulator does not model (contacts, price levels, group
lines…) are refused with 1030 naming the element, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from connector.sandbox.qbd.company import UNCHANGED
from connector.sandbox.qbd.context import Context, Outcome
from connector.sandbox.qbd.reading import included, read_aggregate, text
from connector.sandbox.qbd.records import ITEM_KINDS
from connector.sandbox.qbd.status import QbStatus

__all__ = ["WRITE_HANDLERS"]

Handler = Callable[[Context, etree._Element, etree._Element], Outcome]


def _aggregate(ctx: Context, request: etree._Element, name: str) -> dict[str, Any]:
    aggregate = request.find(name)
    if aggregate is None:  # the schema check lets no such request through
        raise QbStatus(3150, value=name)
    return read_aggregate(aggregate, name, ctx.company.clock)


def _list_add(kind: str) -> Handler:
    def handle(ctx: Context, request: etree._Element, response: etree._Element) -> Outcome:
        data = _aggregate(ctx, request, f"{kind}Add")
        active = data.pop("IsActive", True)
        record = ctx.company.add_list(
            kind,
            data.pop("Name"),
            parent=data.pop("ParentRef", None) or None,
            is_active=active if active != "" else True,
            fields=data,
        )
        ctx.writer.list_ret(response, record, included(request))
        return Outcome()
    return handle


def _list_mod(kind: str) -> Handler:
    def handle(ctx: Context, request: etree._Element, response: etree._Element) -> Outcome:
        data = _aggregate(ctx, request, f"{kind}Mod")
        list_id = data.pop("ListID")
        current = ctx.company.records.get(list_id)
        if current is None or current.kind != kind:
            raise QbStatus(3120, value=list_id)
        active = data.pop("IsActive", None)
        # Mod aggregates carry a "Mod" suffix (SalesOrPurchaseMod) over the Ret's name.
        data = {key.removesuffix("Mod") if key.endswith("PurchaseMod") else key: value
                for key, value in data.items()}
        record = ctx.company.modify_list(
            list_id, edit_sequence=data.pop("EditSequence"), name=data.pop("Name", None) or None,
            parent=data.pop("ParentRef", UNCHANGED), is_active=None if active == "" else active,
            fields=data)
        ctx.writer.list_ret(response, record, included(request))
        return Outcome()
    return handle


def _invoice_add(ctx: Context, request: etree._Element, response: etree._Element) -> Outcome:
    data = _aggregate(ctx, request, "InvoiceAdd")
    customer = data.pop("CustomerRef")
    invoice = ctx.company.add_invoice(customer, data.pop("InvoiceLineAdd", []), **data)
    ctx.writer.invoice_ret(response, invoice, lines=True, include=included(request))
    return Outcome()


def _invoice_mod(ctx: Context, request: etree._Element, response: etree._Element) -> Outcome:
    data = _aggregate(ctx, request, "InvoiceMod")
    invoice = ctx.company.modify_invoice(
        data.pop("TxnID"), edit_sequence=data.pop("EditSequence"),
        customer=data.pop("CustomerRef", None), lines=data.pop("InvoiceLineMod", None), **data)
    ctx.writer.invoice_ret(response, invoice, lines=True, include=included(request))
    return Outcome()


def _payment_add(ctx: Context, request: etree._Element, response: etree._Element) -> Outcome:
    data = _aggregate(ctx, request, "ReceivePaymentAdd")
    applied: dict[str, Any] = {}
    # TxnID here is an aggregate in the schema (it may carry useMacro), so read its text.
    for each, element in zip(data.pop("AppliedToTxnAdd", []),
                             request.iterfind("ReceivePaymentAdd/AppliedToTxnAdd"), strict=True):
        unmodelled = sorted(set(each) - {"TxnID", "PaymentAmount"})
        if unmodelled:
            raise QbStatus(1030, value=f"{unmodelled[0]} in AppliedToTxnAdd")
        applied[element.findtext("TxnID") or ""] = each.get("PaymentAmount", 0)
    auto = data.pop("IsAutoApply", False)
    payment = ctx.company.receive_payment(data.pop("CustomerRef"), applied,
                                          auto_apply=auto is True, **data)
    ctx.writer.payment_ret(response, payment, included(request))
    return Outcome()


def _list_del(ctx: Context, request: etree._Element, response: etree._Element) -> Outcome:
    kind, list_id = text(request, "ListDelType") or "", text(request, "ListID") or ""
    record = ctx.company.records.get(list_id)
    if record is None or record.kind != kind:
        raise QbStatus(3120, value=list_id)
    full_name = ctx.company.full_name(record)
    ctx.company.delete_list(list_id)
    entry = ctx.company.deleted_lists[-1]
    ctx.writer.fill(response, "ListDelRsType", {"ListDelType": kind, "ListID": list_id,
                                                 "TimeDeleted": entry.time_deleted,
                                                 "FullName": full_name})
    return Outcome()


def _txn_del(ctx: Context, request: etree._Element, response: etree._Element) -> Outcome:
    kind, txn_id = text(request, "TxnDelType") or "", text(request, "TxnID") or ""
    delete = {"Invoice": ctx.company.delete_invoice,
              "ReceivePayment": ctx.company.delete_payment}.get(kind)
    if delete is None:
        raise QbStatus(3120, value=txn_id)
    delete(txn_id)
    entry = ctx.company.deleted_txns[-1]
    ctx.writer.fill(response, "TxnDelRsType", {"TxnDelType": kind, "TxnID": txn_id,
                                                "TimeDeleted": entry.time_deleted,
                                                "RefNumber": entry.name or None})
    return Outcome()


WRITE_HANDLERS: dict[str, Handler] = {
    "CustomerAddRq": _list_add("Customer"),
    "CustomerModRq": _list_mod("Customer"),
    **{f"{kind}AddRq": _list_add(kind) for kind in ITEM_KINDS},
    **{f"{kind}ModRq": _list_mod(kind) for kind in ITEM_KINDS},
    "InvoiceAddRq": _invoice_add,
    "InvoiceModRq": _invoice_mod,
    "ReceivePaymentAddRq": _payment_add,
    "ListDelRq": _list_del,
    "TxnDelRq": _txn_del,
}

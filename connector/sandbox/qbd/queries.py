"""Query requests: selecting records as QuickBooks filters them, paging, writing the Rets.

Lists default to ``ActiveStatus=ActiveOnly`` like QuickBooks; modified-date filters compare with
the stored TimeModified (which carries QuickBooks' clock skew); asking for ids that do not
exist gives status 500 with the rest returned; a filter that matches nothing gives status 1.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from connector.sandbox.qbd.context import Context, Outcome
from connector.sandbox.qbd.iterators import Page
from connector.sandbox.qbd.reading import included, moment, number, text, texts
from connector.sandbox.qbd.records import Deleted, Invoice, ListRecord, Payment
from connector.sandbox.qbd.status import QbStatus
from connector.sandbox.qbd.values import parse_value

__all__ = ["QUERY_HANDLERS"]

Predicate = Callable[[Any], bool]
_MATCH: dict[str, Callable[[str, str], bool]] = {
    "StartsWith": str.startswith, "Contains": lambda a, b: b in a, "EndsWith": str.endswith,
}
_COMPARE: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "LessThan": Decimal.__lt__, "LessThanEqual": Decimal.__le__, "Equal": Decimal.__eq__,
    "GreaterThan": Decimal.__gt__, "GreaterThanEqual": Decimal.__ge__,
}
# Filters whose lists the simulator does not model; answered 1030 rather than ignored.
_UNSUPPORTED = ("ClassFilter", "CurrencyFilter", "TxnDateRangeFilter/DateMacro",
                "IncludeListMetaData")


@dataclass(slots=True)
class _Options:
    include: frozenset[str] | None = None
    lines: bool = False


@dataclass(slots=True)
class _Selection:
    ids: Iterable[str]  # lazy, so MaxReturned without an iterator stops early
    options: _Options
    missing: list[str] = field(default_factory=list)


def _txn_date(keep: Callable[[Any, Any], bool], day: Any) -> Predicate:
    return lambda i: "TxnDate" in i.fields and keep(i.fields["TxnDate"], day)


def _ref_in(wanted: Collection[str], attr: str | None) -> Predicate:
    return lambda i: (i.fields.get(attr) if attr else i.customer_id) in wanted


def _refuse_unsupported(request: etree._Element) -> None:
    for path in _UNSUPPORTED:
        if request.find(path) is not None:
            raise QbStatus(1030, value=f"{path} in {request.tag!s}")


# ---- selection ---------------------------------------------------------------------------
def _by_keys(
    ctx: Context, request: etree._Element, family: str, options: _Options
) -> _Selection | None:
    keys = [(k, True) for k in texts(request, "ListID")] + [
        (k, False) for k in texts(request, "FullName")
    ]
    if not keys:
        return None
    found: list[str] = []
    missing: list[str] = []
    for key, by_id in keys:
        record = ctx.company.records.get(key) if by_id else None
        if not by_id:
            owner = ctx.company.name_owner(family, key)
            record = ctx.company.records[owner] if owner else None
        if record is not None and record.family == family:
            found.append(record.list_id)
        else:
            missing.append(key)
    return _Selection(found, options, missing)


def _list_predicates(ctx: Context, request: etree._Element) -> list[Predicate]:
    company = ctx.company
    status = text(request, "ActiveStatus") or "ActiveOnly"
    preds: list[Predicate] = []
    if status != "All":
        preds.append(lambda r: r.is_active == (status == "ActiveOnly"))
    preds += _between(ctx, request, "FromModifiedDate", "ToModifiedDate", _modified)
    match = request.find("NameFilter")
    if match is not None:
        how, wanted = (
            _MATCH[match.findtext("MatchCriterion") or ""],
            (match.findtext("Name") or "").casefold(),
        )
        preds.append(lambda r: how(company.full_name(r).casefold(), wanted))
    span = request.find("NameRangeFilter")
    if span is not None:
        low, high = (span.findtext("FromName") or "").casefold(), span.findtext("ToName")
        preds.append(lambda r: company.full_name(r).casefold() >= low)
        if high is not None:
            top = high.casefold()
            preds.append(
                lambda r: (n := company.full_name(r).casefold()) <= top or n.startswith(top)
            )
    return preds


def _modified(record: Any) -> datetime:
    return record.time_modified


def _deleted_at(entry: Deleted) -> datetime:
    return entry.time_deleted


def _between(ctx: Context, holder: etree._Element, low: str, high: str,
             stamp: Callable[[Any], datetime]) -> list[Predicate]:
    """Inclusive bounds on a stored QuickBooks time (which carries its clock skew)."""
    clock = ctx.company.clock
    preds: list[Predicate] = []
    since = moment(holder, low, clock)
    if since is not None:
        preds.append(lambda r: stamp(r) >= since)
    until = moment(holder, high, clock, end_of_day=True)
    if until is not None:
        preds.append(lambda r: stamp(r) <= until)
    return preds


def _select_list(ctx: Context, request: etree._Element, family: str,
                 extra: list[Predicate]) -> _Selection:
    _refuse_unsupported(request)
    options = _Options(included(request))
    chosen = _by_keys(ctx, request, family, options)
    if chosen is not None:
        return chosen
    preds = _list_predicates(ctx, request) + extra
    rows = ctx.company.listed(family)
    return _Selection((r.list_id for r in rows if all(p(r) for p in preds)), options)


def _select_customers(ctx: Context, request: etree._Element) -> _Selection:
    extra: list[Predicate] = []
    balance = request.find("TotalBalanceFilter")
    if balance is not None:
        compare = _COMPARE[balance.findtext("Operator") or ""]
        amount = Decimal(balance.findtext("Amount") or "0")
        extra.append(lambda r: compare(ctx.company.balance(r, with_jobs=True), amount))
    return _select_list(ctx, request, "Customer", extra)


def _select_items(ctx: Context, request: etree._Element) -> _Selection:
    return _select_list(ctx, request, "Item", [])


def _select_invoices(ctx: Context, request: etree._Element) -> _Selection:
    return _select_txns(ctx, request, ctx.company.invoices)


def _select_payments(ctx: Context, request: etree._Element) -> _Selection:
    return _select_txns(ctx, request, ctx.company.payments)


def _select_txns(ctx: Context, request: etree._Element,
                 held: Mapping[str, Invoice | Payment]) -> _Selection:
    _refuse_unsupported(request)
    options = _Options(included(request), text(request, "IncludeLineItems") in ("true", "1"))
    txn_ids = texts(request, "TxnID")
    if txn_ids:
        return _Selection([t for t in txn_ids if t in held], options,
                          [t for t in txn_ids if t not in held])
    ordered = sorted(held.values(),
                     key=lambda i: (str(i.fields.get("TxnDate", "")), i.txn_number))
    refs = {r.casefold() for r in texts(request, "RefNumber")}
    exact = set(texts(request, "RefNumberCaseSensitive"))
    if refs or exact:
        return _Selection(
            [
                i.txn_id
                for i in ordered
                if i.fields.get("RefNumber", "").casefold() in refs
                or i.fields.get("RefNumber") in exact
            ],
            options,
        )
    preds = _invoice_predicates(ctx, request)
    return _Selection((i.txn_id for i in ordered if all(p(i) for p in preds)), options)


def _invoice_predicates(ctx: Context, request: etree._Element) -> list[Predicate]:
    company = ctx.company
    preds: list[Predicate] = []
    modified = request.find("ModifiedDateRangeFilter")
    if modified is not None:
        preds += _between(ctx, modified, "FromModifiedDate", "ToModifiedDate", _modified)
    dates = request.find("TxnDateRangeFilter")
    if dates is not None:
        for tag, keep in (("FromTxnDate", operator.ge), ("ToTxnDate", operator.le)):
            bound = text(dates, tag)
            if bound:
                day = parse_value("DATETYPE", bound, company.clock)
                preds.append(_txn_date(keep, day))
    for path, family, attr in (
        ("EntityFilter", "Customer", None),
        ("AccountFilter", "Account", "ARAccountRef"),
    ):
        holder = request.find(path)
        if holder is not None:
            wanted = _ref_filter(ctx, holder, family)
            preds.append(_ref_in(wanted, attr))
    preds += _ref_number_predicates(request)
    paid = text(request, "PaidStatus") or "All"
    if paid != "All":
        preds.append(lambda i: (company.totals(i).balance <= 0) == (paid == "PaidOnly"))
    return preds


def _ref_filter(ctx: Context, holder: etree._Element, family: str) -> set[str]:
    """ListIDs an Entity/AccountFilter names (``…WithChildren`` adds jobs or subaccounts)."""
    wanted: set[str] = set()
    for child in holder:
        record = ctx.company.find(family, child.text or "")
        if record is None:
            continue
        wanted.add(record.list_id)
        if str(child.tag).endswith("WithChildren"):
            wanted.update(r.list_id for r in ctx.company.descendants(record))
    return wanted


def _ref_number_predicates(request: etree._Element) -> list[Predicate]:
    preds: list[Predicate] = []
    match = request.find("RefNumberFilter")
    if match is not None:
        how = _MATCH[match.findtext("MatchCriterion") or ""]
        wanted = (match.findtext("RefNumber") or "").casefold()
        preds.append(lambda i: how(i.fields.get("RefNumber", "").casefold(), wanted))
    span = request.find("RefNumberRangeFilter")
    if span is not None:
        low, high = span.findtext("FromRefNumber"), span.findtext("ToRefNumber")
        preds.append(lambda i: _in_range(i.fields.get("RefNumber", ""), low, high))
    return preds


def _in_range(ref: str, low: str | None, high: str | None) -> bool:
    # QuickBooks compares numbers as numbers ("9" < "10") and anything else as text.
    def key(value: str) -> tuple[int, Any]:
        return (0, int(value)) if value.isdigit() else (1, value.casefold())
    return (low is None or key(ref) >= key(low)) and (high is None or key(ref) <= key(high))


# ---- paging and writing ------------------------------------------------------------------
Select = Callable[[Context, etree._Element], _Selection]
Write = Callable[[Context, etree._Element, str, _Options], bool]
Handler = Callable[[Context, etree._Element, etree._Element], Outcome]


def _paged(select: Select, write: Write) -> Handler:
    def handle(ctx: Context, request: etree._Element, response: etree._Element) -> Outcome:
        mode = request.get("iterator")
        max_returned = number(request, "MaxReturned")
        if mode == "Stop":
            ctx.iterators.stop(request.get("iteratorID"))
            return Outcome()
        if mode == "Continue":
            resumed = ctx.iterators.resume(request.get("iteratorID"), str(request.tag),
                                           max_returned)
            written = sum(write(ctx, response, key, resumed.options) for key in resumed.ids)
            return Outcome(0 if written else 1, iterator=resumed)
        chosen = select(ctx, request)
        page: Page | None = None
        ids: Iterable[str] = itertools.islice(chosen.ids, max_returned)
        if mode == "Start":
            page = ctx.iterators.start(str(request.tag), list(chosen.ids), max_returned,
                                       chosen.options)
            ids = page.ids
        written = sum(write(ctx, response, key, chosen.options) for key in ids)
        if chosen.missing:
            return Outcome(500, chosen.missing[0], page)
        return Outcome(0 if written else 1, iterator=page)
    return handle


def _write_list(ctx: Context, response: etree._Element, key: str, options: _Options) -> bool:
    record: ListRecord | None = ctx.company.records.get(key)
    if record is None:
        return False
    ctx.writer.list_ret(response, record, options.include)
    return True


def _write_txn(ctx: Context, response: etree._Element, key: str, options: _Options) -> bool:
    if key in ctx.company.invoices:
        ctx.writer.invoice_ret(response, ctx.company.invoices[key], lines=options.lines,
                               include=options.include)
    elif key in ctx.company.payments:
        ctx.writer.payment_ret(response, ctx.company.payments[key], options.include)
    else:
        return False
    return True


def _deleted(entries: Callable[[Context], list[Deleted]], type_tag: str, txn: bool) -> Handler:
    def handle(ctx: Context, request: etree._Element, response: etree._Element) -> Outcome:
        kinds = set(texts(request, type_tag))
        preds = [lambda d: d.del_type in kinds]
        span = request.find("DeletedDateRangeFilter")
        if span is not None:
            preds += _between(ctx, span, "FromDeletedDate", "ToDeletedDate", _deleted_at)
        window = ctx.company.deleted_retention
        if window is not None:
            # QuickBooks forgets deletions after a while: an old one is not listed at all.
            oldest = ctx.company.clock.stamp() - window
            preds.append(lambda d: d.time_deleted >= oldest)
        include = included(request)
        chosen = [d for d in entries(ctx) if all(p(d) for p in preds)]
        for entry in chosen:
            ctx.writer.deleted_ret(response, entry, txn=txn, include=include)
        return Outcome(0 if chosen else 1)
    return handle


def _single(write: Callable[[Context, etree._Element, Collection[str] | None], Any]) -> Handler:
    def handle(ctx: Context, request: etree._Element, response: etree._Element) -> Outcome:
        _refuse_unsupported(request)
        write(ctx, response, included(request))
        return Outcome()
    return handle


QUERY_HANDLERS: dict[str, Handler] = {
    "CustomerQueryRq": _paged(_select_customers, _write_list),
    "ItemQueryRq": _paged(_select_items, _write_list),
    "InvoiceQueryRq": _paged(_select_invoices, _write_txn),
    "ReceivePaymentQueryRq": _paged(_select_payments, _write_txn),
    "ListDeletedQueryRq": _deleted(lambda ctx: ctx.company.deleted_lists, "ListDelType", False),
    "TxnDeletedQueryRq": _deleted(lambda ctx: ctx.company.deleted_txns, "TxnDelType", True),
    "HostQueryRq": _single(lambda ctx, rs, inc: ctx.writer.host_ret(rs, inc)),
    "CompanyQueryRq": _single(lambda ctx, rs, inc: ctx.writer.company_ret(rs, inc)),
}

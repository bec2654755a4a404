"""Reading request elements (already schema-valid) into typed values.

A reference (``<TermsRef><FullName>Net 30</FullName></TermsRef>``) reads as the one key
QuickBooks looks it up by: the ListID when given, else the FullName.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lxml import etree

from connector.sandbox.qbd.status import QbStatus
from connector.sandbox.qbd.values import QbClock, ValueFormatError, parse_value
from connector.sandbox.qbd.xsd import children, is_list_ref

__all__ = ["text", "texts", "number", "moment", "read_aggregate", "read_ref", "included"]

_DATE_TYPES = frozenset({"DATETYPE", "DATETIMETYPE"})


def text(element: etree._Element, tag: str) -> str | None:
    found = element.find(tag)
    return None if found is None else (found.text or "")


def texts(element: etree._Element, tag: str) -> list[str]:
    return [found.text or "" for found in element.iterfind(tag)]


def number(element: etree._Element, tag: str) -> int | None:
    value = text(element, tag)
    return int(value) if value else None


def moment(
    element: etree._Element, tag: str, clock: QbClock, *, end_of_day: bool = False
) -> datetime | None:
    """A DATETIMETYPE child as an aware datetime (see ``QbClock.parse``), None when absent."""
    raw = text(element, tag)
    if not raw:
        return None
    try:
        return clock.parse(raw, end_of_day=end_of_day)
    except ValueFormatError as exc:
        raise QbStatus(3020, value=raw, field=tag) from exc


def read_ref(element: etree._Element) -> str:
    list_id = element.findtext("ListID")
    return list_id if list_id else element.findtext("FullName") or ""


def included(request: etree._Element) -> frozenset[str] | None:
    """The IncludeRetElement names of a request, or None when it asks for everything."""
    names = texts(request, "IncludeRetElement")
    return frozenset(names) if names else None


def read_aggregate(element: etree._Element, spec: str, clock: QbClock) -> dict[str, Any]:
    """Children of ``element`` (an instance of ``spec``) as typed values under their names."""
    known = children(spec)
    out: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        info = known[child.tag]
        if info.type is not None:
            value: Any = _convert(info.type, child, clock)
        elif is_list_ref(child.tag):
            value = read_ref(child)
        else:
            value = read_aggregate(child, child.tag, clock)
        if info.repeats:
            out.setdefault(child.tag, []).append(value)
        else:
            out[child.tag] = value
    return out


def _convert(qb_type: str, element: etree._Element, clock: QbClock) -> Any:
    raw = element.text or ""
    try:
        return parse_value(qb_type, raw, clock)
    except ValueFormatError as exc:
        code = 3020 if qb_type in _DATE_TYPES else 3040
        raise QbStatus(code, value=raw, field=str(element.tag)) from exc

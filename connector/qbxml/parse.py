"""Streaming, safe, tolerant parsing of QuickBooks responses.

``ResponseStream`` walks a response with lxml ``iterparse`` and yields typed records one at a
time, freeing each element once read, so memory stays flat however large the response. It
accepts bare qbXML and the receiveResponseXML SOAP envelope QBWC posts (qbXML escaped as text
or inlined as elements), several *Rs in one QBXMLMsgsRs, children in any order and elements
it does not know. DTDs are refused and entities, DTD loading and network access are off.
Anything it cannot read raises ``QbxmlParseError`` naming the response and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, cast

from lxml import etree
from pydantic import ValidationError

from connector.errors import RecordError
from connector.qbxml.models import (
    INVOICE_LINES_KEY,
    ITEM_TYPES,
    LINE_KIND,
    CompanyInfo,
    Customer,
    DeletedListRecord,
    DeletedTxnRecord,
    HostInfo,
    Invoice,
    Item,
    Payment,
    QbModel,
)
from connector.qbxml.repair import Repaired, qb_type_of, repair
from connector.qbxml.source import MarkedReader, Source, open_source
from connector.qbxml.status import ResponseStatus

__all__ = ["QbxmlParseError", "Record", "Source", "ResponseStream", "Repaired", "iter_records",
           "read_statuses"]

Record = (Customer | Item | Invoice | Payment | DeletedListRecord | DeletedTxnRecord | HostInfo
          | CompanyInfo)

# *Ret element -> (model, fields the element name implies). Other *Ret kinds are counted in
# the status but not turned into records.
_RECORDS: dict[str, tuple[type[QbModel], dict[str, str]]] = {
    "CustomerRet": (Customer, {}),
    "InvoiceRet": (Invoice, {}),
    "ReceivePaymentRet": (Payment, {}),
    "ListDeletedRet": (DeletedListRecord, {}),
    "TxnDeletedRet": (DeletedTxnRecord, {}),
    "HostRet": (HostInfo, {}),
    "CompanyRet": (CompanyInfo, {}),
    **{f"Item{kind}Ret": (Item, {"ItemType": kind}) for kind in ITEM_TYPES},
}
# Children that may repeat, so they are always collected into lists. Invoice lines and line
# groups share one list to keep their document order.
_LIST_KEYS: dict[str, str] = {
    "DataExtRet": "DataExtRet",
    "InvoiceLineRet": INVOICE_LINES_KEY,
    "InvoiceLineGroupRet": INVOICE_LINES_KEY,
    "SupportedQBXMLVersion": "SupportedQBXMLVersion",
    "ShipToAddress": "ShipToAddress",
    "ContactsRet": "ContactsRet",
    "AdditionalContactRef": "AdditionalContactRef",
    "AdditionalNotesRet": "AdditionalNotesRet",
    "LinkedTxn": "LinkedTxn",
    "AppliedToTxnRet": "AppliedToTxnRet",
}
_MSGS_RS = "QBXMLMsgsRs"
_SOAP_RESPONSE = "response"  # receiveResponseXML's qbXML-bearing element (escaped form)
_WATCHED = [f"{{*}}{name}" for name in (*_RECORDS, _MSGS_RS, _SOAP_RESPONSE)]
# Counts and codes land in 32-bit columns; no company file holds more records than this, so a
# larger number is not QuickBooks talking.
_MAX_COUNT = 2**31 - 1
_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")
# QBWC's envelope holds the qbXML as text; a qbXML response inside that text inside another
# envelope is not something QuickBooks sends, and each level costs a parser and a stack frame.
_MAX_WRAPPING = 2


class QbxmlParseError(RecordError):
    """A response that cannot be read; the message names the *Rs, requestID and line.

    A ``RecordError``: the unreadable response (or record) is recorded and the rest go on.
    """

    def __init__(self, problem: str, *, rs_name: str | None = None,
                 request_id: str | None = None, line: int | None = None,
                 record: str | None = None, record_id: str | None = None):
        where = [f"{label} {value}" for label, value in
                 (("in", rs_name), ("requestID", request_id), ("line", line)) if value]
        super().__init__(f"{problem} ({', '.join(where)})" if where else problem,
                         code="qbxml-parse", details={"rs_name": rs_name,
                                                      "request_id": request_id, "line": line,
                                                      "record": record, "record_id": record_id})
        self.rs_name = rs_name
        self.request_id = request_id
        self.line = line
        self.record = record  # the *Ret element of one unreadable record, e.g. "CustomerRet"
        self.record_id = record_id  # its ListID or TxnID, when it could be read

    @property
    def qb_type(self) -> str | None:
        return qb_type_of(self.record) if self.record else None


# A parsed element's tag is always a str; lxml's stubs type ``.tag`` loosely (bytes and QName
# can be assigned), hence the casts.
def _local(element: etree._Element) -> str:
    tag = cast(str, element.tag)
    return tag.rpartition("}")[2] if tag[0] == "{" else tag


def _to_dict(element: etree._Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # Slicing hands over all children in one C call: measurably faster than iterating.
    for child in element[:]:
        tag = cast(str, child.tag)
        if tag[0] == "{":
            tag = tag.rpartition("}")[2]
        value: Any = _to_dict(child) if len(child) else child.text
        list_key = _LIST_KEYS.get(tag)
        if list_key is None:
            out[tag] = value
            continue
        if list_key == INVOICE_LINES_KEY:
            if not isinstance(value, dict):
                value = {}  # an empty line element; validation will say what it lacks
            value[LINE_KIND] = tag
        out.setdefault(list_key, []).append(value)
    return out


def _header(rs: etree._Element) -> ResponseStatus:
    attrib = rs.attrib
    name = _local(rs)
    request_id = attrib.get("requestID") or None
    try:
        code = _bounded("statusCode", attrib["statusCode"], low=-_MAX_COUNT)
        remaining = attrib.get("iteratorRemainingCount")
        remaining_count = (None if remaining in (None, "")
                           else _bounded("iteratorRemainingCount", remaining, low=0))
    except (KeyError, ValueError) as exc:
        raise QbxmlParseError(f"missing, non-numeric or out-of-range status attribute: {exc}",
                              rs_name=name, request_id=request_id, line=rs.sourceline) from exc
    return ResponseStatus(
        rs_name=name, request_id=request_id, status_code=code,
        status_severity=attrib.get("statusSeverity", ""),
        status_message=attrib.get("statusMessage", ""),
        iterator_remaining=remaining_count, iterator_id=attrib.get("iteratorID") or None,
        ret_count=0)


def _bounded(name: str, raw: str, *, low: int) -> int:
    text = raw.strip()
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"{name}={text[:20]!r} is not a whole number")
    value = int(text)
    if not low <= value <= _MAX_COUNT:
        raise ValueError(f"{name}={text[:20]!r} is outside {low}..{_MAX_COUNT}")
    return value


def _validation_summary(exc: ValidationError) -> str:
    parts = [f"{'/'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:3]]
    more = len(exc.errors()) - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


class ResponseStream:
    """Iterate the typed records of a response; ``statuses`` fills in as the walk goes on.

    ``source`` is the response as ``str`` (XML text, as QBWC hands it over), ``bytes``, a
    binary file object, or a ``pathlib.Path`` to a stored response.

    A status is appended when its QBXMLMsgsRs closes, so ``statuses`` is complete once the
    iteration ends; ``current`` is the status header of the *Rs the last record came from.
    A record that does not fit its model raises ``QbxmlParseError``; with ``strict=False`` it
    is skipped and its error kept in ``rejected`` instead, so one bad record does not stop
    the batch. With ``build_records=False`` the walk only counts records (``read_statuses``).

    Characters XML cannot carry (control characters QuickBooks keeps in memos and notes) do
    not stop the walk: removed from free text, each record so repaired is listed in
    ``repaired``; found in any other value, they make that record unreadable (see
    ``connector.qbxml.repair``).
    """

    def __init__(self, source: Source, *, strict: bool = True, build_records: bool = True,
                 _wrapping: int = 0):
        self._source = source
        self._wrapping = _wrapping
        self._strict = strict
        self._build = build_records
        self.statuses: list[ResponseStatus] = []
        self.rejected: list[QbxmlParseError] = []
        self.repaired: list[Repaired] = []
        self.current: ResponseStatus | None = None
        self._reader: MarkedReader | None = None
        self._headers: dict[etree._Element, ResponseStatus] = {}
        self._counts: dict[etree._Element, int] = {}
        self._seen_msgs = False

    def __iter__(self) -> Iterator[Record]:
        # Each walk starts afresh, so iterating a path or bytes twice does not double statuses.
        self.statuses, self.rejected, self.repaired, self.current = [], [], [], None
        self._headers, self._counts, self._seen_msgs = {}, {}, False
        self._reader, opened = open_source(self._source)
        # No QuickBooks field holds more than 4095 characters, so libxml2's limits (no text
        # node over 10 MB, 256 levels) stay on; only QBWC's envelope needs more (the gate).
        events = etree.iterparse(
            self._reader, events=("end",), tag=_WATCHED, resolve_entities=False,
            no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
            remove_pis=True)
        checked = False
        try:
            for _, element in events:
                if not checked:
                    self._refuse_dtd(element)
                    checked = True
                yield from self._on_end(element)
        except etree.XMLSyntaxError as exc:
            current = self.current
            raise QbxmlParseError(f"malformed XML: {exc.msg}",
                                  rs_name=current.rs_name if current else None,
                                  request_id=current.request_id if current else None,
                                  line=exc.lineno) from exc
        finally:
            if opened is not None:
                opened.close()
        if not checked or not self._seen_msgs:
            raise QbxmlParseError("no QBXMLMsgsRs element: not a qbXML response")

    @staticmethod
    def _refuse_dtd(element: etree._Element) -> None:
        docinfo = element.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise QbxmlParseError("documents with a DOCTYPE/DTD are refused",
                                  line=element.sourceline)

    def _on_end(self, element: etree._Element) -> Iterator[Record]:
        name = _local(element)
        if name == _MSGS_RS:
            self._close_messages(element)
        elif name == _SOAP_RESPONSE:
            yield from self._unwrap(element)
        else:
            record = self._on_record(name, element)
            if record is not None:
                yield record

    def _on_record(self, name: str, element: etree._Element) -> Record | None:
        rs = element.getparent()
        grand = rs.getparent() if rs is not None else None
        if rs is None or grand is None or _local(grand) != _MSGS_RS:
            return None  # a record-named element somewhere unexpected: not ours to read
        header = self._headers.get(rs)
        if header is None:
            header = self._headers[rs] = _header(rs)
        self.current = header
        record = None
        try:
            record = self._build_record(name, element, header) if self._build else None
        except QbxmlParseError as exc:
            if self._strict:
                raise
            self.rejected.append(exc)
        self._counts[rs] = self._counts.get(rs, 0) + 1
        self._drop(rs, element)
        return record

    def _build_record(self, name: str, element: etree._Element,
                      header: ResponseStatus) -> Record:
        model, implied = _RECORDS[name]
        data = _to_dict(element)
        data.update(implied)
        ident = data.get("ListID") or data.get("TxnID")
        ident = ident if isinstance(ident, str) else None
        label = f"{name} {ident}" if ident else name
        if self._reader is not None and self._reader.marks:
            fixed = repair(data)
            if fixed.broken:
                raise QbxmlParseError(
                    f"unreadable {label}: characters XML cannot carry in "
                    f"{', '.join(fixed.broken)}", rs_name=header.rs_name,
                    request_id=header.request_id, line=element.sourceline, record=name,
                    record_id=ident)
            if fixed.fields:
                self.repaired.append(Repaired(name, ident, tuple(fixed.fields), fixed.removed))
        try:
            # _RECORDS maps every name to one of Record's models; its value type cannot say so.
            return model.model_validate(data)  # type: ignore[return-value]
        except ValidationError as exc:
            raise QbxmlParseError(f"invalid {label}: {_validation_summary(exc)}",
                                  rs_name=header.rs_name, request_id=header.request_id,
                                  line=element.sourceline, record=name,
                                  record_id=ident) from exc

    def _drop(self, rs: etree._Element, element: etree._Element) -> None:
        # Free the record and anything before it; unknown *Ret siblings still count.
        previous = element.getprevious()
        while previous is not None:
            if isinstance(previous.tag, str) and previous.tag.endswith("Ret"):
                self._counts[rs] += 1
            rs.remove(previous)
            previous = element.getprevious()
        rs.remove(element)

    def _close_messages(self, messages: etree._Element) -> None:
        self._seen_msgs = True
        for rs in messages:
            header = self._headers.pop(rs, None) or _header(rs)
            count = self._counts.pop(rs, 0) + sum(
                1 for child in rs if isinstance(child.tag, str) and child.tag.endswith("Ret"))
            self.statuses.append(replace(header, ret_count=count))
        messages.clear()

    def _unwrap(self, response: etree._Element) -> Iterator[Record]:
        if len(response):
            return  # inlined qbXML: its elements were read as they streamed past
        if self._wrapping >= _MAX_WRAPPING:
            raise QbxmlParseError("SOAP responses nested inside each other are not qbXML",
                                  line=response.sourceline)
        inner = ResponseStream(response.text or "", strict=self._strict,
                               build_records=self._build, _wrapping=self._wrapping + 1)
        yield from inner
        self.statuses.extend(inner.statuses)
        self.rejected.extend(inner.rejected)
        self.repaired.extend(inner.repaired)
        self._seen_msgs = True
        response.clear()


def iter_records(source: Source, *, strict: bool = True) -> Iterator[Record]:
    """The typed records of a response, in document order (see ``ResponseStream``)."""
    return iter(ResponseStream(source, strict=strict))


def read_statuses(response_xml: Source) -> list[ResponseStatus]:
    """The status of every *Rs in a response, without building records."""
    stream = ResponseStream(response_xml, build_records=False)
    for _ in stream:
        pass
    return stream.statuses

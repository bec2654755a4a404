"""The qbXML request document: element tree in, validated text with its warnings out.

Builders append elements in XSD sequence order through ``RequestBuilder``; ``finish`` checks
the tree against the qbXML 13.0 schema (a wrong order fails here, not in QuickBooks as
0x80040400) and serialises it. Serialising as ISO-8859-1 makes lxml write every character
QuickBooks cannot store as a ``&#NNN;`` reference; decoding those bytes as Latin-1 gives a
``str`` that keeps real Latin-1 characters such as "é" as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from lxml import etree

from connector.qbxml.models import Address, Ref
from connector.qbxml.schema import validate
from connector.qbxml.text import FIELD_LIMITS, TextWarning, clean_text, format_bool, format_datetime

__all__ = ["QBXML_VERSION", "ON_ERROR", "FieldSpec", "QbxmlRequest", "RequestBuilder",
           "finish_document"]

log = logging.getLogger("connector.qbxml")

QBXML_VERSION = "13.0"
ON_ERROR = "continueOnError"
_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
_ADDRESS_FIELDS = ("Addr1", "Addr2", "Addr3", "Addr4", "Addr5", "City", "State",
                   "PostalCode", "Country", "Note")

# Changed data is a warning; a non-Latin-1 character is sent intact (as a reference) and only
# may display as "?" in a non-Unicode QuickBooks, so it is logged as information.
_LOG_LEVELS = {"non_latin1": logging.INFO}

# (element, attribute of the input model, writer kind) in XSD sequence order.
FieldSpec = tuple[str, str, str]


class QbxmlRequest(str):
    """A complete qbXML request (a plain ``str``) carrying the text warnings of its build."""

    warnings: tuple[TextWarning, ...]

    def __new__(cls, text: str, warnings: Iterable[TextWarning] = ()) -> QbxmlRequest:
        obj = super().__new__(cls, text)
        obj.warnings = tuple(warnings)
        return obj


def _path(parent: etree._Element, tag: str) -> str:
    """Where a value sits below its *Rq element, e.g. "CustomerAdd/BillAddress/Addr1"."""
    names = [tag]
    node, above = parent, parent.getparent()
    while above is not None and above.tag != "QBXMLMsgsRq":
        names.append(str(node.tag))  # builders only ever set str tags
        node, above = above, above.getparent()
    return "/".join(reversed(names))


def finish_document(root: etree._Element, warnings: Sequence[TextWarning]) -> QbxmlRequest:
    """Validate ``root`` (a QBXML element) and serialise it with the qbXML prolog."""
    validate(root)
    if root.getprevious() is None:
        root.addprevious(etree.ProcessingInstruction("qbxml", f'version="{QBXML_VERSION}"'))
    body = etree.tostring(root.getroottree(), encoding="ISO-8859-1", xml_declaration=False)
    request_ids = [rq.get("requestID") for rq in root.iterfind("QBXMLMsgsRq/*")]
    for warning in warnings:
        log.log(_LOG_LEVELS.get(warning.kind, logging.WARNING), "qbXML request %s: %s",
                ",".join(filter(None, request_ids)), warning,
                extra={"qbxml_request_ids": request_ids, "qbxml_warning": warning})
    return QbxmlRequest(_DECLARATION + body.decode("latin-1"), warnings)


class RequestBuilder:
    """Grows one QBXML/QBXMLMsgsRq tree; every ``add_*`` skips ``None`` values."""

    def __init__(self) -> None:
        self.root = etree.Element("QBXML")
        self.messages = etree.SubElement(self.root, "QBXMLMsgsRq", onError=ON_ERROR)
        self.warnings: list[TextWarning] = []
        self._writers: dict[str, Callable[[etree._Element, str, Any], None]] = {
            "text": self.add_text, "bool": self.add_bool, "ref": self.add_ref,
            "address": self.add_address,
        }

    def request(self, name: str, request_id: str, **attributes: str | None) -> etree._Element:
        if not request_id:
            raise ValueError(f"{name}: requestID must not be empty")
        attrs = {"requestID": request_id, **{k: v for k, v in attributes.items() if v}}
        return etree.SubElement(self.messages, name, attrs)

    def add_raw(self, parent: etree._Element, tag: str, value: str) -> etree._Element:
        element = etree.SubElement(parent, tag)
        element.text = value
        return element

    def add_text(self, parent: etree._Element, tag: str, value: str | None) -> None:
        if value is not None:
            self.add_raw(parent, tag, clean_text(value, field=_path(parent, tag),
                                                 limit=FIELD_LIMITS.get(tag),
                                                 warnings=self.warnings))

    def add_bool(self, parent: etree._Element, tag: str, value: bool | None) -> None:
        if value is not None:
            self.add_raw(parent, tag, format_bool(value))

    def add_int(self, parent: etree._Element, tag: str, value: int | None) -> None:
        if value is not None:
            self.add_raw(parent, tag, str(int(value)))

    def add_datetime(self, parent: etree._Element, tag: str, value: datetime | None) -> None:
        if value is not None:
            self.add_raw(parent, tag, format_datetime(value, field=_path(parent, tag)))

    def add_ref(self, parent: etree._Element, tag: str, ref: Ref | None) -> None:
        if ref is None:
            return
        if not ref.list_id and not ref.full_name:
            raise ValueError(f"{_path(parent, tag)}: a reference needs a ListID or a FullName")
        element = etree.SubElement(parent, tag)
        if ref.list_id:
            self.add_raw(element, "ListID", ref.list_id)
        # A reference is never truncated: a shortened name would point at another record.
        if ref.full_name:
            self.add_raw(element, "FullName", clean_text(
                ref.full_name, field=_path(element, "FullName"), limit=None,
                warnings=self.warnings))

    def add_address(self, parent: etree._Element, tag: str, address: Address | None) -> None:
        if address is None:
            return
        element = etree.SubElement(parent, tag)
        values = address.model_dump(by_alias=True)
        for field in _ADDRESS_FIELDS:
            self.add_text(element, field, values[field])

    def add_fields(self, parent: etree._Element, source: object,
                   specs: Sequence[FieldSpec]) -> None:
        for tag, attribute, kind in specs:
            self._writers[kind](parent, tag, getattr(source, attribute))

    def finish(self) -> QbxmlRequest:
        return finish_document(self.root, self.warnings)

"""Reading a SOAP request body as it streams in, with limits, into the tree spyne works on.

The reader sees the operation (the first element of the SOAP Body) and, for
``receiveResponseXML``, its ticket as soon as their bytes arrive, so the gate can decide how
much more it will read before the rest of the body is read at all. Every limit holds while
parsing: element count and nesting depth are counted on each start tag, a DOCTYPE is refused
before the parser sees it, entities, DTD loading and network access are off.
"""

from __future__ import annotations

from lxml import etree

from connector.xmlsafe import IllegalCharMarker, UnsafeXmlError

__all__ = ["EnvelopeReader", "SOAP11_ENV", "MAX_ELEMENTS", "MAX_DEPTH", "RECEIVE_RESPONSE"]

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
RECEIVE_RESPONSE = "receiveResponseXML"
# QBWC's envelopes hold a dozen elements at most four deep: the qbXML inside travels as text.
# These bounds leave room for SOAP headers and stop a body of millions of tiny elements after
# its first few kilobytes.
MAX_ELEMENTS = 1000
MAX_DEPTH = 32
_BODY = f"{{{SOAP11_ENV}}}Body"
_DOCTYPE = b"<!DOCTYPE"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


class EnvelopeReader:
    """Feed the body chunk by chunk; ``close()`` gives the parsed envelope.

    ``huge=True`` lifts libxml2's own 10 MB limit on one text node (QBWC puts a whole qbXML
    response in one), and only that: the element and depth limits here still apply. The gate
    asks for it only for a ``receiveResponseXML`` of a live session.
    """

    def __init__(self, *, huge: bool = False) -> None:
        self._parser = etree.XMLPullParser(
            events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False,
            huge_tree=huge, remove_comments=True, remove_pis=True)
        self._marker = IllegalCharMarker()
        self._depth = 0
        self._elements = 0
        self._prolog_tail = b""
        self._rooted = False
        self._operation_element: etree._Element | None = None
        self.operation: str | None = None
        self.ticket: str | None = None

    @property
    def marks(self) -> int:
        """Characters XML cannot carry that were found (and marked) so far."""
        return self._marker.marks

    def feed(self, chunk: bytes) -> None:
        if not self._rooted:
            self._refuse_doctype(chunk)
        self._feed(self._marker.feed(chunk))

    def close(self) -> etree._Element:
        self._feed(self._marker.finish())
        try:
            root = self._parser.close()
        except etree.XMLSyntaxError as exc:
            raise UnsafeXmlError(f"malformed XML: {exc}") from exc
        self._drain()
        return root

    def _feed(self, data: bytes) -> None:
        if not data:
            return
        try:
            self._parser.feed(data)
        except etree.XMLSyntaxError as exc:
            raise UnsafeXmlError(f"malformed XML: {exc}") from exc
        self._drain()

    def _refuse_doctype(self, chunk: bytes) -> None:
        # A DOCTYPE can only precede the root element, so only the prolog is searched; the
        # tail of the previous chunk catches one split across two chunks.
        if _DOCTYPE in self._prolog_tail + chunk:
            raise UnsafeXmlError("XML with a DOCTYPE/DTD is refused (no entities, no external "
                                 "files)")
        self._prolog_tail = chunk[-len(_DOCTYPE):]

    def _drain(self) -> None:
        for event, element in self._parser.read_events():
            if event == "start":
                self._start(element)
            else:
                self._end(element)

    def _start(self, element: etree._Element) -> None:
        self._rooted = True
        self._depth += 1
        self._elements += 1
        if self._elements > MAX_ELEMENTS:
            raise UnsafeXmlError(f"more than {MAX_ELEMENTS} elements: not a Web Connector call")
        if self._depth > MAX_DEPTH:
            raise UnsafeXmlError(f"elements nested deeper than {MAX_DEPTH} levels: not a Web "
                                 "Connector call")
        if self._depth == 1:
            docinfo = element.getroottree().docinfo
            if docinfo.doctype or docinfo.internalDTD is not None:
                raise UnsafeXmlError("XML with a DOCTYPE/DTD is refused")
        elif self._depth == 3 and self.operation is None:
            parent = element.getparent()
            if parent is not None and parent.tag == _BODY and isinstance(element.tag, str):
                self.operation = _local(element.tag)
                self._operation_element = element

    def _end(self, element: etree._Element) -> None:
        self._depth -= 1
        if (self.ticket is None and self._depth == 3 and self.operation == RECEIVE_RESPONSE
                and element.getparent() is self._operation_element
                and isinstance(element.tag, str) and _local(element.tag) == "ticket"):
            self.ticket = element.text or ""

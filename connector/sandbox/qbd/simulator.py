"""QuickBooksSimulator: one company file answering qbXML request documents as QuickBooks does.

``handle`` takes one request document and returns one response document. A document that is
not well-formed, lacks ``<?qbxml version?>`` or breaks the 13.0 schema (element order, types,
enumerations) raises ``QbxmlRequestRejected`` (HRESULT 0x80040400, QuickBooks' parse error):
the Web Connector then calls ``receiveResponseXML`` with an empty response and that
hresult/message. Strings over QuickBooks' length limits are not a parse error in QuickBooks but
status 3070 for the request holding them, so the simulator answers them that way.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from lxml import etree

from connector.qbxml.schema import schema
from connector.sandbox.qbd.company import Company
from connector.sandbox.qbd.context import Context, Outcome
from connector.sandbox.qbd.dirt import Soiling, raw_controls, soil
from connector.sandbox.qbd.faults import Faults
from connector.sandbox.qbd.iterators import Iterators
from connector.sandbox.qbd.ledger import DELETED_RETENTION
from connector.sandbox.qbd.persist import load_company, save_company
from connector.sandbox.qbd.queries import QUERY_HANDLERS
from connector.sandbox.qbd.render import Writer
from connector.sandbox.qbd.status import QbStatus, QbxmlRequestRejected
from connector.sandbox.qbd.values import QbClock
from connector.sandbox.qbd.writes import WRITE_HANDLERS
from connector.xmlsafe import UnsafeXmlError, parse_xml

__all__ = ["QuickBooksSimulator", "DEFAULT_COMPANY_FILE", "MAX_REQUEST_BYTES"]

log = logging.getLogger(__name__)

DEFAULT_COMPANY_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Sample Co.qbw"
MAX_REQUEST_BYTES = 50 * 1024 * 1024
_HANDLERS = {**QUERY_HANDLERS, **WRITE_HANDLERS}
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_TOO_LONG = "SCHEMAV_CVC_MAXLENGTH_VALID"


class QuickBooksSimulator:
    """A QuickBooks Desktop company file behind the qbXML request processor.

    ``clock`` gives the true aware-UTC "now"; ``local_time_offset`` is how far QuickBooks'
    stamps (TimeModified, TimeDeleted) sit from it, modelling its local-time/DST quirk, and
    ``clock_drift_per_day`` how fast the PC clock drifts further (a choice);
    ``utc_offset`` is the zone of the PC, in which times are printed and offset-less filter
    times are read. ``payments_touch_invoices`` makes a payment move the invoices it applies
    to (a CHOICE: undocumented, see ``payments.PaymentBook``); ``deleted_retention`` is how
    long deletions stay listed (a CHOICE, see ``ledger.Ledger``). Bookkeeper edits go through
    ``qb.company`` (see ``Company``).
    """

    def __init__(self, company_file: str = DEFAULT_COMPANY_FILE, *,
                 clock: Callable[[], datetime] | None = None,
                 local_time_offset: timedelta = timedelta(0), company_name: str = "Sample Co",
                 state_file: Path | None = None, utc_offset: timedelta = timedelta(hours=-5),
                 sleep: Callable[[float], None] | None = None,
                 company_address: dict[str, str] | None = None,
                 payments_touch_invoices: bool = False,
                 deleted_retention: timedelta | None = DELETED_RETENTION,
                 clock_drift_per_day: timedelta = timedelta(0)):
        self.company_file = company_file
        self.clock = QbClock(clock, local_time_offset=local_time_offset, utc_offset=utc_offset,
                             drift_per_day=clock_drift_per_day)
        self.state_file = Path(state_file) if state_file else None
        if self.state_file is not None and self.state_file.exists():
            self.company = load_company(self.state_file, self.clock)
        else:
            self.company = Company(self.clock, company_name=company_name,
                                   address=company_address)
        self.company.payments_touch_invoices = payments_touch_invoices
        self.company.deleted_retention = deleted_retention
        self.faults = Faults(sleep) if sleep else Faults()
        self.iterators = Iterators(company_file)
        self.requests_handled = 0
        self.requests_by_type: Counter[str] = Counter()
        self.session_open = False
        self._context = Context(self.company, Writer(self.company), self.iterators)
        self._lock = threading.RLock()

    # ---- sessions ------------------------------------------------------------------------
    def begin_session(self) -> None:
        """QBWC opened the company file; raises ``CompanyFileUnavailable`` when it cannot."""
        with self._lock:
            self.faults.on_open()
            self.iterators.clear()
            self.session_open = True

    def end_session(self) -> None:
        """QBWC closed the connection: iterators die (a later Continue answers 3391)."""
        with self._lock:
            self.iterators.clear()
            self.session_open = False
            if self.state_file is not None and self.company.dirty:
                self.save()

    def save(self) -> None:
        if self.state_file is None:
            raise ValueError("this simulator has no state_file to save to")
        with self._lock:
            save_company(self.company, self.state_file)

    # ---- requests ------------------------------------------------------------------------
    def handle(self, request_xml: str | bytes) -> str:
        """Answer one qbXML request document with one qbXML response document."""
        with self._lock:
            self.requests_handled += 1
            root = self._parse(request_xml)
            too_long = self._too_long(root)
            lock, partial, pad_to = self.faults.on_document()
            soiling = self.faults.take_soiling()
            messages = root.find("QBXMLMsgsRq")
            if messages is None:  # the schema check above requires it; this narrows the type
                raise _rejected("no QBXMLMsgsRq element")
            stop = messages.get("onError") != "continueOnError"
            answer = etree.Element("QBXML")
            replies = etree.SubElement(answer, "QBXMLMsgsRs")
            for request in messages:
                if not isinstance(request.tag, str):
                    continue
                self.requests_by_type[request.tag] += 1
                reply = self._answer(request, too_long.get(request), lock, partial)
                replies.append(reply)
                # rollbackOnError is treated as stopOnError: QuickBooks does not roll back.
                if stop and reply.get("statusSeverity") == "Error":
                    break
            return _serialise(answer, pad_to, soiling)

    def _parse(self, request_xml: str | bytes) -> etree._Element:
        data = request_xml
        if isinstance(data, str):
            data = _DECLARATION.sub("", data, count=1).encode("utf-8")
        try:
            root = parse_xml(data, max_bytes=MAX_REQUEST_BYTES)
        except UnsafeXmlError as exc:
            raise _rejected(str(exc)) from exc
        if not any(isinstance(node, etree._ProcessingInstruction) and node.target == "qbxml"
                   for node in root.itersiblings(preceding=True)):
            raise _rejected('the <?qbxml version="…"?> processing instruction is missing')
        return root

    def _too_long(self, root: etree._Element) -> dict[etree._Element, tuple[str, str]]:
        """Schema errors: length overruns map to their request (3070), anything else rejects."""
        validator = schema()
        if validator.validate(root):
            return {}
        found: dict[etree._Element, tuple[str, str]] = {}
        tree = root.getroottree()
        for error in validator.error_log:
            nodes = tree.xpath(error.path) if error.type_name == _TOO_LONG and error.path else []
            if not nodes:
                raise _rejected(f"line {error.line}: {error.message}")
            node = nodes[0]
            request = next(a for a in node.iterancestors() if a.getparent() is not None
                           and a.getparent().tag == "QBXMLMsgsRq")
            found.setdefault(request, (str(node.tag), node.text or ""))
        return found

    def _answer(self, request: etree._Element, too_long: tuple[str, str] | None,
                lock: int | None, partial: bool) -> etree._Element:
        name = str(request.tag)  # handle() skipped comments and PIs: a request's tag is a str
        reply = etree.Element(name.removesuffix("Rq") + "Rs")
        if request.get("requestID") is not None:
            reply.set("requestID", request.get("requestID", ""))
        try:
            if too_long is not None:
                raise QbStatus(3070, field=too_long[0], value=too_long[1])
            if lock is not None:
                raise Faults.lock_status(lock, name)
            handler = _HANDLERS.get(name)
            if handler is None:
                raise QbStatus(1030, value=name)
            outcome = handler(self._context, request, reply)
        except QbStatus as status:
            del reply[:]
            _set_status(reply, status.code, status.severity, status.message)
            return reply
        if partial and name.endswith("QueryRq") and len(reply):
            dropped = reply[-1]
            del reply[-1]
            outcome = Outcome(500, dropped[0].text or "", outcome.iterator)
        final = QbStatus(outcome.code, value=outcome.value) if outcome.code else None
        _set_status(reply, outcome.code, final.severity if final else "Info",
                    final.message if final else "Status OK")
        if outcome.iterator is not None:
            reply.set("iteratorRemainingCount", str(outcome.iterator.remaining))
            reply.set("iteratorID", outcome.iterator.iterator_id)
        return reply


def _rejected(detail: str) -> QbxmlRequestRejected:
    log.info("qbXML request rejected as QuickBooks would (0x80040400): %s", detail)
    return QbxmlRequestRejected(detail)


def _set_status(reply: etree._Element, code: int, severity: str, message: str) -> None:
    reply.set("statusCode", str(code))
    reply.set("statusSeverity", severity)
    reply.set("statusMessage", message)


def _serialise(answer: etree._Element, pad_to: int | None, soiling: list[Soiling]) -> str:
    soil(answer, soiling)
    # QuickBooks data is ISO-8859-1: other characters leave as numeric references (&#321;).
    body = etree.tostring(answer, encoding="ISO-8859-1", xml_declaration=False,
                          pretty_print=True).decode("latin-1")
    text = '<?xml version="1.0" ?>\n' + (raw_controls(body) if soiling else body)
    if pad_to is not None and len(text) < pad_to:
        cut = text.rindex("</QBXML>")
        text = text[:cut] + " " * (pad_to - len(text)) + "\n" + text[cut:]
    return text

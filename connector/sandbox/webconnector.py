"""A QuickBooks Web Connector stand-in that drives the bridge over real HTTP, call for call.

It speaks SOAP 1.1 document/literal exactly as QBWC does (element names of Intuit's WSDL,
``SOAPAction: "http://developer.intuit.com/<op>"``) and hands every qbXML request to a
QuickBooks simulator, so a whole session can be watched without a Windows PC.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from lxml import etree

from connector.errors import FatalError, RetriableError
from connector.qbxml.builders import host_company_query
from connector.sandbox.qbd.status import CompanyFileUnavailable, QuickBooksHResultError
from connector.tls import tls_context
from connector.xmlsafe import UnsafeXmlError, parse_xml

__all__ = [
    "WebConnector", "SessionReport", "QuickBooks", "BridgeCallError", "STOP_STATUSES", "NOOP",
    "CANNOT_OPEN_FILE",
]

log = logging.getLogger(__name__)

TNS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_RESPONSE_BYTES = 64 * 1024 * 1024

# authenticate's second element: anything else is "go" ("" = the open file, or a file path).
STOP_STATUSES = {"nvu": "invalid user or password", "none": "nothing to do now",
                 "busy": "another session is running"}
# getLastError answering "NoOp" after an empty sendRequestXML means: wait, then ask again.
NOOP = "NoOp"
NOOP_PAUSE_SECONDS = 5.0
# The HRESULT QBWC reports when QuickBooks cannot open (or is not showing) the company file.
CANNOT_OPEN_FILE = "0x80040408"
# connectionError may name another company file to try; QBWC does not try forever.
MAX_FILE_ATTEMPTS = 2
# QBWC's .NET serializer writes a control character XML cannot carry (QuickBooks passes on
# whatever was pasted into a memo) as a character reference such as &#xB; -- itself not
# well-formed XML. lxml will not build such text, so a private-use stand-in is swapped.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_STAND_IN_UTF8 = re.compile(rb"\xee\x80([\x80-\x9f])")  # U+E000..U+E01F in UTF-8


class QuickBooks(Protocol):
    """What the Web Connector needs from QuickBooks Desktop (the simulator, in the sandbox)."""

    company_file: str

    def handle(self, request_xml: str) -> str: ...
    def begin_session(self) -> None: ...
    def end_session(self) -> None: ...


class BridgeCallError(FatalError):
    """A SOAP call failed: HTTP error, SOAP Fault, or an answer QBWC could not read."""


@dataclass
class SessionReport:
    """What one Web Connector session did, as the QBWC window would show it."""

    auth_result: str = ""
    ticket_prefix: str = ""
    requests: int = 0
    percents: list[int] = field(default_factory=list)
    last_error: str | None = None
    close_message: str | None = None
    dropped: bool = False
    server_version: str = ""
    client_version_reply: str = ""
    postpone_seconds: int | None = None
    every_min_seconds: int | None = None

    @property
    def authenticated(self) -> bool:
        return bool(self.ticket_prefix) and self.auth_result not in STOP_STATUSES

    @property
    def refused(self) -> bool:
        """The bridge refused the login or this Web Connector: nothing will work until a
        person changes something ("none" and "busy" pass with time)."""
        return self.auth_result == "nvu" or self.client_version_reply[:2] == "E:"

    def describe(self) -> str:
        """One human line, e.g. for the sandbox CLI."""
        if self.client_version_reply[:2] in ("E:", "O:"):
            return f"refused by the bridge: {self.client_version_reply[2:]}"
        if self.auth_result in STOP_STATUSES:
            return f"authenticate -> {self.auth_result!r} ({STOP_STATUSES[self.auth_result]})"
        parts = [f"ticket {self.ticket_prefix}", f"{self.requests} request(s)",
                 f"progress {self.percents[-1] if self.percents else 0}%"]
        if self.dropped:
            parts.append("connection dropped before closeConnection")
        if self.last_error:
            parts.append(f"error: {self.last_error}")
        if self.close_message is not None:
            parts.append(f"closed: {self.close_message}")
        return "; ".join(parts)


def _ticket_prefix(ticket: str) -> str:
    return ticket[:6] + "…" if ticket else ""


def _optional_int(values: list[str], index: int) -> int | None:
    try:
        return int(values[index])
    except (IndexError, ValueError):
        return None


class WebConnector:
    """Plays QBWC for one registered application (one .qwc): ``run_session`` is one update.

    ``sleep`` is used for the NoOp pause; ``max_noops`` bounds how often a session waits on
    NoOp (QBWC itself would keep asking), so a simulated session always ends.
    """

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        qb: QuickBooks,
        *,
        http: httpx.Client | None = None,
        client_version: str = "2.3.0.215",
        country: str = "US",
        qbxml_version: tuple[int, int] = (13, 0),
        sleep: Callable[[float], None] = time.sleep,
        max_noops: int = 12,
    ) -> None:
        self.url = url
        self.username = username
        self._password = password
        self.qb = qb
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=httpx.Timeout(120.0, connect=10.0),
                                         verify=tls_context())
        self.client_version = client_version
        self.country = country
        self.qbxml_version = qbxml_version
        self.sleep = sleep
        self.max_noops = max_noops

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> WebConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- SOAP ---------------------------------------------------------------------------------
    def envelope(self, op: str, params: dict[str, str | int]) -> bytes:
        """The SOAP 1.1 request QBWC posts for ``op``, children in WSDL order."""
        env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
        body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
        call = etree.SubElement(body, f"{{{TNS}}}{op}", nsmap={None: TNS})
        for name, value in params.items():
            etree.SubElement(call, f"{{{TNS}}}{name}").text = _CONTROL.sub(
                lambda m: chr(0xE000 + ord(m.group())), str(value))
        data = bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))
        return _STAND_IN_UTF8.sub(lambda m: b"&#x%X;" % (m.group(1)[0] - 0x80), data)

    def call(self, op: str, **params: str | int) -> etree._Element | None:
        """POST one operation; returns its ``<op>Result`` element (None when absent)."""
        try:
            reply = self.http.post(self.url, content=self.envelope(op, params), headers={
                "Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{TNS}{op}"'})
        except httpx.TransportError as exc:
            raise RetriableError(f"{op}: cannot reach the bridge at {self.url}: {exc}") from exc
        try:
            root = parse_xml(reply.content, max_bytes=MAX_RESPONSE_BYTES)
        except UnsafeXmlError as exc:
            raise BridgeCallError(f"{op}: HTTP {reply.status_code}, unreadable answer: {exc}",
                                  code=reply.status_code) from exc
        fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
        if fault is not None:
            raise BridgeCallError(f"{op}: SOAP fault {fault.findtext('faultcode')}: "
                                  f"{fault.findtext('faultstring')}", code=reply.status_code)
        if reply.status_code != 200:
            raise BridgeCallError(f"{op}: HTTP {reply.status_code}", code=reply.status_code)
        return root.find(f"{{{SOAP_ENV}}}Body/{{{TNS}}}{op}Response/{{{TNS}}}{op}Result")

    def call_text(self, op: str, **params: str | int) -> str:
        result = self.call(op, **params)
        return "" if result is None else result.text or ""

    def call_int(self, op: str, **params: str | int) -> int:
        text = self.call_text(op, **params)
        try:
            return int(text)
        except ValueError as exc:
            raise BridgeCallError(f"{op}: expected an int, got {text!r}") from exc

    def call_strings(self, op: str, **params: str | int) -> list[str]:
        result = self.call(op, **params)
        return (
            [] if result is None else [el.text or "" for el in result.iterfind(f"{{{TNS}}}string")]
        )

    # -- sessions -----------------------------------------------------------------------------
    def run_schedule(self, sessions: int, *, every_seconds: float = 0,
                     sleep: Callable[[float], None] = time.sleep) -> list[SessionReport]:
        """Run ``sessions`` updates, waiting as QBWC would (its interval, or longer if asked)."""
        reports: list[SessionReport] = []
        for number in range(sessions):
            if number:
                sleep(self.wait_after(reports[-1], every_seconds))
            reports.append(self.run_session())
        return reports

    @staticmethod
    def wait_after(report: SessionReport, every_seconds: float) -> float:
        """Seconds until the next update: the schedule, stretched by authenticate's postpone
        (3rd element) or minimum run interval (4th element)."""
        return max(every_seconds, report.postpone_seconds or 0, report.every_min_seconds or 0)

    def run_session(self, *, drop_after: int | None = None,
                    company_file_open: bool = True) -> SessionReport:
        """One QBWC update: handshake, authenticate, the request loop, closeConnection.

        ``drop_after=N`` vanishes after N complete request/response exchanges, without
        closeConnection. ``company_file_open=False`` makes QuickBooks unable to open the file,
        so QBWC reports connectionError instead of asking for requests.
        """
        report = SessionReport()
        report.server_version = self.call_text("serverVersion")
        report.client_version_reply = self.call_text(
            "clientVersion", strVersion=self.client_version
        )
        if report.client_version_reply[:2] in ("E:", "O:"):
            return report
        ticket = self._authenticate(report)
        if not report.authenticated:
            return report
        company_file = self._open_company_file(ticket, report, company_file_open)
        if company_file is not None:
            try:
                self._exchange(ticket, company_file, report, drop_after)
            finally:
                self.qb.end_session()
        if not report.dropped:
            report.close_message = self.call_text("closeConnection", ticket=ticket)
        log.debug("web connector session %s: %s", report.ticket_prefix, report.describe())
        return report

    def _authenticate(self, report: SessionReport) -> str:
        answer = self.call_strings(
            "authenticate", strUserName=self.username, strPassword=self._password
        )
        if len(answer) < 2:
            raise BridgeCallError(
                f"authenticate answered {len(answer)} element(s); QBWC needs at least 2"
            )
        ticket, report.auth_result = answer[0], answer[1]
        report.ticket_prefix = _ticket_prefix(ticket)
        report.postpone_seconds = _optional_int(answer, 2)
        report.every_min_seconds = _optional_int(answer, 3)
        return ticket

    def _open_company_file(self, ticket: str, report: SessionReport, can_open: bool) -> str | None:
        """Open the file QBWC works on ("" = the one open in QuickBooks); None if it cannot."""
        wanted = report.auth_result or self.qb.company_file
        for _attempt in range(MAX_FILE_ATTEMPTS):
            try:
                self._begin(wanted, can_open)
                return wanted
            except QuickBooksHResultError as exc:
                report.last_error = str(exc)
                reply = self.call_text("connectionError", ticket=ticket, hresult=exc.hresult,
                                       message=exc.message).strip()
            # Any answer but "done" names another company file for QBWC to try.
            if not reply or reply.lower() == "done":
                return None
            wanted = reply
        return None

    def _begin(self, wanted: str, can_open: bool) -> None:
        if not can_open:
            raise CompanyFileUnavailable(CANNOT_OPEN_FILE, "Could not start QuickBooks.")
        if wanted.casefold() != self.qb.company_file.casefold():
            raise CompanyFileUnavailable(
                CANNOT_OPEN_FILE,
                f"A QuickBooks company data file is already open ({self.qb.company_file}) "
                f"and it is different from the one requested ({wanted}).",
            )
        self.qb.begin_session()

    def _exchange(self, ticket: str, company_file: str, report: SessionReport,
                  drop_after: int | None) -> None:
        major, minor = self.qbxml_version
        hcp, noops = self._hcp_response(), 0
        while drop_after is None or report.requests < drop_after:
            request = self.call_text(
                "sendRequestXML",
                ticket=ticket,
                strHCPResponse=hcp,
                strCompanyFileName=company_file,
                qbXMLCountry=self.country,
                qbXMLMajorVers=major,
                qbXMLMinorVers=minor,
            )
            hcp = ""  # QBWC sends the host/company answer with the first call only
            if not request:
                error = self.call_text("getLastError", ticket=ticket)
                if error == NOOP and noops < self.max_noops:
                    noops += 1
                    self.sleep(NOOP_PAUSE_SECONDS)
                    continue
                report.last_error = error or None
                return
            report.requests += 1
            response, hresult, message = self._ask_quickbooks(request)
            percent = self.call_int("receiveResponseXML", ticket=ticket, response=response,
                                    hresult=hresult, message=message)
            report.percents.append(percent)
            if percent < 0:
                report.last_error = self.call_text("getLastError", ticket=ticket)
                return
            if percent >= 100:
                return
        report.dropped = True

    def _ask_quickbooks(self, request: str) -> tuple[str, str, str]:
        try:
            return self.qb.handle(request), "", ""
        except QuickBooksHResultError as exc:
            # QBWC passes QuickBooks' COM error on with an empty response (0x80040400: unparsable).
            return "", exc.hresult, exc.message

    def _hcp_response(self) -> str:
        """strHCPResponse: QuickBooks' answer to the host/company query QBWC makes first."""
        try:
            return self.qb.handle(host_company_query("hcp"))
        except QuickBooksHResultError as exc:
            log.warning("QuickBooks refused the host/company query: %s", exc)
            return ""

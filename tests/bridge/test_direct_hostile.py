"""Hostile envelopes against the direct path (``soap_bridge.direct``): whatever a client sends,
the bridge answers it exactly as spyne alone does -- the same status and bytes, and the same
calls with the same values reaching ``QbwcService`` -- or with a clean SOAP Fault."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzzing
from hypothesis import strategies as st
from lxml import etree
from spyne import Application, Integer32, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from connector.config import Settings
from connector.qbwc import add_company
from connector.qbwc.service import QbwcService
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.sandbox.webconnector import WebConnector
from connector.store import Company, Database
from connector.store.rows import require_row
from soap_bridge.app import create_app
from soap_bridge.direct import DirectCalls
from soap_bridge.gate import GateLimits, SoapGate
from soap_bridge.service import GatedSoap11, Int, Str
from tests.bridge.conftest import COMPANY_FILE, PASSWORD, USER, Post, StepClock
from tests.bridge.test_direct import _gates, _post

TNS = "http://developer.intuit.com/"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
# The QBWC calls as QbwcService has them: what the SOAP layer may hand on, and nothing else.
# The shape of an envelope, not the store behind it, decides which path answers it: the
# corpora run on SQLite only (the stateful tests below run on every backend).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PROTOCOL = frozenset({"server_version", "client_version", "authenticate", "send_request_xml",
                      "receive_response_xml", "connection_error", "get_last_error",
                      "close_connection"})


class _Recorder:
    """The bridge's service, noting each protocol call with its arguments on the way through."""

    def __init__(self, real: QbwcService) -> None:
        self.real = real
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if name not in PROTOCOL:
            return attr

        def call(*args: Any) -> Any:
            self.calls.append((name, args))
            return attr(*args)
        return call


@pytest.fixture
def paths(app: Flask) -> Iterator[tuple[SoapGate, SoapGate, _Recorder]]:
    """(the bridge's gate, the same gate with spyne answering everything, the recorder)."""
    gate, spyne_only = _gates(app)
    application = gate.direct.app  # type: ignore[union-attr]
    recorder = _Recorder(application.qbwc)
    application.qbwc = recorder
    yield gate, spyne_only, recorder
    application.qbwc = recorder.real


def _envelope(body: str, *, header: str = "") -> str:
    return f'<s:Envelope xmlns:s="{ENV}">{header}<s:Body>{body}</s:Body></s:Envelope>'


def _op(name: str, inner: str, attrs: str = "") -> str:
    return f'<{name} xmlns="{TNS}"{attrs}>{inner}</{name}>'


def _params(*pairs: tuple[str, str]) -> str:
    return "".join(f"<{name}>{value}</{name}>" for name, value in pairs)


def _send(major: str, minor: str = "0", ticket: str = "forged",
          company_file: str = r"C:\a.QBW") -> str:
    return _envelope(_op("sendRequestXML", _params(
        ("ticket", ticket), ("strHCPResponse", ""), ("strCompanyFileName", company_file),
        ("qbXMLCountry", "US"), ("qbXMLMajorVers", major), ("qbXMLMinorVers", minor))))


def _echo(version: str) -> str:
    # clientVersion names a version older than 2.1 in its answer: the value comes back.
    return _envelope(_op("clientVersion", _params(("strVersion", "1.0" + version))))


LAST_ERROR = _op("getLastError", "<ticket>forged</ticket>")
FAULT = "<s:Fault><faultcode>s:Client</faultcode><faultstring>x</faultstring></s:Fault>"

ENVELOPES: dict[str, str] = {
    "envelope-default-namespace": f'<Envelope xmlns="{ENV}"><Body>{LAST_ERROR}</Body></Envelope>',
    "envelope-prefix-is-tns-inside": (
        f'<tns:Envelope xmlns:tns="{ENV}"><tns:Body><tns:getLastError xmlns:tns="{TNS}">'
        "<tns:ticket>forged</tns:ticket></tns:getLastError></tns:Body></tns:Envelope>"),
    "prefix-redeclared-on-param": _envelope(
        f'<t:getLastError xmlns:t="{TNS}"><t:ticket xmlns:t="urn:other">x</t:ticket>'
        "</t:getLastError>"),
    "soap12": (f'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
               f"{LAST_ERROR}</s:Body></s:Envelope>"),
    "header-empty": _envelope(LAST_ERROR, header="<s:Header/>"),
    "header-must-understand": _envelope(LAST_ERROR, header=(
        '<s:Header><x:auth xmlns:x="urn:x" s:mustUnderstand="1">t</x:auth></s:Header>')),
    "two-bodies": (f'<s:Envelope xmlns:s="{ENV}"><s:Body>{LAST_ERROR}</s:Body>'
                   f"<s:Body>{LAST_ERROR}</s:Body></s:Envelope>"),
    "two-operations": _envelope(LAST_ERROR + _op("closeConnection", "<ticket>forged</ticket>")),
    "text-in-envelope": f'<s:Envelope xmlns:s="{ENV}">t<s:Body>{LAST_ERROR}</s:Body></s:Envelope>',
    "element-before-body": f'<s:Envelope xmlns:s="{ENV}"><x/><s:Body>{LAST_ERROR}</s:Body>'
                           "</s:Envelope>",
    "body-encoding-style": f'<s:Envelope xmlns:s="{ENV}"><s:Body s:encodingStyle="urn:x">'
                           f"{LAST_ERROR}</s:Body></s:Envelope>",
    "nbsp-in-body": _envelope("\u00a0" + LAST_ERROR),
    "root-not-envelope": LAST_ERROR,
}

OPERATIONS: dict[str, str] = {
    "prefixed": _envelope(f'<t:getLastError xmlns:t="{TNS}"><t:ticket>x</t:ticket>'
                          "</t:getLastError>"),
    "wrong-namespace": _envelope('<getLastError xmlns="urn:other"><ticket>x</ticket>'
                                 "</getLastError>"),
    "no-namespace": _envelope("<getLastError><ticket>x</ticket></getLastError>"),
    "unknown": _envelope(_op("getLastErrors", "<ticket>x</ticket>")),
    "attribute": _envelope(_op("getLastError", "<ticket>x</ticket>", ' id="1"')),
    "xsi-nil": _envelope(_op("getLastError", "", f' {XSI} xsi:nil="true"')),
    "xsi-type": _envelope(_op("getLastError", "<ticket>x</ticket>",
                              f' {XSI} xsi:type="tns:getLastError" xmlns:tns="{TNS}"')),
    "text-before-params": _envelope(_op("getLastError", "t<ticket>x</ticket>")),
    "cdata-between-params": _envelope(_op("getLastError", "<![CDATA[ ]]><ticket>x</ticket>")),
    "comment-and-pi-between-params": _envelope(_op(
        "authenticate", "<!--c--><strUserName>u</strUserName><?pi x?><strPassword>p"
        "</strPassword>")),
    "no-params-spaces": _envelope(_op("serverVersion", "  ")),
    "no-params-comment": _envelope(_op("serverVersion", "<!--c-->")),
    "no-params-child": _envelope(_op("serverVersion", "<x/>")),
}
# Character content XML calls whitespace (space, tab, CR, LF) may sit between the parameters;
# anything else is mixed content the WSDL does not allow, however blank it looks.
for _name, _char in {"space": " ", "tab": "\t", "lf": "\n", "cr-ref": "&#13;",
                     "nbsp": "\u00a0", "nbsp-ref": "&#xA0;", "nel": "\u0085",
                     "ideographic-space": "\u3000", "line-separator": "\u2028",
                     "em-space": "\u2003", "narrow-nbsp": "\u202f"}.items():
    OPERATIONS[f"{_name}-before-params"] = _envelope(_op("getLastError",
                                                         f"{_char}<ticket>x</ticket>"))
    OPERATIONS[f"{_name}-after-params"] = _envelope(_op("closeConnection",
                                                        f"<ticket>x</ticket>{_char}"))
    OPERATIONS[f"{_name}-between-params"] = _envelope(_op(
        "authenticate", f"<strUserName>u</strUserName>{_char}<strPassword>p</strPassword>"))
    OPERATIONS[f"{_name}-only"] = _envelope(_op("closeConnection", _char))
    OPERATIONS[f"{_name}-in-no-params"] = _envelope(_op("serverVersion", _char))

PARAMETERS: dict[str, str] = {
    "duplicated": _envelope(_op("getLastError", "<ticket>a</ticket><ticket>b</ticket>")),
    "reordered": _envelope(_op("authenticate", "<strPassword>p</strPassword>"
                                               "<strUserName>u</strUserName>")),
    "reordered-receive": _envelope(_op("receiveResponseXML", _params(
        ("response", "r"), ("ticket", "t"), ("hresult", ""), ("message", "")))),
    "missing-strings": _envelope(_op("receiveResponseXML", "<message>m</message>")),
    "missing-first-string": _envelope(_op("authenticate", "<strPassword>p</strPassword>")),
    "none-given": _envelope(_op("authenticate", "")),
    "extra": _envelope(_op("getLastError", "<ticket>x</ticket><extra>1</extra>")),
    "other-operation-s": _envelope(_op("closeConnection", "<strVersion>2.3</strVersion>")),
    "unqualified": _envelope(f'<t:getLastError xmlns:t="{TNS}"><ticket>x</ticket>'
                             "</t:getLastError>"),
    "default-namespace-reset": _envelope(_op("getLastError", '<ticket xmlns="">x</ticket>')),
    "wrong-namespace": _envelope(_op("getLastError", '<ticket xmlns="urn:x">x</ticket>')),
    "child-element": _envelope(_op("getLastError", "<ticket><b>x</b></ticket>")),
    "child-in-text": _envelope(_op("getLastError", "<ticket>a<b/>c</ticket>")),
    "attribute": _envelope(_op("getLastError", '<ticket id="1">x</ticket>')),
    "xml-lang": _envelope(_op("getLastError", '<ticket xml:lang="en">x</ticket>')),
    "xsi-nil-true": _envelope(_op("getLastError", f'<ticket {XSI} xsi:nil="true"/>')),
    "xsi-nil-false": _envelope(_op("getLastError", f'<ticket {XSI} xsi:nil="false">x</ticket>')),
    "xsi-type": _envelope(_op("getLastError", f'<ticket {XSI} xsi:type="xs:string" '
                                              'xmlns:xs="http://www.w3.org/2001/XMLSchema">x'
                                              "</ticket>")),
    "namespace-declaration-only": _envelope(_op("getLastError",
                                                '<ticket xmlns:q="urn:q">x</ticket>')),
    "empty": _envelope(_op("getLastError", "<ticket/>")),
    "empty-pair": _envelope(_op("getLastError", "<ticket></ticket>")),
    "whitespace": _envelope(_op("getLastError", "<ticket>  \n </ticket>")),
}
# Values reaching the service are echoed back by clientVersion, so each one is seen twice.
for _name, _value in {"cdata": "<![CDATA[<b>&amp;</b>]]>", "comment": "a<!--c-->b",
                      "pi": "a<?pi x?>b", "entities": "&lt;&amp;&gt;&quot;&apos;",
                      "char-refs": "&#65;&#x1F600;", "cr-ref": "a&#13;b", "crlf": "a\r\nb",
                      "control-ref": "a&#x1;b", "control-raw": "a\x0bb", "nul-ref": "a&#0;b",
                      "mark": "a\ufdd0b", "surrogate-ref": "&#xD800;", "non-bmp": "\U0001f600",
                      "rtl-and-combining": "\u202eab\u0301", "bom": "\ufeffx",
                      "nbsp-around": "\u00a0x\u00a0", "tabs": "\tx\t", "long": "x" * 20000,
                      "noncharacter": "\uffff"}.items():
    PARAMETERS[f"value-{_name}"] = _echo(_value)

INTEGERS: dict[str, str] = {
    f"int-{label}": _send(value) for label, value in {
        "plain": "13", "plus": "+13", "leading-zeros": "013", "ten-digits": "0000000013",
        "eleven-digits": "00000000013", "minus-zero": "-0", "plus-zero": "+0",
        "leading-space": " 13", "trailing-space": "13 ", "newlines": "\n13\n", "tab": "\t13",
        "nbsp": "\u00a013", "max": "2147483647", "max-plus-one": "2147483648",
        "min": "-2147483648", "min-minus-one": "-2147483649", "int64": "9223372036854775807",
        "huge": "9" * 400, "exponent": "1e1", "decimal": "13.0", "empty": "",
        "fullwidth": "\uff11\uff13", "arabic-indic": "\u0663", "hex": "0x1", "double-sign":
        "+-1", "underscore": "1_3", "char-ref-digit": "&#49;3", "cdata": "<![CDATA[13]]>",
        "comment-split": "1<!--x-->3", "cr-ref": "13&#13;", "minus": "-13",
    }.items()
}
INTEGERS["int-missing-minor"] = _envelope(_op("sendRequestXML", _params(
    ("ticket", "forged"), ("qbXMLMajorVers", "13"))))
INTEGERS["int-minor-only"] = _envelope(_op("sendRequestXML", _params(
    ("ticket", "forged"), ("qbXMLMinorVers", "0"))))
INTEGERS["int-empty-element"] = _send("13", "<![CDATA[]]>")

CORPUS: dict[str, str | bytes] = {**ENVELOPES, **OPERATIONS, **PARAMETERS, **INTEGERS}
CORPUS["latin-1"] = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + _echo(" caf\u00e9")
                     ).encode("iso-8859-1")
CORPUS["utf-16"] = ('<?xml version="1.0" encoding="UTF-16"?>' + _echo("x")).encode("utf-16")


def _answers(paths: tuple[SoapGate, SoapGate, _Recorder],
             body: str | bytes) -> list[tuple[Any, ...]]:
    """(status, content type, body, the service calls) as the bridge and as spyne answer."""
    gate, spyne_only, recorder = paths
    answers = []
    for answering in (gate, spyne_only):
        recorder.calls.clear()
        reply = _post(answering, body)
        answers.append((reply.status_code, reply.headers["content-type"], reply.content,
                        list(recorder.calls)))
    return answers


@SQLITE_ONLY
@pytest.mark.parametrize("body", CORPUS.values(), ids=CORPUS.keys())
def test_a_hostile_envelope_is_answered_as_spyne_alone_answers_it(
        paths: tuple[SoapGate, SoapGate, _Recorder], company: object,
        body: str | bytes) -> None:
    direct, spyne = _answers(paths, body)
    assert direct == spyne
    status, _type, content, _calls = direct
    assert status in (200, 500) and b"Traceback" not in content
    if status == 500:
        assert b"<faultcode>soap11env:" in content



@SQLITE_ONLY
@pytest.mark.parametrize("headers", [
    {}, {"Content-Type": "text/plain"}, {"Content-Type": "application/soap+xml"},
    {"Content-Type": "text/xml; charset=iso-8859-1"},
    {"Content-Type": "multipart/related; boundary=x"},
    {"Content-Type": "text/xml", "SOAPAction": f'"{TNS}authenticate"'},
    {"Content-Type": "text/xml", "SOAPAction": '""'},
], ids=["none", "text-plain", "soap12-type", "latin-1-charset", "multipart",
        "other-soapaction", "empty-soapaction"])
def test_the_http_headers_change_nothing_on_either_path(
        paths: tuple[SoapGate, SoapGate, _Recorder], company: object,
        headers: dict[str, str]) -> None:
    gate, spyne_only, recorder = paths
    answers = []
    for answering in (gate, spyne_only):
        recorder.calls.clear()
        with httpx.Client(transport=httpx.WSGITransport(app=answering),
                          base_url="http://bridge.test") as http:
            reply = http.post("/", content=_envelope(LAST_ERROR).encode(), headers=headers)
        answers.append((reply.status_code, reply.content, list(recorder.calls)))
    assert answers[0] == answers[1]
    assert answers[0][2] == [("get_last_error", ("forged",))]

# -- authentication ------------------------------------------------------------------------

def _login(gate: SoapGate, password: str = PASSWORD) -> tuple[str, str]:
    """(ticket, status) of an authenticate in the WSDL's shape."""
    reply = _post(gate, _envelope(_op("authenticate", _params(("strUserName", USER),
                                                              ("strPassword", password)))))
    assert reply.status_code == 200
    strings = [e.text or "" for e in etree.fromstring(reply.content).iter(f"{{{TNS}}}string")]
    return strings[0], strings[1]


def _text_result(reply: httpx.Response) -> str:
    assert reply.status_code == 200, reply.text
    (result,) = [e for e in etree.fromstring(reply.content).iter() if str(e.tag).endswith(
        "Result")]
    return result.text or ""


def _smuggled(live: str) -> dict[str, str]:
    """sendRequestXML envelopes that carry a live ticket where the WSDL has none."""
    rest = _params(("strHCPResponse", ""), ("strCompanyFileName", COMPANY_FILE),
                   ("qbXMLCountry", "US"), ("qbXMLMajorVers", "13"), ("qbXMLMinorVers", "0"))
    forged = _op("sendRequestXML", "<ticket>forged</ticket>" + rest)
    return {
        "attribute": _envelope(_op("sendRequestXML", "<ticket>forged</ticket>" + rest,
                                   f' ticket="{live}"')),
        "second-ticket": _envelope(_op("sendRequestXML", "<ticket>forged</ticket>"
                                       f"<ticket>{live}</ticket>" + rest)),
        "ticket-in-another-namespace": _envelope(_op(
            "sendRequestXML", f'<ticket xmlns="urn:x">{live}</ticket>'
            "<ticket>forged</ticket>" + rest)),
        "unqualified-ticket": _envelope(_op("sendRequestXML",
                                            f'<ticket xmlns="">{live}</ticket>' + rest)),
        "header": _envelope(forged, header=f'<s:Header><ticket xmlns="{TNS}">{live}</ticket>'
                                           "</s:Header>"),
        "second-body": (f'<s:Envelope xmlns:s="{ENV}"><s:Body>{forged}</s:Body><s:Body>'
                        f"{forged.replace('forged', live)}</s:Body></s:Envelope>"),
        "second-operation": _envelope(forged + forged.replace("forged", live)),
        "nested": _envelope(_op("sendRequestXML", f"<ticket><t>{live}</t></ticket>" + rest)),
        "padded": _envelope(_op("sendRequestXML", f"<ticket> {live}</ticket>" + rest)),
        "nbsp-padded": _envelope(_op("sendRequestXML", f"<ticket>{live}\u00a0</ticket>" + rest)),
        "nbsp-before": _envelope(_op("sendRequestXML", f"\u00a0<ticket>{live}</ticket>" + rest)),
    }


SMUGGLED = list(_smuggled("LIVE"))


@pytest.mark.parametrize("shape", SMUGGLED)
def test_a_live_ticket_outside_the_wsdl_shape_gets_no_request_on_either_path(
        paths: tuple[SoapGate, SoapGate, _Recorder], company: object, shape: str) -> None:
    gate = paths[0]
    ticket, status = _login(gate)
    assert status == COMPANY_FILE
    direct, spyne = _answers(paths, _smuggled(ticket)[shape])
    assert direct == spyne
    assert b"QBXML" not in direct[2]
    assert all(call[1][0] != ticket for call in direct[3])
    # The session was live all along: the WSDL's own shape gets the first request.
    assert "QBXML" in _text_result(_post(gate, _send("13", ticket=ticket,
                                                     company_file=COMPANY_FILE)))


def test_an_expired_ticket_is_refused_alike_on_both_paths(
        paths: tuple[SoapGate, SoapGate, _Recorder], company: object, clock: StepClock,
        settings: Settings) -> None:
    answers = []
    for answering in paths[:2]:
        ticket, status = _login(answering)
        assert status == COMPANY_FILE
        clock.advance(minutes=settings.ticket_idle_minutes + 1)
        answers.append([_text_result(_post(answering, body)) for body in (
            _send("13", ticket=ticket, company_file=COMPANY_FILE),
            _envelope(_op("getLastError", f"<ticket>{ticket}</ticket>")),
            _envelope(_op("closeConnection", f"<ticket>{ticket}</ticket>")))])
    direct, spyne = answers
    assert direct == spyne
    assert direct[0] == "" and "expired" in direct[1]


def test_the_login_throttle_counts_both_paths_failures_before_any_password_check(
        paths: tuple[SoapGate, SoapGate, _Recorder], company: object, clock: StepClock,
        settings: Settings) -> None:
    gate, spyne_only, _ = paths
    for i in range(settings.login_max_failures):
        assert _login((gate, spyne_only)[i % 2], "wrong") == ("", "nvu")
    # Held back: the right password is not even checked, on either path.
    assert _login(gate) == ("", "nvu")
    assert _login(spyne_only) == ("", "nvu")
    clock.advance(minutes=settings.lockout_minutes)
    ticket, status = _login(gate)
    assert status == COMPANY_FILE and len(ticket) >= 32


# -- logs ----------------------------------------------------------------------------------

SECRET_PASSWORD = "s3cret-Pa55word-" + "q" * 8
SECRET_TICKET = "Tk9-" + "z" * 28


def _secret_calls() -> dict[str, str]:
    password = SECRET_PASSWORD
    ticket = f"<ticket>{SECRET_TICKET}</ticket>"
    return {
        "authenticate": _envelope(_op("authenticate", _params(("strUserName", USER),
                                                              ("strPassword", password)))),
        "authenticate-nbsp": _envelope(_op("authenticate", f"\u00a0<strUserName>{USER}"
                                           f"</strUserName><strPassword>{password}"
                                           "</strPassword>")),
        "authenticate-reordered": _envelope(_op("authenticate", _params(
            ("strPassword", password), ("strUserName", USER)))),
        "authenticate-child": _envelope(_op("authenticate", f"<strPassword><b>{password}</b>"
                                                            "</strPassword>")),
        "authenticate-attribute": _envelope(_op("authenticate", f'<strPassword p="{password}"/>')),
        "authenticate-cdata": _envelope(_op("authenticate", f"<strPassword><![CDATA[{password}"
                                                            "]]></strPassword>")),
        "authenticate-truncated": _envelope(_op("authenticate", _params(
            ("strPassword", password))))[:-30],
        "sendRequestXML": _send("13", ticket=SECRET_TICKET),
        "sendRequestXML-bad-int": _send("1e3", ticket=SECRET_TICKET),
        "receiveResponseXML": _envelope(_op("receiveResponseXML", ticket + _params(
            ("response", "&lt;QBXML/&gt;"), ("hresult", ""), ("message", "")))),
        "getLastError": _envelope(_op("getLastError", ticket)),
        "getLastError-duplicated": _envelope(_op("getLastError", ticket + ticket)),
        "closeConnection": _envelope(_op("closeConnection", ticket)),
        "connectionError": _envelope(_op("connectionError", ticket + _params(
            ("hresult", "0x80040408"), ("message", "could not open")))),
    }


def _assert_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert SECRET_PASSWORD not in logged and SECRET_TICKET not in logged


@pytest.mark.parametrize("call", list(_secret_calls()))
def test_no_password_or_ticket_reaches_the_logs_on_either_path(
        paths: tuple[SoapGate, SoapGate, _Recorder], company: object,
        caplog: pytest.LogCaptureFixture, call: str) -> None:
    caplog.set_level(logging.DEBUG)
    direct, spyne = _answers(paths, _secret_calls()[call])
    assert direct[:3] == spyne[:3]
    _assert_no_secret(caplog)


@SQLITE_ONLY
@pytest.mark.parametrize("call", list(_secret_calls()))
def test_a_failing_method_answers_spyne_s_server_fault_and_logs_no_secret(
        settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        call: str) -> None:
    # No tables: every method that reaches the store fails inside.
    tableless = create_app(settings, db=Database(f"sqlite:///{tmp_path}/no-tables.db"))
    gate, spyne_only = _gates(tableless)
    caplog.set_level(logging.DEBUG)
    body = _secret_calls()[call]
    direct, spyne = _post(gate, body), _post(spyne_only, body)
    assert (direct.status_code, direct.content) == (spyne.status_code, spyne.content)
    assert direct.status_code == 500 and b"<faultcode>soap11env:" in direct.content
    _assert_no_secret(caplog)


# -- shapes spyne itself tripped over --------------------------------------------------------

BODILESS = {
    "empty-body": _envelope(""),
    "blank-body": _envelope(" \n "),
    "nil-body": f'<s:Envelope xmlns:s="{ENV}"><s:Body {XSI} xsi:nil="true"/></s:Envelope>',
    "header-only": f'<s:Envelope xmlns:s="{ENV}"><s:Header/></s:Envelope>',
    "header-and-empty-body": _envelope("", header="<s:Header/>"),
    "empty-body-then-a-call": (f'<s:Envelope xmlns:s="{ENV}"><s:Body/><s:Body>{LAST_ERROR}'
                               "</s:Body></s:Envelope>"),
    "fault": _envelope(FAULT),
    "fault-then-a-call": _envelope(FAULT + LAST_ERROR),
}


@pytest.mark.parametrize("body", BODILESS.values(), ids=BODILESS.keys())
def test_a_body_without_a_call_gets_a_client_fault_not_a_traceback(
        post_soap: Post, caplog: pytest.LogCaptureFixture, body: str) -> None:
    reply = post_soap(body.encode(), headers={"Content-Type": "text/xml; charset=utf-8"})
    assert reply.status_code == 500
    assert b"<faultcode>soap11env:Client.SoapError</faultcode>" in reply.content
    assert not [r for r in caplog.records if r.exc_info], caplog.text


def test_an_answer_xml_cannot_carry_gets_a_server_fault_not_a_traceback(
        db: Database, company: Company, post_soap: Post,
        caplog: pytest.LogCaptureFixture) -> None:
    # A company named with a control character, as a store written before add_company refused
    # them may hold: closeConnection's summary names the company, and no XML can carry it.
    with db.session() as s:
        require_row(s, Company, company.id).name = "Ac\x0bme"
    login = post_soap(_envelope(_op("authenticate", _params(("strUserName", USER),
                                                            ("strPassword", PASSWORD)))))
    ticket = login.text.split("<tns:string>")[1].split("</tns:string>")[0]
    reply = post_soap(_envelope(_op("closeConnection", f"<ticket>{ticket}</ticket>")))
    assert reply.status_code == 500
    assert b"<faultcode>soap11env:Server</faultcode>" in reply.content
    assert {r.name for r in caplog.records if r.exc_info} <= {"spyne.application.server"}
    assert ticket not in caplog.text


# -- a whole session -------------------------------------------------------------------------

class _Taped(httpx.BaseTransport):
    """The bridge as the Web Connector reaches it, every answer's bytes kept in order."""

    def __init__(self, gate: SoapGate) -> None:
        self.wsgi = httpx.WSGITransport(app=gate)
        self.answers: list[tuple[int, bytes]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply = self.wsgi.handle_request(request)
        content = reply.read()
        self.answers.append((reply.status_code, content))
        return httpx.Response(reply.status_code, headers=reply.headers, content=content)


def test_a_whole_session_gets_the_same_bytes_from_both_paths(
        app: Flask, company: object, settings: Settings, sqlite_db: Database,
        clock: StepClock) -> None:
    # Two stores alike, one answered by the bridge and one by spyne alone, each polled by a
    # Web Connector in front of the same seeded company file.
    add_company(sqlite_db, "Acme", USER, PASSWORD, company_file=COMPANY_FILE,
                pin_company_file=True)
    spyne_only = _gates(create_app(settings, db=sqlite_db, clock=clock))[1]
    tapes = []
    for answering in (_gates(app)[0], spyne_only):
        qb = QuickBooksSimulator(COMPANY_FILE, clock=clock)
        seed_company(qb, customers=30, invoices=12, lines_per_invoice=2, seed=7)
        tape = _Taped(answering)
        with WebConnector("http://bridge.test/qbwc", USER, PASSWORD, qb,
                          http=httpx.Client(transport=tape, base_url="http://bridge.test"),
                          sleep=lambda _s: None) as connector:
            report = connector.run_session()
        assert report.authenticated and report.requests >= 5 and report.percents[-1] == 100
        tickets = [e.text or "" for e in etree.fromstring(tape.answers[2][1]).iter(
            f"{{{TNS}}}string")][:1]
        tapes.append([(status, content.replace(tickets[0].encode(), b"TICKET"))
                      for status, content in tape.answers])
    direct, spyne = tapes
    assert direct == spyne


# -- generated envelopes ---------------------------------------------------------------------

SIGNATURES = {
    "serverVersion": [], "clientVersion": ["strVersion"],
    "authenticate": ["strUserName", "strPassword"],
    "sendRequestXML": ["ticket", "strHCPResponse", "strCompanyFileName", "qbXMLCountry",
                       "qbXMLMajorVers", "qbXMLMinorVers"],
    "receiveResponseXML": ["ticket", "response", "hresult", "message"],
    "connectionError": ["ticket", "hresult", "message"], "getLastError": ["ticket"],
    "closeConnection": ["ticket"],
}
_values = st.one_of(st.sampled_from([
    "", " ", "\u00a0", "13", "+7", "0099", "-0", "2147483648", "-2147483649", " 13", "1_3",
    "\uff11", "<![CDATA[13]]>", "1<!--c-->3", "<i>1</i>", "&#13;", "&#x1;", "&#xA0;",
    "\U0001f600", "&lt;QBXML/&gt;", "2.0.1", "x" * 300]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&"),
            max_size=12))
_space = st.sampled_from(["", "", "", " ", "\n  ", "\t", "&#13;", "\u00a0", "\u2003", "t",
                          "<!--c-->", "<?p x?>", "<![CDATA[ ]]>"])
_attribute = st.sampled_from(["", "", "", "", ' a="1"', f' {XSI} xsi:nil="true"',
                              ' xml:lang="en"', ' xmlns=""', ' xmlns="urn:o"',
                              ' xmlns:q="urn:q"'])


@st.composite
def _call(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from([*SIGNATURES, "noSuchCall"]))
    names = list(SIGNATURES.get(name, ["ticket"]))
    if draw(st.booleans()):
        names = draw(st.permutations(names))
    extra = draw(st.lists(st.sampled_from([*names, "ticket", "extra"]), max_size=2))
    dropped = draw(st.integers(min_value=0, max_value=len(names)))
    names = [n for i, n in enumerate(names) if i != dropped] + extra
    inner = "".join(f"{draw(_space)}<{n}{draw(_attribute)}>{draw(_values)}</{n}>"
                    for n in names) + draw(_space)
    namespace = draw(st.sampled_from([f' xmlns="{TNS}"'] * 6 + [' xmlns="urn:o"', ""]))
    return f"<{name}{namespace}{draw(_attribute)}>{inner}</{name}>"


@st.composite
def _generated(draw: st.DrawFn) -> str:
    body = draw(_call())
    body = draw(st.sampled_from(["", "\u00a0", " "])) + body + draw(st.sampled_from(
        ["", "", "", " ", "\u00a0", "<!--c-->"]))
    header = draw(st.sampled_from(["", "", "", "<s:Header/>"]))
    bodies = f"<s:Body>{body}</s:Body>" * draw(st.sampled_from([1, 1, 1, 1, 2]))
    return f'<s:Envelope xmlns:s="{ENV}">{header}{bodies}</s:Envelope>'


@SQLITE_ONLY
def test_generated_envelopes_are_answered_as_spyne_alone_answers_them(
        paths: tuple[SoapGate, SoapGate, _Recorder], company: object) -> None:
    @fuzzing(max_examples=200, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(body=_generated())
    def one(body: str) -> None:
        direct, spyne = _answers(paths, body)
        assert direct == spyne

    one()


# -- values as the @rpc functions see them ----------------------------------------------------

class _Echo(ServiceBase):
    """@rpc methods of the bridge's parameter types that answer what they were handed."""

    @rpc(Str, Str, _returns=Str)
    def strings(ctx: Any, a: Any, b: Any) -> str:  # noqa: N805 - spyne passes ctx first
        return repr((a, b))

    @rpc(Str, Int, _returns=Str)
    def number(ctx: Any, a: Any, n: Any) -> str:  # noqa: N805 - spyne passes ctx first
        return repr((a, n, type(n).__name__))


class _NoLargeBodies:
    def session_is_live(self, ticket: str) -> bool:
        return False

    def refuse_oversize_response(self, ticket: str, size: int | None, cap: int) -> int:
        return -1


def _both_paths(service: type[ServiceBase]) -> tuple[SoapGate, SoapGate]:
    """A gate with the direct path over ``service`` and one where spyne answers every call."""
    application = Application([service], tns=TNS, in_protocol=GatedSoap11(validator="lxml"),
                              out_protocol=Soap11())
    spyne = WsgiApplication(application)
    limits = GateLimits(max_body_bytes=2**20, max_call_bytes=2**16)
    return (SoapGate(spyne, limits=limits, guard=_NoLargeBodies(),
                     direct=DirectCalls(application, service)),
            SoapGate(spyne, limits=limits, guard=_NoLargeBodies()))


@pytest.mark.parametrize(("operation", "inner"), [
    ("strings", ""), ("strings", "<a/>"), ("strings", "<a></a><b/>"),
    ("strings", "<a><![CDATA[]]></a>"), ("strings", "<a> </a><b>\n</b>"), ("strings", "<b>y</b>"),
    ("number", "<n>7</n>"), ("number", "<a/><n>-0</n>"), ("number", "<a>x</a><n>+0012</n>"),
])
def test_an_rpc_function_is_handed_the_values_spyne_hands_it(operation: str, inner: str) -> None:
    gate, spyne_only = _both_paths(_Echo)
    body = _envelope(_op(operation, inner))
    assert gate.direct is not None and gate.direct(etree.fromstring(body.encode()), {})
    answers = [_post(answering, body) for answering in (gate, spyne_only)]
    assert answers[0].content == answers[1].content
    assert answers[0].status_code == 200


class _Restricted(ServiceBase):
    """Parameters spyne would check beyond their type: a facet, a required string, a list."""

    @rpc(Unicode(max_len=3), _returns=Str)
    def short(ctx: Any, s: Any) -> str:  # noqa: N805 - spyne passes ctx first
        return repr(s)

    @rpc(Unicode(pattern="[a-z]+"), _returns=Str)
    def lower(ctx: Any, s: Any) -> str:  # noqa: N805 - spyne passes ctx first
        return repr(s)

    @rpc(Unicode(values=["US", "CA"]), _returns=Str)
    def country(ctx: Any, s: Any) -> str:  # noqa: N805 - spyne passes ctx first
        return repr(s)

    @rpc(Unicode(min_occurs=1), _returns=Str)
    def required(ctx: Any, s: Any) -> str:  # noqa: N805 - spyne passes ctx first
        return repr(s)

    @rpc(Unicode(max_occurs=3), _returns=Str)
    def several(ctx: Any, s: Any) -> str:  # noqa: N805 - spyne passes ctx first
        return repr(s)

    @rpc(Integer32(ge=0, le=99), _returns=Str)
    def percent(ctx: Any, n: Any) -> str:  # noqa: N805 - spyne passes ctx first
        return repr(n)


@pytest.mark.parametrize(("operation", "inner"), [
    ("short", "<s>abcd</s>"), ("lower", "<s>ABC</s>"), ("country", "<s>FR</s>"),
    ("required", ""), ("several", "<s>a</s>"), ("several", "<s>a</s><s>b</s>"),
    ("percent", "<n>100</n>"), ("percent", "<n>-1</n>"),
])
def test_a_parameter_spyne_checks_beyond_its_type_is_left_to_spyne(operation: str,
                                                                   inner: str) -> None:
    body = _envelope(_op(operation, inner))
    direct, spyne = (_post(gate, body) for gate in _both_paths(_Restricted))
    assert (direct.status_code, direct.content) == (spyne.status_code, spyne.content)

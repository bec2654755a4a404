"""Calls of the WSDL's exact shape skip spyne's machinery (``soap_bridge.direct``): the same
bytes on the wire as spyne's answer, and every other shape still left to spyne."""

from __future__ import annotations

import httpx
import pytest
from flask import Flask
from lxml import etree

from soap_bridge.app import QBWC_PATH
from soap_bridge.direct import DirectCalls
from soap_bridge.gate import SoapGate
from tests.bridge.conftest import COMPANY_FILE, PASSWORD, USER

TNS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
# As .NET writes it: declarations spyne never uses, and indentation between elements.
ENVELOPE = f"""<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="{SOAP_ENV}"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <soap:Body>
    {{call}}
  </soap:Body>
</soap:Envelope>"""


def _call(op: str, *params: tuple[str, str]) -> str:
    inner = "".join(f"\n      <{name}>{value}</{name}>" for name, value in params)
    return f'<{op} xmlns="{TNS}">{inner}\n    </{op}>'


# Calls whose answer does not depend on state a first call leaves behind.
REPEATABLE = [
    f'<serverVersion xmlns="{TNS}"/>',
    f'<serverVersion xmlns="{TNS}"></serverVersion>',
    _call("clientVersion", ("strVersion", "2.3.0.36")),
    _call("clientVersion", ("strVersion", "2.0.1.5")),
    _call("clientVersion"),
    _call("authenticate", ("strUserName", "nobody"), ("strPassword", "wrong")),
    _call("sendRequestXML", ("ticket", "forged"), ("strHCPResponse", "&lt;QBXML/&gt;"),
          ("strCompanyFileName", r"C:\a.QBW"), ("qbXMLCountry", "US"),
          ("qbXMLMajorVers", "13"), ("qbXMLMinorVers", "0")),
    _call("receiveResponseXML", ("ticket", "forged"), ("response", "&lt;QBXML/&gt;"),
          ("hresult", ""), ("message", "")),
    _call("connectionError", ("ticket", "forged"), ("hresult", "0x80040408"),
          ("message", "could not open")),
    _call("getLastError", ("ticket", "forged")),
    _call("closeConnection", ("ticket", "forged")),
]

# Shapes the WSDL does not describe exactly: spyne validates them and writes the Fault.
IRREGULAR = [
    _call("serverVersion"),  # spaces inside an operation without parameters
    _call("getLastError", ("ticket", "forged"), ("extra", "1")),
    _call("getLastError", ("ticket", "<b>forged</b>")),
    f'<getLastError xmlns="{TNS}">text<ticket>forged</ticket></getLastError>',
    f'<getLastError xmlns="{TNS}"><ticket xsi:nil="true"/></getLastError>',
    f'<getLastError xmlns="{TNS}" id="1"><ticket>forged</ticket></getLastError>',
    _call("closeConnection", ("strVersion", "2.3")),
    _call("sendRequestXML", ("ticket", "forged"), ("qbXMLMinorVers", "0")),
    _call("sendRequestXML", ("ticket", "forged"), ("qbXMLMajorVers", " 13"),
          ("qbXMLMinorVers", "0")),
    _call("sendRequestXML", ("ticket", "forged"), ("qbXMLMajorVers", "99999999999"),
          ("qbXMLMinorVers", "0")),
    _call("sendRequestXML", ("qbXMLMinorVers", "0"), ("qbXMLMajorVers", "13")),
    _call("noSuchCall", ("ticket", "forged")),
    '<getLastError xmlns="urn:other"><ticket>forged</ticket></getLastError>',
]


def _gates(app: Flask) -> tuple[SoapGate, SoapGate]:
    """The bridge's gate, and the same gate without the direct path (spyne answers all)."""
    gate: SoapGate = app.wsgi_app.mounts[QBWC_PATH]  # type: ignore[attr-defined]
    assert isinstance(gate.direct, DirectCalls)
    return gate, SoapGate(gate.app, limits=gate.limits, guard=gate.guard)


def _post(gate: SoapGate, body: str | bytes) -> httpx.Response:
    with httpx.Client(transport=httpx.WSGITransport(app=gate),
                      base_url="http://bridge.test") as http:
        return http.post("/", content=body.encode() if isinstance(body, str) else body, headers={
            "Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{TNS}call"'})


@pytest.mark.parametrize("call", REPEATABLE)
def test_a_wsdl_shaped_call_is_answered_directly_with_spyne_s_bytes(app: Flask, company: object,
                                                                      call: str) -> None:
    gate, spyne_only = _gates(app)
    assert gate.direct is not None
    assert gate.direct(etree.fromstring(ENVELOPE.format(call=call).encode()), {}) is not None
    direct, spyne = _post(gate, ENVELOPE.format(call=call)), _post(spyne_only,
                                                                  ENVELOPE.format(call=call))
    assert (direct.status_code, direct.content) == (spyne.status_code, spyne.content)
    assert direct.headers["content-type"] == spyne.headers["content-type"]


def test_a_direct_login_answers_as_spyne_does(app: Flask, company: object) -> None:
    gate, spyne_only = _gates(app)
    call = _call("authenticate", ("strUserName", USER), ("strPassword", PASSWORD))
    tickets = []
    for answering in (gate, spyne_only, gate):
        reply = etree.fromstring(_post(answering, ENVELOPE.format(call=call)).content)
        strings = [e.text or "" for e in reply.iter(f"{{{TNS}}}string")]
        tickets.append(strings[0])
        # The first login holds the company: the others are told it is busy, either way.
        assert strings[1:] == ([COMPANY_FILE] if len(tickets) == 1 else ["busy"]) + ["", ""]
    assert len(tickets[0]) >= 32 and tickets[1:] == ["", ""]


@pytest.mark.parametrize("call", IRREGULAR)
def test_any_other_shape_is_left_to_spyne_untouched(app: Flask, company: object,
                                                    call: str) -> None:
    gate, spyne_only = _gates(app)
    assert gate.direct is not None
    envelope = etree.fromstring(ENVELOPE.format(call=call).encode())
    before = etree.tostring(envelope)
    assert gate.direct(envelope, {}) is None
    assert etree.tostring(envelope) == before
    through_gate, spyne = _post(gate, ENVELOPE.format(call=call)), _post(
        spyne_only, ENVELOPE.format(call=call))
    assert (through_gate.status_code, through_gate.content) == (spyne.status_code, spyne.content)


def test_a_soap_header_is_left_to_spyne(app: Flask) -> None:
    gate, _ = _gates(app)
    assert gate.direct is not None
    envelope = etree.fromstring(
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Header/><soap:Body>'
        f'<serverVersion xmlns="{TNS}"/></soap:Body></soap:Envelope>'.encode())
    assert gate.direct(envelope, {}) is None

"""The exact envelopes on the wire: what QBWC posts (as .NET writes them) and what we answer.

These double as documentation of the protocol. QBWC sends SOAP 1.1 with the operation element
in the default namespace ``http://developer.intuit.com/``, qbXML escaped as text, and
``SOAPAction: "http://developer.intuit.com/<op>"`` (quoted).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import httpx
import pytest
from lxml import etree

from tests.bridge.conftest import COMPANY_FILE, PASSWORD, USER

TNS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

QBWC_ENVELOPE = """<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <soap:Body>{body}</soap:Body>
</soap:Envelope>"""

AUTHENTICATE = (f'<authenticate xmlns="{TNS}"><strUserName>{USER}</strUserName>'
                f"<strPassword>{PASSWORD}</strPassword></authenticate>")
HCP_RESPONSE = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><HostQueryRs requestID="0" statusCode="0" '
    'statusSeverity="Info" statusMessage="Status OK"><HostRet><ProductName>QuickBooks Pro 2024'
    "</ProductName><MajorVersion>34</MajorVersion><MinorVersion>0</MinorVersion>"
    "</HostRet></HostQueryRs></QBXMLMsgsRs></QBXML>"
)
SEND_REQUEST = (f'<sendRequestXML xmlns="{TNS}"><ticket>{{ticket}}</ticket>'
                f"<strHCPResponse>{escape(HCP_RESPONSE)}</strHCPResponse>"
                f"<strCompanyFileName>{COMPANY_FILE}</strCompanyFileName><qbXMLCountry>US</qbXMLCountry>"
                "<qbXMLMajorVers>13</qbXMLMajorVers><qbXMLMinorVers>0</qbXMLMinorVers></sendRequestXML>")
RECEIVE_RESPONSE = (
    f'<receiveResponseXML xmlns="{TNS}"><ticket>{{ticket}}</ticket>'
    "<response></response><hresult>0x80040400</hresult>"
    "<message>QuickBooks found an error when parsing the provided XML text stream.</message>"
    "</receiveResponseXML>"
)


def _post(http: httpx.Client, op: str, body: str) -> etree._Element:
    reply = http.post("/qbwc", content=QBWC_ENVELOPE.format(body=body).encode(), headers={
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{TNS}{op}"'})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/xml")
    envelope = etree.fromstring(reply.content)
    assert envelope.tag == f"{{{SOAP_ENV}}}Envelope"
    (body_el,) = envelope
    assert body_el.tag == f"{{{SOAP_ENV}}}Body"
    (response,) = body_el
    assert response.tag == f"{{{TNS}}}{op}Response"
    (result,) = response
    assert result.tag == f"{{{TNS}}}{op}Result"
    return result


@pytest.fixture
def ticket(inprocess_http: httpx.Client, company: object) -> str:
    return _post(inprocess_http, "authenticate", AUTHENTICATE)[0].text or ""


def test_authenticate_answers_authenticate_result_with_four_string_children(
    inprocess_http: httpx.Client, company: object
) -> None:
    # <tns:authenticateResponse><tns:authenticateResult>
    #   <tns:string>TICKET</tns:string><tns:string>C:\...\Acme.QBW</tns:string>
    #   <tns:string/><tns:string/>
    # </tns:authenticateResult></tns:authenticateResponse>
    result = _post(inprocess_http, "authenticate", AUTHENTICATE)
    assert [child.tag for child in result] == [f"{{{TNS}}}string"] * 4
    assert [child.text or "" for child in result][1:] == [COMPANY_FILE, "", ""]


def test_send_request_xml_answers_escaped_qbxml_text(
    inprocess_http: httpx.Client, ticket: str
) -> None:
    # <tns:sendRequestXMLResponse><tns:sendRequestXMLResult>&lt;?xml …&lt;QBXML&gt;…
    result = _post(inprocess_http, "sendRequestXML", SEND_REQUEST.format(ticket=ticket))
    assert len(result) == 0, "qbXML travels as escaped text, never as child elements"
    assert etree.fromstring((result.text or "").encode()).tag == "QBXML"


def test_receive_response_xml_answers_an_int_percent(
    inprocess_http: httpx.Client, ticket: str
) -> None:
    # <tns:receiveResponseXMLResponse><tns:receiveResponseXMLResult>N</…>
    _post(inprocess_http, "sendRequestXML", SEND_REQUEST.format(ticket=ticket))
    result = _post(inprocess_http, "receiveResponseXML", RECEIVE_RESPONSE.format(ticket=ticket))
    assert -100 <= int(result.text or "") <= 100


@pytest.mark.parametrize(
    "op, body",
    [
        ("serverVersion", f'<serverVersion xmlns="{TNS}" />'),
        (
            "clientVersion",
            f'<clientVersion xmlns="{TNS}"><strVersion>2.3.0.215</strVersion></clientVersion>',
        ),
        ("getLastError", f'<getLastError xmlns="{TNS}"><ticket>{{ticket}}</ticket></getLastError>'),
        (
            "connectionError",
            (
                f'<connectionError xmlns="{TNS}"><ticket>{{ticket}}</ticket><hresult>0x80040408'
                "</hresult><message>Could not start QuickBooks.</message></connectionError>"
            ),
        ),
        (
            "closeConnection",
            f'<closeConnection xmlns="{TNS}"><ticket>{{ticket}}</ticket></closeConnection>',
        ),
    ],
)
def test_string_operations_answer_one_text_result(
    inprocess_http: httpx.Client, ticket: str, op: str, body: str
) -> None:
    result = _post(inprocess_http, op, body.format(ticket=ticket))
    assert len(result) == 0

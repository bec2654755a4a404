"""The gate reads a body only as far as the caller has earned: hostile bodies cost a few
kilobytes, a live session's large QuickBooks answer is read whole, and each is parsed once."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlmodel import select

from connector.config import Settings
from connector.sandbox.webconnector import WebConnector
from connector.store import Database, QueuedRequest, RawResponse, RequestState
from connector.xmlsafe import MARK
from soap_bridge.gate import BLOCK
from tests.bridge.conftest import COMPANY_FILE, PASSWORD, USER, LiveServer

pytestmark = pytest.mark.usefixtures("company")

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
SMALL = 16 * 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Small caps keep the bodies of these tests small; the logic is the same at 64 kB / 50 MB.
    settings.max_call_bytes = SMALL
    settings.max_body_bytes = 16 * 2**20
    return settings


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        block = super().read(size)
        self.consumed += len(block)
        return block


def call(app: Flask, body: bytes, *, chunked: bool = False) -> tuple[str, bytes, int]:
    """POST ``body`` to /qbwc straight through WSGI; returns (status, reply, bytes read)."""
    stream = CountingStream(body)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/qbwc", "SCRIPT_NAME": "",
        "SERVER_NAME": "bridge.test", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http", "wsgi.input": stream, "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": "text/xml; charset=utf-8",
    }
    if chunked:
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(len(body))
    status: list[str] = []
    reply = b"".join(app(environ, lambda s, h, *_: status.append(s)))  # type: ignore[arg-type]
    return status[0], reply, stream.consumed


def envelope(op: str, inner: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{ENV}">'
            f'<soap:Body><{op} xmlns="http://developer.intuit.com/">{inner}</{op}>'
            "</soap:Body></soap:Envelope>").encode()


def login(soap: WebConnector) -> tuple[str, str]:
    ticket = soap.call_strings("authenticate", strUserName=USER, strPassword=PASSWORD)[0]
    request = soap.call_text("sendRequestXML", ticket=ticket, strHCPResponse="",
                             strCompanyFileName=COMPANY_FILE, qbXMLCountry="US",
                             qbXMLMajorVers=13, qbXMLMinorVers=0)
    return ticket, request.split('requestID="')[1].split('"')[0]


def padded_response(request_id: str, size: int) -> str:
    """A HostQuery answer grown to about ``size`` with elements it does not know: one text
    node in QBWC's envelope, as a very large query result would be."""
    head = ('<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
            f'<HostQueryRs requestID="{request_id}" statusCode="0" statusSeverity="Info" '
            'statusMessage="Status OK"><HostRet><ProductName>QuickBooks Pro 2023</ProductName>'
            "<MajorVersion>33</MajorVersion><MinorVersion>0</MinorVersion></HostRet>")
    tail = "</HostQueryRs></QBXMLMsgsRs></QBXML>"
    pad = "<Unknown>" + "x" * 1000 + "</Unknown>\n"
    return head + pad * ((size - len(head) - len(tail)) // len(pad)) + tail


@pytest.mark.parametrize("chunked", [False, True], ids=["sized", "chunked"])
def test_millions_of_elements_in_an_authenticate_cost_only_the_first_kilobytes(
        app: Flask, chunked: bool) -> None:
    body = envelope("authenticate", "<strUserName>x</strUserName>" + "<a/>" * 1_000_000)
    status, reply, consumed = call(app, body, chunked=chunked)
    assert status.startswith(("413", "500")) and b"<faultcode>" in reply
    assert consumed <= SMALL + BLOCK


@pytest.mark.parametrize("op", ["authenticate", "sendRequestXML", "connectionError",
                                "getLastError", "closeConnection", "clientVersion"])
def test_every_call_but_receive_response_xml_has_the_small_cap(app: Flask, op: str) -> None:
    body = envelope(op, f"<ticket>{'x' * (4 * SMALL)}</ticket>")
    status, reply, consumed = call(app, body)
    assert status.startswith("413")
    assert f"exceeds the {SMALL}-byte cap for {op}".encode() in reply
    assert consumed <= SMALL + BLOCK


def test_a_large_response_with_a_forged_ticket_is_answered_unread(app: Flask,
                                                                  db: Database) -> None:
    body = envelope("receiveResponseXML", "<ticket>forged</ticket><response>"
                    + "&lt;QBXML/&gt;" * 100_000 + "</response>")
    status, reply, consumed = call(app, body)
    assert status.startswith("200") and b"receiveResponseXMLResult>-1<" in reply
    assert consumed <= SMALL + BLOCK
    with db.session() as s:
        assert s.exec(select(RawResponse)).all() == []


def test_a_large_response_must_name_its_ticket_first(app: Flask) -> None:
    body = envelope("receiveResponseXML", "<response>" + "x" * (4 * SMALL)
                    + "</response><ticket>t</ticket>")
    status, reply, consumed = call(app, body)
    assert status.startswith("413") and b"ticket does not come first" in reply
    assert consumed <= SMALL + BLOCK


@pytest.mark.parametrize("depth", [40, 200])
def test_deeply_nested_elements_are_refused_while_parsing(app: Flask, depth: int) -> None:
    body = envelope("authenticate", "<a>" * depth + "</a>" * depth)
    status, reply, _ = call(app, body)
    assert status.startswith("500") and b"nested deeper than 32 levels" in reply


def test_a_live_sessions_answer_with_a_text_node_past_10_mb_is_stored(
        soap: WebConnector, db: Database) -> None:
    # libxml2 refuses one text node over 10 MB unless told otherwise; QBWC sends the whole
    # qbXML answer as one. A live session's answer is read up to MLC_MAX_BODY_BYTES.
    ticket, request_id = login(soap)
    response = padded_response(request_id, 11 * 2**20)
    percent = soap.call_int("receiveResponseXML", ticket=ticket, response=response, hresult="",
                            message="")
    assert 0 <= percent <= 100
    with db.session() as s:
        [stored] = s.exec(select(RawResponse)).all()
    assert stored.status_code == 0 and len(stored.body) == len(response)


@pytest.fixture
def tight(settings: Settings) -> Settings:
    settings.max_body_bytes = 256 * 1024
    return settings


@pytest.mark.parametrize("chunked", [False, True], ids=["sized", "chunked"])
def test_a_live_sessions_answer_over_the_body_cap_stops_the_session_with_advice(
        tight: Settings, app: Flask, live: LiveServer, chunked: bool) -> None:
    with WebConnector(live.qbwc_url, USER, PASSWORD, qb=None) as soap:  # type: ignore[arg-type]
        ticket, request_id = login(soap)
        body = soap.envelope("receiveResponseXML", {
            "ticket": ticket, "response": padded_response(request_id, 400 * 1024),
            "hresult": "", "message": ""})

        def pieces() -> Iterator[bytes]:
            yield from (body[i:i + 10_000] for i in range(0, len(body), 10_000))

        reply = httpx.post(live.qbwc_url, content=pieces() if chunked else body, headers=HEADERS)
        assert reply.status_code == 200 and "receiveResponseXMLResult>-1<" in reply.text
        advice = soap.call_text("getLastError", ticket=ticket)
    assert "MLC_MAX_BODY_BYTES" in advice and "MLC_MAX_RETURNED_CUSTOMERS" in advice


def test_spyne_never_parses_the_body_again(soap: WebConnector,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import spyne.protocol.soap.soap11 as spyne_soap

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("spyne parsed a body the gate had already parsed")

    monkeypatch.setattr(spyne_soap, "_parse_xml_string", refuse)
    ticket, _ = login(soap)
    assert soap.call_text("getLastError", ticket=ticket) == ""


def test_an_answer_holding_control_characters_is_stored_and_its_request_answered(
        soap: WebConnector, db: Database) -> None:
    # QBWC writes what QuickBooks passed on as &#xB;, which strict XML refuses: the gate marks
    # it, so the request is answered (its iterator and watermark go on) and the sync cleans it.
    ticket, request_id = login(soap)
    response = padded_response(request_id, 2000).replace("Pro 2023", "Pro\x0b 2023\x1f")
    sent = soap.envelope("receiveResponseXML", {"ticket": ticket, "response": response,
                                                "hresult": "", "message": ""})
    assert b"Pro&#xB; 2023&#x1F;" in sent
    percent = soap.call_int("receiveResponseXML", ticket=ticket, response=response, hresult="",
                            message="")
    assert 0 <= percent <= 100
    with db.session() as s:
        [stored] = s.exec(select(RawResponse)).all()
        request = s.get(QueuedRequest, int(request_id))
    assert stored.status_code == 0 and f"Pro{MARK} 2023{MARK}" in stored.body
    assert request is not None and request.state == RequestState.ANSWERED

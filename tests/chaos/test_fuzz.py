"""Fuzzing the three doors strangers knock on: the SOAP gate, the qbXML response parser and
the notification endpoint. Hostile input gets a named refusal, never a 500 or a traceback."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.config import Settings
from connector.errors import ConnectorError
from connector.qbxml.parse import iter_records
from connector.store import Database
from soap_bridge.app import create_app

# Deterministic and bounded: these run inside `make test` on every change.
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
NS = "http://developer.intuit.com/"
OPERATIONS = ["serverVersion", "clientVersion", "authenticate", "sendRequestXML",
              "receiveResponseXML", "closeConnection", "connectionError", "getLastError",
              "noSuchOperation"]
texts = st.text(max_size=80)
hostile = st.sampled_from([
    "", "<", "]]>", "&amp;", "&#0;", "&#xD800;", "&xxe;", "<![CDATA[x", "\x00", "\ufffe",
    "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>", "<x:y/>", "9" * 400,
    "<a>" * 50, "'\"<>", "é" * 41, "-1", "1e309",
])
fields = st.one_of(texts, hostile)


def _envelope(operation: str, parts: list[tuple[str, str]], *, doctype: str = "") -> str:
    inner = "".join(f"<{n}>{v}</{n}>" for n, v in parts)
    return (f'<?xml version="1.0" encoding="utf-8"?>{doctype}'
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            f'<soap:Body><{operation} xmlns="{NS}">{inner}</{operation}></soap:Body>'
            "</soap:Envelope>")


envelopes = st.builds(
    _envelope, st.sampled_from(OPERATIONS),
    st.lists(st.tuples(st.sampled_from(["ticket", "strUserName", "strPassword", "response",
                                        "hresult", "message", "strHCPResponse",
                                        "strCompanyFileName", "qbXMLCountry",
                                        "qbXMLMajorVers", "qbXMLMinorVers", "bogus"]),
                       fields), max_size=6),
    doctype=st.sampled_from(["", "<!DOCTYPE d [<!ENTITY a 'aaaa'>]>"]))
bodies = st.one_of(st.binary(max_size=300), envelopes.map(lambda s: s.encode("utf-8", "replace")))


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert "Traceback" not in record.getMessage()


def _app(settings_: Settings, db: Database) -> Any:
    return create_app(settings_, db=db, clock=lambda: datetime(2026, 1, 5, 12, tzinfo=UTC))


def test_soap_gate_never_answers_500(settings: Settings, db: Database,
                                     caplog: pytest.LogCaptureFixture) -> None:
    client = _app(settings, db).test_client()

    @FUZZ
    @given(body=bodies, content_type=st.sampled_from(
        ["text/xml; charset=utf-8", "application/soap+xml", "text/plain", ""]))
    def one(body: bytes, content_type: str) -> None:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            reply = client.post("/qbwc", data=body, headers={"Content-Type": content_type})
        assert reply.status_code in (200, 400, 411, 413, 415, 500), reply.status_code
        if reply.status_code == 500:
            # SOAP 1.1 over HTTP answers every Fault with 500: it must be a named refusal of
            # the client's request, never a server failure.
            fault = re.search(rb"<faultcode>([^<]*)</faultcode>", reply.data)
            assert fault is not None, reply.data[:200]
            assert fault.group(1).split(b":")[-1].startswith(b"Client"), reply.data[:300]
        _no_traceback(caplog)

    one()


def test_notify_endpoint_answers_2xx_or_4xx(settings: Settings, db: Database,
                                            caplog: pytest.LogCaptureFixture) -> None:
    client = _app(settings, db).test_client()
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), texts, hostile)
    json_values = st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)), max_leaves=12)
    shaped = st.fixed_dictionaries({}, optional={
        "channel_id": st.one_of(scalars, st.just("1000000068001")),
        "token": scalars, "ids": json_values, "module": scalars, "operation": scalars,
        "resource_uri": scalars, "server_time": scalars, "query_params": json_values,
        "affected_fields": json_values})
    payloads = st.one_of(st.binary(max_size=200),
                         json_values.map(lambda v: json.dumps(v).encode()),
                         shaped.map(lambda v: json.dumps(v).encode()))

    @FUZZ
    @given(body=payloads, content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded"]))
    def one(body: bytes, content_type: str) -> None:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            reply = client.post("/zoho/notify", data=body, headers={"Content-Type": content_type})
        assert 200 <= reply.status_code < 500, reply.status_code
        _no_traceback(caplog)

    one()


RESPONSE_TEMPLATE = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
    '<{rs} requestID="{rid}" statusCode="{code}" statusSeverity="{sev}" statusMessage="{msg}"'
    ' iteratorRemainingCount="{left}" iteratorID="{it}">{body}</{rs}>'
    "</QBXMLMsgsRs></QBXML>")
record_bodies = st.sampled_from([
    "", ("<CustomerRet><ListID>80000001-1</ListID><EditSequence>1</EditSequence>"
        "<Name>A</Name><FullName>A</FullName><IsActive>true</IsActive></CustomerRet>"),
    "<CustomerRet><ListID/></CustomerRet>", "<InvoiceRet><TxnID>1-1</TxnID></InvoiceRet>",
    ("<InvoiceRet><TxnID>1-1</TxnID><EditSequence>x</EditSequence><Subtotal>1e9999</Subtotal>"
    "</InvoiceRet>"), "<ListDeletedRet><ListDelType>Customer</ListDelType></ListDeletedRet>",
    "<CustomerRet>", "<&>", "<CustomerRet><Balance>NaN</Balance></CustomerRet>",
])
structured = st.builds(
    RESPONSE_TEMPLATE.format,
    rs=st.sampled_from(["CustomerQueryRs", "InvoiceQueryRs", "ItemQueryRs", "ListDeletedQueryRs",
                        "TxnDeletedQueryRs", "CustomerModRs", "Bogus"]),
    rid=st.one_of(st.just("1"), texts.map(lambda s: s.replace('"', ""))),
    code=st.sampled_from(["0", "1", "500", "3200", "-1", "x", "99999999999999999999"]),
    sev=st.sampled_from(["Info", "Warn", "Error", ""]), msg=st.just("m"),
    left=st.sampled_from(["0", "3", "-4", "", "many"]), it=st.just("{abc}"),
    body=st.lists(record_bodies, max_size=3).map("".join))


@FUZZ
@given(text=st.one_of(st.text(max_size=400), structured,
                      st.tuples(structured, st.integers(0, 400)).map(lambda t: t[0][:t[1]])))
def test_qbxml_parser_raises_only_named_errors(text: str) -> None:
    for strict in (True, False):
        with contextlib.suppress(ConnectorError):
            list(iter_records(text, strict=strict))

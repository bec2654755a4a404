"""Hostile or nonsensical values get a clean refusal: a SOAP answer or fault, one short log
line, never a traceback, never the value itself in full."""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

import pytest
from sqlmodel import select

from connector.qbwc.service import QbwcService
from connector.sandbox.webconnector import WebConnector
from connector.store import Database, QueuedRequest, RequestState
from tests.bridge.conftest import COMPANY_FILE, PASSWORD, USER

pytestmark = pytest.mark.usefixtures("company")


def _session(soap: WebConnector) -> tuple[str, str]:
    """A logged-in session with one request handed out: (ticket, its requestID)."""
    ticket, _status, *_ = soap.call_strings("authenticate", strUserName=USER,
                                            strPassword=PASSWORD)
    request = soap.call_text("sendRequestXML", ticket=ticket, strHCPResponse="",
                             strCompanyFileName=COMPANY_FILE, qbXMLCountry="US",
                             qbXMLMajorVers=13, qbXMLMinorVers=0)
    return ticket, request.split('requestID="')[1].split('"')[0]


def assert_clean_log(caplog: pytest.LogCaptureFixture, *, max_chars: int = 2000) -> None:
    """What a refusal may leave in the log: a few short lines, no traceback."""
    ours = [r for r in caplog.records if not r.name.startswith("httpx")]
    assert all(r.exc_info is None for r in ours), [r.getMessage()[:200] for r in ours]
    text = "\n".join(r.getMessage() for r in ours)
    assert "Traceback" not in caplog.text
    assert len(text) < max_chars, text[:500]


def _host_rs(request_id: str, attributes: str = "", inner: str = "") -> str:
    return ('<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
            f'<HostQueryRs requestID="{request_id}" statusCode="0" statusSeverity="Info" '
            f'statusMessage="Status OK" {attributes}>{inner}</HostQueryRs>'
            "</QBXMLMsgsRs></QBXML>")


def _failed_requests(db: Database) -> list[QueuedRequest]:
    with db.session() as s:
        return list(s.exec(select(QueuedRequest)
                           .where(QueuedRequest.state == RequestState.FAILED)).all())


@pytest.mark.parametrize("count", [str(2**63), str(2**64 + 7), "-" + str(2**63)])
def test_an_iterator_count_beyond_any_company_file_fails_that_request_cleanly(
        soap: WebConnector, db: Database, caplog: pytest.LogCaptureFixture, count: str) -> None:
    ticket, request_id = _session(soap)
    caplog.clear()
    caplog.set_level(logging.INFO)
    response = _host_rs(request_id, f'iteratorRemainingCount="{count}" iteratorID="it-1"')
    percent = soap.call_int("receiveResponseXML", ticket=ticket, response=response, hresult="",
                            message="")
    assert 0 <= percent <= 100
    [failed] = _failed_requests(db)
    assert "iteratorRemainingCount" in (failed.error or "")
    assert_clean_log(caplog)


def test_a_response_nested_hundreds_of_levels_deep_fails_that_request_cleanly(
        soap: WebConnector, db: Database, caplog: pytest.LogCaptureFixture) -> None:
    ticket, request_id = _session(soap)
    nested = _host_rs(request_id)
    for _ in range(345):  # each level escapes the one inside: libxml2's depth limit never sees it
        nested = f"<response>{escape(nested)}</response>"
    caplog.clear()
    caplog.set_level(logging.INFO)
    percent = soap.call_int("receiveResponseXML", ticket=ticket, response=nested, hresult="",
                            message="")
    assert 0 <= percent <= 100
    [failed] = _failed_requests(db)
    assert "nested" in (failed.error or "")
    assert_clean_log(caplog)


def test_a_huge_user_name_is_logged_shortened(
        db: Database, settings: object, caplog: pytest.LogCaptureFixture) -> None:
    service = QbwcService(db, settings)  # type: ignore[arg-type]
    caplog.set_level(logging.DEBUG)
    assert service.authenticate("u" * 5_000_000, "x")[1] == "nvu"
    assert_clean_log(caplog)

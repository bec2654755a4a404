"""Each QBWC operation through the bridge, over real HTTP and in-process (same bytes)."""

from __future__ import annotations

import gc

import pytest
import spyne.context

from connector.qbwc.service import UNKNOWN_TICKET
from connector.sandbox.webconnector import WebConnector
from connector.store import Company
from tests.bridge.conftest import COMPANY_FILE, PASSWORD, USER, StepClock

pytestmark = pytest.mark.usefixtures("company")


def _login(soap: WebConnector) -> str:
    ticket, status, *_ = soap.call_strings("authenticate", strUserName=USER, strPassword=PASSWORD)
    assert status == COMPANY_FILE
    return ticket


def _send(soap: WebConnector, ticket: str, company_file: str = COMPANY_FILE) -> str:
    return soap.call_text(
        "sendRequestXML",
        ticket=ticket,
        strHCPResponse="",
        strCompanyFileName=company_file,
        qbXMLCountry="US",
        qbXMLMajorVers=13,
        qbXMLMinorVers=0,
    )


def test_server_version_names_ml_connector(soap: WebConnector) -> None:
    assert soap.call_text("serverVersion").startswith("ml-connector ")


@pytest.mark.parametrize(
    "version, answer", [("2.3.0.215", ""), ("2.1.0.30", ""), ("2.0.1.5", "W:")]
)
def test_client_version_accepts_current_and_warns_before_2_1(
    soap: WebConnector, version: str, answer: str
) -> None:
    assert soap.call_text("clientVersion", strVersion=version).startswith(answer)
    assert (soap.call_text("clientVersion", strVersion=version) == "") == (answer == "")


def test_authenticate_hands_out_a_long_random_ticket_and_the_company_file(
    soap: WebConnector,
) -> None:
    first = soap.call_strings("authenticate", strUserName=USER, strPassword=PASSWORD)
    assert len(first) == 4 and len(first[0]) >= 22
    assert first[1:] == [COMPANY_FILE, "", ""]


def test_authenticate_answers_busy_while_the_company_has_a_live_session(soap: WebConnector) -> None:
    _login(soap)
    assert soap.call_strings("authenticate", strUserName=USER, strPassword=PASSWORD)[1] == "busy"


@pytest.mark.parametrize("user, password", [(USER, "wrong"), ("nobody", PASSWORD), ("", "")])
def test_wrong_password_or_unknown_user_answers_nvu(
    soap: WebConnector, user: str, password: str
) -> None:
    assert soap.call_strings("authenticate", strUserName=user, strPassword=password) == [
        "",
        "nvu",
        "",
        "",
    ]


def test_send_request_xml_hands_out_a_qbxml_request(soap: WebConnector) -> None:
    request = _send(soap, _login(soap))
    assert request.startswith("<?xml") and '<?qbxml version="13.0"?>' in request


def test_receive_response_xml_stores_and_reports_percent(soap: WebConnector) -> None:
    ticket = _login(soap)
    _send(soap, ticket)
    percent = soap.call_int(
        "receiveResponseXML",
        ticket=ticket,
        response="",
        hresult="0x80040400",
        message="QuickBooks found an error when parsing the provided XML text stream.",
    )
    assert 0 <= percent <= 100


def test_wrong_company_file_stops_the_session_with_a_clear_last_error(soap: WebConnector) -> None:
    ticket = _login(soap)
    assert _send(soap, ticket, company_file=r"C:\Other\Wrong.QBW") == ""
    assert "Wrong.QBW" in soap.call_text("getLastError", ticket=ticket)


@pytest.mark.parametrize("op", ["sendRequestXML", "receiveResponseXML"])
def test_unknown_ticket_gets_nothing_and_a_clear_last_error(soap: WebConnector, op: str) -> None:
    if op == "sendRequestXML":
        assert _send(soap, "forged-ticket") == ""
    else:
        assert (
            soap.call_int(op, ticket="forged-ticket", response="<QBXML/>", hresult="", message="")
            < 0
        )
    assert soap.call_text("getLastError", ticket="forged-ticket") == UNKNOWN_TICKET


def test_expired_ticket_gets_nothing(soap: WebConnector, clock: StepClock) -> None:
    ticket = _login(soap)
    clock.advance(hours=5)
    assert _send(soap, ticket) == ""
    assert "expired" in soap.call_text("getLastError", ticket=ticket)


def test_connection_error_is_recorded_and_answers_done(soap: WebConnector) -> None:
    ticket = _login(soap)
    reply = soap.call_text("connectionError", ticket=ticket, hresult="0x80040408",
                           message="Could not start QuickBooks.")
    assert reply == "done"
    assert "0x80040408" in soap.call_text("getLastError", ticket=ticket)


def test_close_connection_answers_a_human_summary_and_frees_the_company(
    soap: WebConnector, company: Company
) -> None:
    ticket = _login(soap)
    summary = soap.call_text("closeConnection", ticket=ticket)
    assert summary and "Traceback" not in summary
    assert soap.call_strings("authenticate", strUserName=USER, strPassword=PASSWORD)[1] != "busy"


def test_close_connection_with_an_unknown_ticket_says_so(soap: WebConnector) -> None:
    assert soap.call_text("closeConnection", ticket="forged-ticket") == UNKNOWN_TICKET


def test_a_soap_call_runs_no_full_garbage_collection(soap: WebConnector) -> None:
    # Spyne collected the whole heap after a request once a second: on a polling bridge that
    # held the GIL for most of its time. With the automatic collector off, a collection counted
    # during the calls is an explicit one.
    def collections() -> int:
        return sum(stat["collections"] for stat in gc.get_stats())

    gc.disable()
    try:
        before = collections()
        for _ in range(3):
            spyne.context._LAST_GC_RUN = 0  # as if the last collection was long ago
            soap.call_text("serverVersion")
        after = collections()
    finally:
        gc.enable()
    assert after == before

"""The Web Connector's answers to bridge replies our own bridge rarely gives (NoOp, E:, postpone…).

The far side here is a scripted SOAP server on an httpx MockTransport: it answers each
operation from a table and records the calls, so every QBWC rule is checked in isolation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest
from lxml import etree

from connector.errors import RetriableError
from connector.qbxml.builders import customer_query
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.sandbox.webconnector import CANNOT_OPEN_FILE, BridgeCallError, WebConnector
from soap_bridge.gate import soap_fault

TNS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
OPEN_FILE = r"C:\QB\Acme.QBW"
REQUEST = str(customer_query("1", max_returned=10))
# MaxReturned after ActiveStatus breaks the schema's sequence: QuickBooks refuses to parse it.
OUT_OF_ORDER = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    '<CustomerQueryRq requestID="1"><ActiveStatus>All</ActiveStatus><MaxReturned>5</MaxReturned>'
    "</CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)

Answer = str | int | list[str]


def _qb() -> QuickBooksSimulator:
    qb = QuickBooksSimulator(OPEN_FILE)
    seed_company(qb, customers=2, invoices=1, lines_per_invoice=1, seed=1)
    return qb


@dataclass
class ScriptedBridge:
    """op -> list of answers, consumed in order (the last one repeats)."""

    script: dict[str, list[Answer]]
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["content-type"] == "text/xml; charset=utf-8"
        call = etree.fromstring(request.content).find(f"{{{SOAP_ENV}}}Body")[0]  # type: ignore[index]
        op = etree.QName(call).localname
        assert request.headers["soapaction"] == f'"{TNS}{op}"'
        params = {etree.QName(child).localname: child.text or "" for child in call}
        self.calls.append((op, params))
        answers = self.script[op]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return httpx.Response(
            200, content=_envelope(op, answer), headers={"content-type": "text/xml"}
        )

    def ops(self) -> list[str]:
        return [op for op, _ in self.calls]


def _envelope(op: str, value: str | int | list[str]) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope")
    response = etree.SubElement(
        etree.SubElement(env, f"{{{SOAP_ENV}}}Body"), f"{{{TNS}}}{op}Response"
    )
    result = etree.SubElement(response, f"{{{TNS}}}{op}Result")
    if isinstance(value, list):
        for text in value:
            etree.SubElement(result, f"{{{TNS}}}string").text = text
    else:
        result.text = str(value)
    return bytes(etree.tostring(env))


def _script(**overrides: list[Answer]) -> dict[str, list[Answer]]:
    script: dict[str, list[Answer]] = {
        "serverVersion": ["scripted 1.0"], "clientVersion": [""],
        "authenticate": [["TICKET-1234567890", "", "", ""]],
        "sendRequestXML": [REQUEST, ""], "receiveResponseXML": [100],
        "getLastError": ["nothing left"], "connectionError": ["done"], "closeConnection": ["bye"],
    }
    script.update(overrides)
    return script


def _connector(bridge: ScriptedBridge, qb: QuickBooksSimulator, sleeps: list[float] | None = None,
               **kwargs: object) -> WebConnector:
    pauses = sleeps if sleeps is not None else []
    return WebConnector("http://bridge.test/qbwc", "user", "pw", qb,
                        http=httpx.Client(transport=httpx.MockTransport(bridge)),
                        sleep=pauses.append, **kwargs)  # type: ignore[arg-type]


def test_a_plain_session_calls_the_operations_in_qbwc_order() -> None:
    bridge, qb = ScriptedBridge(_script()), _qb()
    report = _connector(bridge, qb).run_session()
    assert bridge.ops() == ["serverVersion", "clientVersion", "authenticate", "sendRequestXML",
                            "receiveResponseXML", "closeConnection"]
    assert report.requests == 1 and report.percents == [100] and report.close_message == "bye"
    assert report.ticket_prefix == "TICKET…" and "TICKET-1234567890" not in report.describe()
    assert qb.requests_by_type["CustomerQueryRq"] == 1 and not qb.session_open


def test_first_send_request_carries_the_host_company_answer_and_the_version() -> None:
    bridge = ScriptedBridge(_script(sendRequestXML=[REQUEST], receiveResponseXML=[50, 100]))
    _connector(bridge, _qb(), qbxml_version=(13, 0), country="CA").run_session()
    sends = [params for op, params in bridge.calls if op == "sendRequestXML"]
    assert (
        "<HostQueryRs" in sends[0]["strHCPResponse"]
        and "<CompanyQueryRs" in sends[0]["strHCPResponse"]
    )
    assert sends[1]["strHCPResponse"] == ""
    assert sends[0]["strCompanyFileName"] == OPEN_FILE
    assert (sends[0]["qbXMLCountry"], sends[0]["qbXMLMajorVers"], sends[0]["qbXMLMinorVers"]) == (
        "CA",
        "13",
        "0",
    )


def test_noop_last_error_waits_five_seconds_and_asks_again() -> None:
    bridge = ScriptedBridge(
        _script(sendRequestXML=["", "", REQUEST], getLastError=["NoOp", "NoOp"])
    )
    sleeps: list[float] = []
    report = _connector(bridge, _qb(), sleeps).run_session()
    assert sleeps == [5.0, 5.0]
    assert report.requests == 1 and report.percents == [100] and report.last_error is None


def test_any_other_last_error_after_an_empty_request_ends_the_session() -> None:
    bridge = ScriptedBridge(_script(sendRequestXML=[""], getLastError=["Sync paused by admin"]))
    report = _connector(bridge, _qb()).run_session()
    assert report.requests == 0 and report.last_error == "Sync paused by admin"
    assert bridge.ops()[-2:] == ["getLastError", "closeConnection"]


def test_negative_percent_asks_get_last_error_then_closes() -> None:
    bridge = ScriptedBridge(_script(receiveResponseXML=[-1], getLastError=["QuickBooks is locked"]))
    report = _connector(bridge, _qb()).run_session()
    assert report.percents == [-1] and report.last_error == "QuickBooks is locked"
    assert bridge.ops()[-3:] == ["receiveResponseXML", "getLastError", "closeConnection"]


def test_a_request_quickbooks_cannot_parse_is_reported_with_hresult_and_empty_response() -> None:
    bridge = ScriptedBridge(_script(sendRequestXML=[OUT_OF_ORDER, ""]))
    _connector(bridge, _qb()).run_session()
    (received,) = [params for op, params in bridge.calls if op == "receiveResponseXML"]
    assert received["response"] == "" and received["hresult"] == "0x80040400"
    assert (
        received["message"]
        == "QuickBooks found an error when parsing the provided XML text stream."
    )


@pytest.mark.parametrize("status", ["nvu", "none", "busy"])
def test_stop_answers_from_authenticate_end_the_update_without_touching_quickbooks(
    status: str,
) -> None:
    bridge, qb = ScriptedBridge(_script(authenticate=[["", status, "", ""]])), _qb()
    report = _connector(bridge, qb).run_session()
    assert report.auth_result == status and not report.authenticated
    assert (
        bridge.ops() == ["serverVersion", "clientVersion", "authenticate"]
        and qb.requests_handled == 0
    )


@pytest.mark.parametrize("reply", ["E:This server needs Web Connector 2.2", "O:2.2.0.0"])
def test_client_version_error_or_old_stops_before_authenticate(reply: str) -> None:
    bridge = ScriptedBridge(_script(clientVersion=[reply]))
    report = _connector(bridge, _qb()).run_session()
    assert bridge.ops() == ["serverVersion", "clientVersion"]
    assert "refused by the bridge" in report.describe()


def test_client_version_warning_lets_the_update_go_on() -> None:
    bridge = ScriptedBridge(_script(clientVersion=["W:please update"]))
    report = _connector(bridge, _qb(), client_version="2.0.1.5").run_session()
    assert report.client_version_reply == "W:please update" and report.close_message == "bye"
    assert bridge.calls[1] == ("clientVersion", {"strVersion": "2.0.1.5"})


def test_company_file_that_cannot_open_reports_connection_error_then_closes() -> None:
    bridge, qb = ScriptedBridge(_script()), _qb()
    report = _connector(bridge, qb).run_session(company_file_open=False)
    (reported,) = [params for op, params in bridge.calls if op == "connectionError"]
    assert reported["hresult"] == CANNOT_OPEN_FILE and reported["ticket"] == "TICKET-1234567890"
    assert bridge.ops()[-2:] == ["connectionError", "closeConnection"] and qb.requests_handled == 0
    assert report.requests == 0 and CANNOT_OPEN_FILE in (report.last_error or "")


def test_connection_error_reply_naming_a_file_is_tried_next() -> None:
    bridge = ScriptedBridge(
        _script(
            authenticate=[["TICKET-1234567890", r"C:\QB\Other.QBW", "", ""]],
            connectionError=[OPEN_FILE],
        )
    )
    report = _connector(bridge, _qb()).run_session()
    assert bridge.ops().count("connectionError") == 1
    assert report.requests == 1 and report.close_message == "bye"


def test_drop_after_vanishes_without_close_connection() -> None:
    bridge = ScriptedBridge(_script(sendRequestXML=[REQUEST], receiveResponseXML=[10, 20, 30]))
    qb = _qb()
    report = _connector(bridge, qb).run_session(drop_after=2)
    assert report.dropped and report.requests == 2 and "closeConnection" not in bridge.ops()
    assert not qb.session_open, "QuickBooks ends its side of a dropped session (iterators die)"


def test_schedule_waits_the_longer_of_its_interval_and_the_servers_postpone() -> None:
    bridge = ScriptedBridge(_script(authenticate=[["", "none", "90", "30"], ["", "none", "", ""]]))
    sleeps: list[float] = []
    reports = _connector(bridge, _qb()).run_schedule(3, every_seconds=60, sleep=sleeps.append)
    assert [r.auth_result for r in reports] == ["none"] * 3
    assert (reports[0].postpone_seconds, reports[0].every_min_seconds) == (90, 30)
    assert sleeps == [90, 60]


def test_soap_fault_from_the_bridge_raises_a_clear_error() -> None:
    def faulty(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, content=soap_fault("Client.XmlRefused", "request refused: bad"))

    connector = WebConnector("http://bridge.test/qbwc", "u", "p", _qb(),
                             http=httpx.Client(transport=httpx.MockTransport(faulty)))
    with pytest.raises(
        BridgeCallError, match=r"serverVersion: SOAP fault soap11env:Client\.XmlRefused"
    ):
        connector.run_session()


def test_unreachable_bridge_is_a_retriable_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    connector = WebConnector("http://bridge.test/qbwc", "u", "p", _qb(),
                             http=httpx.Client(transport=httpx.MockTransport(down)))
    with pytest.raises(RetriableError, match="cannot reach the bridge"):
        connector.run_session()

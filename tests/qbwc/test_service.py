"""The QBWC protocol as plain Python, answered by the QuickBooks simulator."""

from __future__ import annotations

import math
from datetime import datetime

from lxml import etree
from sqlmodel import col, select

from connector.config import Settings
from connector.qbwc import add_company
from connector.qbwc.service import UNKNOWN_TICKET, QbwcService
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.store import (
    Company,
    Database,
    QbwcSession,
    QueuedRequest,
    RawResponse,
    RequestState,
    SessionState,
    Watermark,
)
from tests.qbwc.conftest import QBW
from tests.qbwc.driver import Clock, run_session

# authenticate's "go": QBWC uses the company file open in QuickBooks (none is pinned here).
GO = ""


def _ops(request: str) -> list[str]:
    root = etree.fromstring(request.encode())
    return [el.tag for el in root.find("QBXMLMsgsRq")]  # type: ignore[union-attr]


def _from_date(request: str) -> str | None:
    root = etree.fromstring(request.encode())
    found = root.xpath("//FromModifiedDate|//DeletedDateRangeFilter/FromDeletedDate")
    return found[0].text if found else None


def test_server_and_client_versions(service: QbwcService) -> None:
    assert service.server_version().startswith("ml-connector")
    assert service.client_version("2.3.0.215") == ""
    assert service.client_version("2.0.1.30").startswith("W:")
    assert service.client_version("garbled") == ""


def test_a_whole_session_sends_every_request_once_in_order(
    service: QbwcService, qb: QuickBooksSimulator, db: Database
) -> None:
    run = run_session(service, qb, "acme", "pw")
    assert run.status == GO
    ops = [_ops(r) for r in run.requests]
    assert ops[0] == ["HostQueryRq", "CompanyQueryRq"]
    firsts = [o[0] for o in ops[1:]]
    payment_pages = math.ceil(len(qb.company.payments) / 4)
    assert payment_pages >= 1  # the seed pays some of the invoices
    # 20 customers / 7 per page = 3 pages, each continued right behind the one before; each
    # page of payments brings one re-read of the invoices they pay, after every planned read.
    assert firsts == (["CustomerQueryRq"] * 3 + ["ItemQueryRq"] + ["InvoiceQueryRq"] * 3
                      + ["ReceivePaymentQueryRq"] * payment_pages
                      + ["ListDeletedQueryRq", "TxnDeletedQueryRq"]
                      + ["InvoiceQueryRq"] * payment_pages)
    assert run.percents[-1] == 100 and run.percents == sorted(run.percents)
    assert all(0 <= p < 100 for p in run.percents[:-1])
    assert ("up to date: Customer, Invoice, Item, ListDeleted, ReceivePayment, TxnDeleted"
            in (run.close or ""))
    with db.session() as s:
        sent = s.exec(select(QueuedRequest)).all()
        assert {r.state for r in sent} == {RequestState.ANSWERED} and all(
            r.attempts == 1 for r in sent
        )
        raw = s.exec(select(RawResponse).where(col(RawResponse.processed_at).is_(None))).all()
        assert len(raw) == len(run.requests) - 1  # everything but the file check awaits the sync


def test_the_second_session_reads_only_changes_since_the_watermark_minus_overlap(
        service: QbwcService, qb: QuickBooksSimulator, clock: Clock, tuned: Settings) -> None:
    first = run_session(service, qb, "acme", "pw")
    assert all(_from_date(r) is None for r in first.requests[1:])
    mark = clock.now
    clock.advance(minutes=10)
    second = run_session(service, qb, "acme", "pw")
    expected = mark - tuned.overlap
    for request in second.requests[1:]:
        got = datetime.fromisoformat(_from_date(request) or "")
        assert got == expected, request
    assert len(second.requests) == 7  # nothing changed: one page per read


def test_wrong_password_and_unknown_user_get_nvu(
    service: QbwcService, qb: QuickBooksSimulator
) -> None:
    assert run_session(service, qb, "acme", "wrong").status == "nvu"
    assert run_session(service, qb, "nobody", "pw").status == "nvu"


def test_disabled_company_gets_nvu(
    service: QbwcService, db: Database, qb: QuickBooksSimulator
) -> None:
    from connector.qbwc import set_active

    set_active(db, "Acme", False)
    assert service.authenticate("acme", "pw")[1] == "nvu"


def test_a_second_login_while_a_session_is_live_is_busy(service: QbwcService, clock: Clock) -> None:
    ticket, status, *_ = service.authenticate("acme", "pw")
    assert ticket and status == GO
    assert service.authenticate("acme", "pw")[1] == "busy"
    clock.advance(minutes=31)
    again, status, *_ = service.authenticate("acme", "pw")
    assert status == GO and again != ticket
    assert service.send_request_xml(ticket, "", QBW, "US", 13, 0) == ""
    assert "stopped calling before closeConnection" in service.get_last_error(ticket)


def test_idle_ticket_expires(service: QbwcService, clock: Clock) -> None:
    ticket, *_ = service.authenticate("acme", "pw")
    clock.advance(minutes=31)
    assert service.send_request_xml(ticket, "", QBW, "US", 13, 0) == ""
    assert "expired after 30 idle minutes" in service.get_last_error(ticket)


def test_unknown_ticket_gets_nothing_and_a_clear_error(service: QbwcService) -> None:
    assert service.send_request_xml("forged", "", QBW, "US", 13, 0) == ""
    assert service.receive_response_xml("forged", "<QBXML/>", "", "") < 0
    assert service.get_last_error("forged") == UNKNOWN_TICKET
    assert service.close_connection("forged") == UNKNOWN_TICKET


def test_the_wrong_company_file_stops_the_session_before_anything_is_sent(
        service: QbwcService, qb: QuickBooksSimulator, db: Database) -> None:
    run = run_session(service, qb, "acme", "pw", company_file=r"C:\QB\Other Co.qbw")
    assert run.requests == []
    assert "Other Co.qbw" in (run.last_error or "") and "Nothing was read or written" in (
        run.last_error or ""
    )
    with db.session() as s:
        company = s.exec(select(Company)).one()
        assert (
            company.last_file_matched is False
            and company.last_company_file_seen == r"C:\QB\Other Co.qbw"
        )
        assert s.exec(select(Watermark)).all() == []


def test_an_old_quickbooks_is_refused_with_the_version_it_needs(service: QbwcService,
                                                                qb: QuickBooksSimulator) -> None:
    run = run_session(service, qb, "acme", "pw", major=8)
    assert run.requests == [] and "qbXML 13.0" in (run.last_error or "")


def test_a_dropped_session_is_read_again_from_the_old_watermark(
        service: QbwcService, qb: QuickBooksSimulator, clock: Clock, db: Database) -> None:
    dropped = run_session(service, qb, "acme", "pw", drop_after=3)
    assert dropped.close is None
    assert service.authenticate("acme", "pw")[1] == "busy"
    clock.advance(minutes=31)
    again = run_session(service, qb, "acme", "pw")
    assert again.percents[-1] == 100
    assert all(_from_date(r) is None for r in again.requests[1:])  # no watermark had moved
    with db.session() as s:
        states = {row.state for row in s.exec(select(QbwcSession)).all()}
        assert states == {SessionState.EXPIRED, SessionState.CLOSED}
        assert len(s.exec(select(Watermark)).all()) == 6


def test_quickbooks_refusing_one_request_keeps_that_watermark_only(
        service: QbwcService, qb: QuickBooksSimulator, db: Database) -> None:
    def answer(request: str) -> tuple[str, str, str]:
        if "ItemQueryRq" in request:
            return (
                "",
                "0x80040400",
                "QuickBooks found an error when parsing the provided XML text stream.",
            )
        return qb.handle(request), "", ""

    run = run_session(service, qb, "acme", "pw", answer=answer)
    assert run.percents[-1] == 100
    assert "1 failed (first: QuickBooks error 0x80040400" in (run.close or "")
    with db.session() as s:
        assert sorted(w.entity for w in s.exec(select(Watermark)).all()) == [
            "Customer", "Invoice", "ListDeleted", "ReceivePayment", "TxnDeleted"]


def test_a_locked_company_file_stops_the_session_for_a_later_retry(
        service: QbwcService, qb: QuickBooksSimulator, db: Database) -> None:
    qb.faults.lock_file(requests=100, code=3180)
    run = run_session(service, qb, "acme", "pw")
    assert run.percents[-1] < 0 and "busy" in (run.last_error or "")
    assert "3180" in (run.last_error or "")
    with db.session() as s:
        assert s.exec(select(Watermark)).all() == []
        assert s.exec(select(Company)).one().live_session_id is None


def test_connection_error_ends_the_session_and_frees_the_company(service: QbwcService) -> None:
    ticket, *_ = service.authenticate("acme", "pw")
    assert service.connection_error(ticket, "0x80040408", "Could not start QuickBooks.") == "done"
    assert "Could not start QuickBooks" in service.get_last_error(ticket)
    assert service.authenticate("acme", "pw")[1] == GO


def test_two_companies_never_see_each_others_requests(
        db: Database, tuned: Settings, clock: Clock) -> None:
    service = QbwcService(db, tuned, clock=clock)
    add_company(db, "North", "north", "pw-n")
    add_company(db, "South", "south", "pw-s")
    north, south = QuickBooksSimulator(r"C:\QB\north.qbw"), QuickBooksSimulator(r"C:\QB\south.qbw")
    seed_company(north, customers=3, invoices=1, lines_per_invoice=1, seed=1)
    seed_company(south, customers=12, invoices=2, lines_per_invoice=1, seed=2)
    t_north, *_ = service.authenticate("north", "pw-n")
    t_south, *_ = service.authenticate("south", "pw-s")
    seen: dict[str, set[int]] = {"north": set(), "south": set()}
    for name, ticket, sim in (("north", t_north, north), ("south", t_south, south)):
        sim.begin_session()
        while request := service.send_request_xml(ticket, "", sim.company_file, "US", 13, 0):
            seen[name].add(int(etree.fromstring(request.encode()).find("QBXMLMsgsRq")[0].get("requestID")))
            if service.receive_response_xml(ticket, sim.handle(request), "", "") >= 100:
                break
        service.close_connection(ticket)
    assert seen["north"] and seen["south"] and not seen["north"] & seen["south"]
    with db.session() as s:
        companies = {c.id: c.name for c in s.exec(select(Company)).all()}
        for raw in s.exec(select(RawResponse)).all():
            request = s.get(QueuedRequest, raw.request_id)
            assert request is not None and request.company_id == raw.company_id
        owners = {companies[r.company_id] for r in s.exec(select(RawResponse)).all()}
        assert owners == {"North", "South"}


def _rs(request: str) -> tuple[str, str]:
    """The first request of ``request``: its Rq name and requestID."""
    first = etree.fromstring(request.encode()).find("QBXMLMsgsRq")[0]  # type: ignore[index]
    return first.tag, first.get("requestID") or ""


def test_a_replayed_answer_is_not_taken_for_the_outstanding_request(
        service: QbwcService, qb: QuickBooksSimulator, db: Database) -> None:
    first: dict[str, str] = {}

    def answer(request: str) -> tuple[str, str, str]:
        tag, _rid = _rs(request)
        # The items are asked for after the customers: answer them with the customers' answer.
        response = first.get("CustomerQueryRq") if tag == "ItemQueryRq" else None
        if response is None:
            response = first.setdefault(tag, qb.handle(request))
        return response, "", ""

    run = run_session(service, qb, "acme", "pw", answer=answer)
    assert run.percents[-1] == -1
    assert "CustomerQueryRs requestID" in (run.last_error or "")
    assert "no request of this session asked for" in (run.last_error or "")
    with db.session() as s:
        assert "Item" not in {w.entity for w in s.exec(select(Watermark)).all()}
        replayed = s.exec(select(RawResponse).where(
            col(RawResponse.status_message).contains("asked for"))).one()
        assert replayed.processed_at is not None  # kept to show what came, never synced


def test_an_answer_under_another_request_id_stops_the_session(
        service: QbwcService, qb: QuickBooksSimulator, db: Database) -> None:
    def answer(request: str) -> tuple[str, str, str]:
        response = qb.handle(request)
        if "CustomerQueryRq" in request:
            _tag, rid = _rs(request)
            response = response.replace(f'requestID="{rid}"', 'requestID="999"')
        return response, "", ""

    run = run_session(service, qb, "acme", "pw", answer=answer)
    assert run.percents[-1] == -1 and "requestID 999" in (run.last_error or "")
    with db.session() as s:
        assert "Customer" not in {w.entity for w in s.exec(select(Watermark)).all()}


def test_a_second_ask_before_the_answer_stops_the_session(service: QbwcService) -> None:
    ticket, *_ = service.authenticate("acme", "pw")
    assert service.send_request_xml(ticket, "", QBW, "US", 13, 0)
    assert service.send_request_xml(ticket, "", QBW, "US", 13, 0) == ""
    assert "was unanswered" in service.get_last_error(ticket)


def test_connection_error_after_the_session_closed_changes_nothing(
        service: QbwcService, qb: QuickBooksSimulator, db: Database) -> None:
    run = run_session(service, qb, "acme", "pw")
    assert run.percents[-1] == 100
    with db.session() as s:
        before = s.exec(select(QbwcSession)).one().model_dump()
    assert service.connection_error(run.ticket, "0x80040408", "Could not start") == "done"
    with db.session() as s:
        assert s.exec(select(QbwcSession)).one().model_dump() == before

"""A session that dies gives back what it held, and a dead session does not hold the company.

Standing reads (a backfill, queued for whichever session comes next) survive any session that
merely took them; a session silent longer than the Web Connector's own request timeout is
taken over by the next login with the right password.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from lxml import etree
from sqlmodel import col, select

from connector.config import Settings
from connector.qbwc import get_company
from connector.qbwc.service import UNKNOWN_TICKET, QbwcService
from connector.sandbox.qbd import QuickBooksSimulator
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
from connector.sync.backfill import BACKFILL_SEQ, backfill_status, queue_reads
from tests.qbwc.conftest import QBW
from tests.qbwc.driver import Clock, run_session

# authenticate's "go": QBWC uses the company file open in QuickBooks (none is pinned here).
GO = ""
# The session's own reads: the file check, Customer in 3 pages (20 customers, 7 a page), Item,
# Invoice in 3 pages (9 invoices, 4 a page), ReceivePayment (the seed's few payments),
# ListDeleted, TxnDeleted, and the re-read of the invoices paid. A backfill comes after.
OWN_READS = 12


@pytest.fixture
def company_id(db: Database, service: QbwcService, tuned: Settings) -> int:
    company = get_company(db, "Acme")
    assert queue_reads(db, company, tuned) == 6
    return company.id or 0


def _backfill_rows(db: Database) -> list[QueuedRequest]:
    with db.session() as s:
        return list(s.exec(select(QueuedRequest)
                           .where(col(QueuedRequest.seq) >= BACKFILL_SEQ)
                           .order_by(col(QueuedRequest.id))).all())


def _request_id(request: str) -> int:
    root = etree.fromstring(request.encode())
    return int(root.find("QBXMLMsgsRq")[0].get("requestID"))  # type: ignore[index, arg-type]


def _exchange(service: QbwcService, qb: QuickBooksSimulator, ticket: str, count: int) -> None:
    """``count`` request/response exchanges of an open session, as QBWC would make them."""
    for _ in range(count):
        request = service.send_request_xml(ticket, "", QBW, "US", 13, 0)
        assert request
        assert service.receive_response_xml(ticket, qb.handle(request), "", "") >= 0


def test_a_backfill_read_whose_session_dies_mid_iterator_goes_back_to_the_queue(
        service: QbwcService, qb: QuickBooksSimulator, clock: Clock, db: Database,
        company_id: int) -> None:
    # The session reads its own deltas, then the backfill's first Customer page, and vanishes.
    dropped = run_session(service, qb, "acme", "pw", drop_after=OWN_READS + 1)
    assert dropped.close is None and "CustomerQueryRq" in dropped.requests[-1]
    clock.advance(minutes=31)
    ticket, status, *_ = service.authenticate("acme", "pw")
    assert status == GO
    assert backfill_status(db, company_id).reads_waiting == 6
    service.close_connection(ticket)


def test_a_restarted_backfill_read_reads_every_record_from_a_fresh_iterator(
        service: QbwcService, qb: QuickBooksSimulator, clock: Clock, db: Database,
        company_id: int) -> None:
    run_session(service, qb, "acme", "pw", drop_after=OWN_READS + 1)
    clock.advance(minutes=31)
    again = run_session(service, qb, "acme", "pw")
    assert again.percents[-1] == 100 and again.last_error is None
    assert backfill_status(db, company_id).reads_waiting == 0
    rows = _backfill_rows(db)
    sent_again = {_request_id(r) for r in again.requests}
    chains: dict[int, list[QueuedRequest]] = defaultdict(list)
    for row in rows:
        if row.id in sent_again:
            chains[row.root_id or 0].append(row)
    # Every backfill read was answered in full in the new session, the Customer read again
    # from its first page (QuickBooks forgot the old iterator with the old session).
    assert sorted(chain[0].entity for chain in chains.values()) == [
        "Customer", "Invoice", "Item", "ListDeleted", "ReceivePayment", "TxnDeleted"]
    assert all(r.state == RequestState.ANSWERED for chain in chains.values() for r in chain)
    customers = next(chain for chain in chains.values() if chain[0].entity == "Customer")
    assert 'iterator="Start"' in customers[0].qbxml and "iteratorID" not in customers[0].qbxml
    with db.session() as s:
        read = sum(r.record_count for r in s.exec(select(RawResponse).where(
            col(RawResponse.request_id).in_([r.id for r in customers]))).all())
    assert read == 20
    # The page the dead session never asked for says where the read went.
    cancelled = [r for r in rows if r.state == RequestState.CANCELLED]
    assert [r.entity for r in cancelled] == ["Customer"]
    assert f"starts again from its first page as request {customers[0].id}" in (
        cancelled[0].error or "")


def test_progress_stays_true_when_a_session_takes_up_a_restarted_read(
        service: QbwcService, qb: QuickBooksSimulator, clock: Clock, company_id: int) -> None:
    run_session(service, qb, "acme", "pw", drop_after=OWN_READS + 1)
    clock.advance(minutes=31)
    again = run_session(service, qb, "acme", "pw")
    # Own reads + backfill: Customer 3 pages, Item 1, Invoice 3, ReceivePayment, ListDeleted,
    # TxnDeleted and the re-read of the invoices the payments pay.
    assert len(again.requests) == OWN_READS + 11
    assert again.percents == sorted(again.percents)
    assert again.percents[-1] == 100 and all(p < 100 for p in again.percents[:-1])


def test_a_backfill_read_in_flight_when_the_session_dies_goes_back_unchanged(
        service: QbwcService, qb: QuickBooksSimulator, clock: Clock, db: Database,
        company_id: int) -> None:
    ticket, *_ = service.authenticate("acme", "pw")
    qb.begin_session()
    _exchange(service, qb, ticket, OWN_READS)
    in_flight = _request_id(service.send_request_xml(ticket, "", QBW, "US", 13, 0))
    qb.end_session()  # the bridge (or the network) dies before QuickBooks' answer arrives
    clock.advance(minutes=31)
    service.close_connection(service.authenticate("acme", "pw")[0])
    with db.session() as s:
        row = s.get(QueuedRequest, in_flight)
        assert row is not None and row.seq >= BACKFILL_SEQ
        assert (row.state, row.session_id) == (RequestState.PENDING, None)
    assert backfill_status(db, company_id).reads_waiting == 6


def test_a_locked_company_file_gives_the_backfill_read_back_for_a_later_session(
        service: QbwcService, qb: QuickBooksSimulator, db: Database, company_id: int) -> None:
    backfill = {r.id for r in _backfill_rows(db)}

    def answer(request: str) -> tuple[str, str, str]:
        if _request_id(request) in backfill:
            qb.faults.lock_file(requests=1, code=3180)
        return qb.handle(request), "", ""

    run = run_session(service, qb, "acme", "pw", answer=answer)
    assert run.percents[-1] < 0 and "3180" in (run.last_error or "")
    assert backfill_status(db, company_id).reads_waiting == 6
    later = run_session(service, qb, "acme", "pw")
    assert later.percents[-1] == 100
    assert backfill_status(db, company_id).reads_waiting == 0


# -- a crashed Web Connector does not hold the company for the whole ticket lifetime --------


def test_a_silent_session_is_taken_over_after_the_web_connectors_request_timeout(
        service: QbwcService, qb: QuickBooksSimulator, clock: Clock, tuned: Settings) -> None:
    old, status, *_ = service.authenticate("acme", "pw")
    qb.begin_session()
    _exchange(service, qb, old, 2)
    service.send_request_xml(old, "", QBW, "US", 13, 0)  # in flight when QBWC crashes
    qb.end_session()
    clock.advance(seconds=tuned.qbwc_request_timeout_seconds)
    assert service.authenticate("acme", "pw")[1] == "busy"  # QBWC may still be waiting
    clock.advance(seconds=1)
    new, status, *_ = service.authenticate("acme", "pw")
    assert status == GO and new != old
    # The old ticket is dead: every call gets the unknown/expired ticket answer.
    assert service.send_request_xml(old, "", QBW, "US", 13, 0) == ""
    assert service.receive_response_xml(old, "<QBXML/>", "", "") < 0
    assert service.get_last_error(old).startswith(UNKNOWN_TICKET)
    assert "took this company over" in service.get_last_error(old)
    assert UNKNOWN_TICKET in service.close_connection(old)
    qb.begin_session()
    while request := service.send_request_xml(new, "", QBW, "US", 13, 0):
        if service.receive_response_xml(new, qb.handle(request), "", "") >= 100:
            break
    qb.end_session()
    assert "up to date: Customer, Invoice, Item, ListDeleted, ReceivePayment, TxnDeleted" in (
        service.close_connection(new))


def test_a_taken_over_sessions_standing_reads_go_back_to_the_queue(
        service: QbwcService, qb: QuickBooksSimulator, clock: Clock, db: Database,
        company_id: int, tuned: Settings) -> None:
    old, *_ = service.authenticate("acme", "pw")
    qb.begin_session()
    _exchange(service, qb, old, OWN_READS + 1)  # into the backfill's Customer iterator
    qb.end_session()
    clock.advance(seconds=tuned.qbwc_request_timeout_seconds + 1)
    _, status, *_ = service.authenticate("acme", "pw")
    assert status == GO
    assert backfill_status(db, company_id).reads_waiting == 6
    with db.session() as s:
        states = {x.state: x.id for x in s.exec(select(QbwcSession)).all()}
        assert set(states) == {SessionState.EXPIRED, SessionState.OPEN}
        assert s.exec(select(Company)).one().live_session_id == states[SessionState.OPEN]


def test_a_session_that_keeps_calling_is_never_taken_over(
        service: QbwcService, qb: QuickBooksSimulator, clock: Clock, db: Database) -> None:
    ticket, *_ = service.authenticate("acme", "pw")
    qb.begin_session()
    for _ in range(OWN_READS - 1):
        clock.advance(seconds=100)  # slow QuickBooks: each answer takes 100 s
        _exchange(service, qb, ticket, 1)
        assert service.authenticate("acme", "pw")[1] == "busy"
    _exchange(service, qb, ticket, 1)
    qb.end_session()
    assert "up to date" in service.close_connection(ticket)
    with db.session() as s:
        assert len(s.exec(select(Watermark)).all()) == 6

"""Whole Web Connector sessions over real HTTP: the simulator, the bridge and the store together."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from lxml import etree
from sqlmodel import col, select

from connector.config import Settings
from connector.qbwc import add_company
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.sandbox.webconnector import CANNOT_OPEN_FILE, SessionReport, WebConnector
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
from soap_bridge.app import create_app
from tests.bridge.conftest import LiveServer, StepClock

QBW = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Acme.qbw"
PW = "acme-web-connector-pw"
CUSTOMERS = 20
# The seeded payments bring one re-read of the invoices they pay, after every planned read.
READ_ORDER = ["Check", "Customer", "Customer", "Customer", "Item", "Invoice", "Invoice", "Invoice",
              "ReceivePayment", "ListDeleted", "TxnDeleted", "AppliedInvoice"]


@pytest.fixture
def tuned(settings: Settings) -> Settings:
    # Small pages so iterators span several responses: 20 customers / 7 = 3 pages.
    return settings.model_copy(update={"max_returned_customers": 7, "max_returned_invoices": 4,
                                       "max_returned_items": 50, "min_poll_seconds": 0})


@pytest.fixture
def live(tuned: Settings, db: Database, clock: StepClock) -> Iterator[LiveServer]:
    app: Flask = create_app(tuned, db=db, clock=clock)
    server = LiveServer(app)
    yield server
    server.stop()


def _simulator(
    clock: StepClock, company_file: str, *, customers: int, seed: int
) -> QuickBooksSimulator:
    # QuickBooks' PC clock runs a few minutes behind the bridge's, as real clocks do.
    qb = QuickBooksSimulator(company_file, clock=lambda: clock.now - timedelta(minutes=5))
    seed_company(qb, customers=customers, invoices=9, lines_per_invoice=3, seed=seed)
    return qb


@pytest.fixture
def qb(clock: StepClock) -> QuickBooksSimulator:
    return _simulator(clock, QBW, customers=CUSTOMERS, seed=7)


@pytest.fixture
def acme(db: Database) -> Company:
    return add_company(db, "Acme", "acme", PW, company_file=QBW)


@pytest.fixture
def wc(live: LiveServer, qb: QuickBooksSimulator, acme: Company) -> Iterator[WebConnector]:
    with WebConnector(live.qbwc_url, "acme", PW, qb) as connector:
        yield connector


def _responses(db: Database, company: Company, session_index: int = -1) -> list[RawResponse]:
    with db.session() as s:
        sessions = s.exec(select(QbwcSession).where(QbwcSession.company_id == company.id)
                          .order_by(col(QbwcSession.id))).all()
        return list(
            s.exec(
                select(RawResponse)
                .where(RawResponse.session_id == sessions[session_index].id)
                .order_by(col(RawResponse.id))
            ).all()
        )


def _rets(responses: list[RawResponse], tag: str) -> list[etree._Element]:
    return [ret for raw in responses for ret in etree.fromstring(raw.body.encode()).iter(tag)]


def _names(responses: list[RawResponse]) -> list[str]:
    return [ret.findtext("FullName") or "" for ret in _rets(responses, "CustomerRet")]


def _completed(report: SessionReport) -> None:
    assert report.percents and report.percents[-1] == 100, report.describe()
    assert report.percents == sorted(report.percents) and report.last_error is None
    assert report.close_message and not report.dropped


def test_whole_session_sends_every_queued_request_once_in_order(
    wc: WebConnector, db: Database, acme: Company, qb: QuickBooksSimulator
) -> None:
    report = wc.run_session()
    _completed(report)
    # "": the Web Connector uses the company file open in QuickBooks (none is pinned here).
    assert report.auth_result == "" and "up to date" in (report.close_message or "")
    responses = _responses(db, acme)
    assert len(responses) == report.requests == len(READ_ORDER)
    with db.session() as s:
        sent = [s.get(QueuedRequest, raw.request_id) for raw in responses]
        assert [row.entity for row in sent if row] == READ_ORDER
        assert all(row and row.state == RequestState.ANSWERED and row.attempts == 1 for row in sent)
        assert len({raw.request_id for raw in responses}) == len(responses)
        pages = [row.page for row in sent if row and row.entity == "Customer"]
        assert pages == [1, 2, 3], "iterator continued right behind its first page"
    assert len(_names(responses)) == CUSTOMERS
    paid = {i for p in qb.company.payments.values() for i in p.applied}
    assert paid and len(_rets(responses, "InvoiceRet")) == 9 + len(paid)  # the paid read again


def test_second_session_asks_only_what_changed(
    wc: WebConnector, db: Database, acme: Company, qb: QuickBooksSimulator, clock: StepClock
) -> None:
    _completed(wc.run_session())
    clock.advance(hours=3)
    changed = qb.company.listed("Customer")[4]
    qb.company.modify_customer(changed.list_id, CompanyName="Renamed Ltd")
    second = wc.run_session()
    _completed(second)
    responses = _responses(db, acme)
    assert second.requests == 7, "one page per read: check + six delta queries"
    assert _names(responses) == [qb.company.full_name(changed)]
    assert _rets(responses, "InvoiceRet") == []


def test_scheduled_sessions_follow_the_clock_and_read_deltas(
    wc: WebConnector, clock: StepClock
) -> None:
    reports = wc.run_schedule(2, every_seconds=3 * 3600, sleep=lambda s: clock.advance(seconds=s))
    for report in reports:
        _completed(report)
    assert [r.requests for r in reports] == [len(READ_ORDER), 7]


def test_two_companies_with_separate_registrations_never_cross_data(
    live: LiveServer, db: Database, clock: StepClock
) -> None:
    north_file, south_file = r"C:\QB\North.qbw", r"C:\QB\South.qbw"
    north_co = add_company(db, "North", "north", "pw-north", company_file=north_file)
    south_co = add_company(db, "South", "south", "pw-south", company_file=south_file)
    north = _simulator(clock, north_file, customers=3, seed=1)
    south = _simulator(clock, south_file, customers=12, seed=2)
    south.company.add_customer("Only In South Ltd")
    for user, pw, sim in (("north", "pw-north", north), ("south", "pw-south", south)):
        with WebConnector(live.qbwc_url, user, pw, sim) as connector:
            _completed(connector.run_session())
    north_names, south_names = (_names(_responses(db, co)) for co in (north_co, south_co))
    assert len(north_names) == 3 and len(south_names) == 13
    assert "Only In South Ltd" in south_names and "Only In South Ltd" not in north_names
    with db.session() as s:
        for raw in s.exec(select(RawResponse)).all():
            request = s.get(QueuedRequest, raw.request_id)
            assert request is not None and request.company_id == raw.company_id


def test_mid_session_drop_is_recovered_in_the_next_session(
    wc: WebConnector, db: Database, acme: Company, clock: StepClock
) -> None:
    dropped = wc.run_session(drop_after=3)
    assert dropped.dropped and dropped.requests == 3 and dropped.close_message is None
    assert wc.run_session().auth_result == "busy", (
        "the dropped ticket holds the company until it idles out"
    )
    clock.advance(minutes=31)
    recovered = wc.run_session()
    _completed(recovered)
    assert recovered.requests == len(READ_ORDER), "nothing had advanced: the whole read again"
    assert len(_names(_responses(db, acme))) == CUSTOMERS
    with db.session() as s:
        assert [row.state for row in s.exec(select(QbwcSession).order_by(col(QbwcSession.id)))] == [
            SessionState.EXPIRED, SessionState.CLOSED]
        assert len(s.exec(select(Watermark)).all()) == 6


def test_wrong_password_gets_nvu_and_quickbooks_is_never_asked(
    live: LiveServer, qb: QuickBooksSimulator, acme: Company, db: Database
) -> None:
    with WebConnector(live.qbwc_url, "acme", "not-the-password", qb) as connector:
        report = connector.run_session()
    assert report.auth_result == "nvu" and report.requests == 0 and report.close_message is None
    assert qb.requests_handled == 0
    with db.session() as s:
        assert s.exec(select(QbwcSession)).all() == []


def test_company_file_that_cannot_open_is_reported_and_frees_the_company(
    wc: WebConnector, qb: QuickBooksSimulator, db: Database
) -> None:
    qb.faults.cannot_open_company_file()
    report = wc.run_session()
    assert report.requests == 0 and qb.requests_handled == 0
    assert (report.last_error or "").startswith("0x8004") and report.close_message
    with db.session() as s:
        session = s.exec(select(QbwcSession)).one()
        assert session.state == SessionState.ERROR and "could not open the company file" in (
            session.last_error or ""
        )
    _completed(wc.run_session())


def test_a_different_company_file_open_in_quickbooks_reads_nothing(
    live: LiveServer, db: Database, clock: StepClock, acme: Company
) -> None:
    other = _simulator(clock, r"C:\QB\Someone Else.qbw", customers=2, seed=3)
    with WebConnector(live.qbwc_url, "acme", PW, other) as connector:
        report = connector.run_session()
    # Only the Web Connector's own host/company query reached QuickBooks, none of ours.
    assert report.requests == 0 and other.requests_handled == 1
    assert "Someone Else.qbw" in (report.last_error or "") and "Nothing was read or written" in (
        report.last_error or ""
    )
    with db.session() as s:
        assert s.exec(select(RawResponse)).all() == [] and s.exec(select(Watermark)).all() == []


def test_a_pinned_company_file_makes_the_web_connector_refuse_any_other(
    live: LiveServer, db: Database, clock: StepClock
) -> None:
    add_company(db, "Acme", "acme", PW, company_file=QBW, pin_company_file=True)
    other = _simulator(clock, r"C:\QB\Someone Else.qbw", customers=2, seed=3)
    with WebConnector(live.qbwc_url, "acme", PW, other) as connector:
        report = connector.run_session()
    assert report.auth_result == QBW and report.requests == 0 and other.requests_handled == 0
    assert CANNOT_OPEN_FILE in (report.last_error or "")


def test_a_locked_company_file_ends_with_negative_percent_and_last_error(
    wc: WebConnector, qb: QuickBooksSimulator
) -> None:
    qb.faults.lock_file(requests=100, code=3180)
    report = wc.run_session()
    assert report.percents[-1] < 0 and "3180" in (report.last_error or "")
    assert report.close_message is not None

"""Which company file a session works on: the one open in QuickBooks, checked to be this company.

authenticate names no file unless the registration pins one (QBWC refuses a file it knows by
another path, e.g. a mapped drive vs. its UNC path). The bridge compares the path QBWC reports
and, where it differs, which QuickBooks company the file check says is open.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from lxml import etree
from sqlmodel import select

from connector.config import Settings
from connector.qbwc import add_company, set_company_file
from connector.qbwc.identity import same_file_elsewhere
from connector.qbwc.service import QbwcService
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.store import Company, Database, Watermark
from tests.qbwc.driver import Clock, run_session

MAPPED = r"Z:\Accounting\QB\Acme.qbw"
UNC = r"\\fileserver\shared\Accounting\QB\Acme.qbw"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(db: Database, settings: Settings, clock: Clock) -> QbwcService:
    add_company(db, "Acme", "acme", "pw", company_file=MAPPED)
    return QbwcService(db, settings.model_copy(update={"min_poll_seconds": 0}), clock=clock)


def _quickbooks(clock: Clock, path: str, company_name: str = "Acme Ltd") -> QuickBooksSimulator:
    sim = QuickBooksSimulator(path, clock=lambda: clock.now - timedelta(minutes=5),
                              company_name=company_name)
    seed_company(sim, customers=3, invoices=1, lines_per_invoice=1, seed=5)
    return sim


def _company(db: Database) -> Company:
    with db.session() as s:
        return s.exec(select(Company)).one()


def test_authenticate_names_no_company_file_unless_it_is_pinned(
        service: QbwcService, db: Database) -> None:
    ticket, status, *_ = service.authenticate("acme", "pw")
    assert ticket and status == ""  # QBWC uses the file open in QuickBooks, whatever its path
    service.close_connection(ticket)
    set_company_file(db, "Acme", MAPPED, pin=True)
    assert service.authenticate("acme", "pw")[1] == MAPPED


def test_a_mapped_drive_and_its_unc_path_are_one_company_file(
        service: QbwcService, clock: Clock, db: Database) -> None:
    run = run_session(service, _quickbooks(clock, UNC), "acme", "pw")
    assert run.percents[-1] == 100 and run.last_error is None
    company = _company(db)
    assert company.qb_company_name == "Acme Ltd" and company.last_file_matched is True


def test_the_same_company_under_any_other_path_is_accepted_once_known(
        service: QbwcService, clock: Clock, db: Database) -> None:
    assert run_session(service, _quickbooks(clock, MAPPED), "acme", "pw").percents[-1] == 100
    moved = run_session(service, _quickbooks(clock, r"D:\Restored\acme-2026.QBW"), "acme", "pw")
    assert moved.percents[-1] == 100 and moved.last_error is None


def test_another_company_is_refused_after_the_file_check_with_both_names(
        service: QbwcService, clock: Clock, db: Database) -> None:
    assert run_session(service, _quickbooks(clock, MAPPED), "acme", "pw").percents[-1] == 100
    with db.session() as s:
        marks = {(w.entity, w.value) for w in s.exec(select(Watermark)).all()}
    clock.advance(minutes=10)
    other = run_session(service, _quickbooks(clock, UNC, company_name="Beta Inc"), "acme", "pw")
    assert len(other.requests) == 1 and "HostQueryRq" in other.requests[0]  # the check only
    assert other.percents == [-1]
    error = other.last_error or ""
    assert "'Beta Inc'" in error and "'Acme Ltd'" in error
    assert "Nothing was read or written" in error
    # The command to accept the file pastes as is: the path bare (one word), not repr'd.
    assert f"`ml-connector company set-file Acme {UNC}`" in error
    with db.session() as s:
        assert {(w.entity, w.value) for w in s.exec(select(Watermark)).all()} == marks
    assert _company(db).last_file_matched is False


def test_another_company_at_the_registered_path_is_refused_too(
        service: QbwcService, clock: Clock) -> None:
    assert run_session(service, _quickbooks(clock, MAPPED), "acme", "pw").percents[-1] == 100
    replaced = run_session(service, _quickbooks(clock, MAPPED, company_name="Beta Inc"),
                           "acme", "pw")
    assert replaced.percents == [-1] and "'Beta Inc'" in (replaced.last_error or "")


def test_an_unknown_company_on_an_unrelated_path_is_refused_before_anything_is_sent(
        service: QbwcService, clock: Clock) -> None:
    run = run_session(service, _quickbooks(clock, r"C:\QB\Other Co.qbw"), "acme", "pw")
    assert run.requests == []
    assert "Other Co.qbw" in (run.last_error or "") and "set-file Acme" in (run.last_error or "")


def test_set_file_forgets_the_company_so_a_replaced_one_can_be_accepted(
        service: QbwcService, clock: Clock, db: Database) -> None:
    run_session(service, _quickbooks(clock, MAPPED), "acme", "pw")
    set_company_file(db, "Acme", UNC)
    renamed = run_session(service, _quickbooks(clock, UNC, company_name="Acme Group"), "acme", "pw")
    assert renamed.percents[-1] == 100 and _company(db).qb_company_name == "Acme Group"


def test_without_a_registered_path_the_first_company_seen_is_the_company(
        db: Database, settings: Settings, clock: Clock) -> None:
    add_company(db, "Acme", "acme", "pw")
    service = QbwcService(db, settings.model_copy(update={"min_poll_seconds": 0}), clock=clock)
    assert run_session(service, _quickbooks(clock, UNC), "acme", "pw").percents[-1] == 100
    other = run_session(service, _quickbooks(clock, UNC, company_name="Beta Inc"), "acme", "pw")
    assert other.percents == [-1] and "'Beta Inc'" in (other.last_error or "")


def test_a_pin_needs_a_path(db: Database) -> None:
    from connector.errors import ConfigError

    with pytest.raises(ConfigError, match="needs --company-file"):
        add_company(db, "Acme", "acme", "pw", pin_company_file=True)


@pytest.mark.parametrize(
    "registered, reported, same",
    [
        (MAPPED, UNC, True),
        (r"Z:\Acme.qbw", r"\\fileserver\acme-share\Acme.qbw", True),
        (r"C:\QB\Acme.qbw", r"c:/qb/ACME.QBW", True),
        (r"C:\QB\Acme.qbw", r"C:\Old\Acme.qbw", False),
        (r"C:\QB\Acme.qbw", r"C:\QB\Acme-copy.qbw", False),
        (MAPPED, r"\\fileserver\shared\Other\QB\Acme.qbw", False),
    ],
)
def test_one_file_seen_through_another_drive_or_share(registered: str, reported: str,
                                                      same: bool) -> None:
    assert same_file_elsewhere(registered, reported) is same


def _check_fails(hresult: str, status: str | None = None) -> object:
    """QuickBooks answering the file check with an error (everything else as it would)."""
    def answer(qb: QuickBooksSimulator) -> object:
        def handle(request: str) -> tuple[str, str, str]:
            if "CompanyQueryRq" not in request:
                return qb.handle(request), "", ""
            if hresult:
                return "", hresult, "QuickBooks found an error when parsing the XML"
            rid = etree.fromstring(request.encode()).find(".//CompanyQueryRq").get("requestID")
            refused = (f'<?xml version="1.0"?><QBXML><QBXMLMsgsRs><CompanyQueryRs '
                       f'requestID="{rid}" statusCode="{status}" statusSeverity="Error" '
                       'statusMessage="refused"/></QBXMLMsgsRs></QBXML>')
            return refused, "", ""
        return handle
    return answer


@pytest.mark.parametrize("fails", [_check_fails("0x80040400"), _check_fails("", "3250")],
                         ids=["refused", "error-status"])
def test_a_failed_file_check_on_another_path_stops_before_anything_is_sent(
        service: QbwcService, clock: Clock, db: Database, fails: Any) -> None:
    assert run_session(service, _quickbooks(clock, MAPPED), "acme", "pw").percents[-1] == 100
    with db.session() as s:
        marks = {(w.entity, w.value) for w in s.exec(select(Watermark)).all()}
    clock.advance(minutes=10)
    other = _quickbooks(clock, r"C:\QB\Other.qbw", company_name="Beta Inc")
    run = run_session(service, other, "acme", "pw", answer=fails(other))
    assert len(run.requests) == 1 and run.percents == [-1]  # the check only
    error = run.last_error or ""
    assert "the file check failed" in error and "Nothing was read or written" in error
    with db.session() as s:
        assert {(w.entity, w.value) for w in s.exec(select(Watermark)).all()} == marks
    assert _company(db).last_file_matched is False


def test_a_failed_file_check_on_the_registered_path_goes_on(
        service: QbwcService, clock: Clock) -> None:
    qb = _quickbooks(clock, MAPPED)
    run = run_session(service, qb, "acme", "pw", answer=_check_fails("0x80040400")(qb))
    assert run.percents[-1] == 100 and len(run.requests) > 1


def test_a_failed_file_check_stops_a_company_known_without_a_registered_path(
        db: Database, settings: Settings, clock: Clock) -> None:
    add_company(db, "Acme", "acme", "pw")
    service = QbwcService(db, settings.model_copy(update={"min_poll_seconds": 0}), clock=clock)
    assert run_session(service, _quickbooks(clock, UNC), "acme", "pw").percents[-1] == 100
    other = _quickbooks(clock, r"C:\QB\Other.qbw", company_name="Beta Inc")
    run = run_session(service, other, "acme", "pw", answer=_check_fails("0x80040400")(other))
    assert run.percents == [-1] and "QuickBooks company 'Acme Ltd'" in (run.last_error or "")

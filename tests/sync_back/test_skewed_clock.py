"""Newer-wins does not trust QuickBooks' clock: an hour off either way, the right side wins.

QuickBooks' stamps are read on our clock: its offset is measured on the stamps it gives our
own writes, and a change cannot have happened after we read it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from connector.qbwc import add_company
from connector.qbwc.clock_offset import measure
from connector.store import Company, Database

from .conftest import Loop

SKEWS = pytest.mark.parametrize("skew", [timedelta(hours=1), timedelta(hours=-1)],
                                ids=["quickbooks-ahead", "quickbooks-behind"])


def _edit_phone_in_zoho(loop: Loop, customer: str, phone: str) -> None:
    list_id = loop.customer(customer).list_id
    loop.sim.edit_record("Accounts", loop.zoho_id("Accounts", list_id), Phone=phone)


def _offset(loop: Loop) -> float | None:
    with loop.db.session() as s:
        return s.exec(select(Company)).one().qb_clock_offset_seconds


def _measured(loop: Loop, skew: timedelta) -> None:
    """QuickBooks' clock is set ``skew`` off and one of our writes has measured it."""
    loop.qb.clock.local_time_offset = skew
    _edit_phone_in_zoho(loop, "Bolt Bikes", "555-0201")
    loop.sync_back()
    loop.session()
    assert loop.customer("Bolt Bikes").fields["Phone"] == "555-0201"
    offset = _offset(loop)
    assert offset is not None and abs(offset - skew.total_seconds()) < 120
    loop.sync()


def _conflict(loop: Loop) -> str:
    summary = loop.sync_back()
    [conflict] = [e for e in loop.events(summary) if e.action.startswith("conflict")]
    assert conflict.changed_fields == ["Phone"]
    return conflict.action


@SKEWS
def test_the_later_zoho_edit_wins_whatever_quickbooks_clock_says(loop: Loop,
                                                                 skew: timedelta) -> None:
    _measured(loop, skew)
    loop.qb.company.modify_customer("Acme Rockets", Phone="555-0300")
    loop.session()
    loop.clock.advance(minutes=10)
    _edit_phone_in_zoho(loop, "Acme Rockets", "555-0400")
    assert _conflict(loop) == "conflict_zoho_won"
    assert loop.write_backs()[-1].changes["want"] == {"phone": "555-0400"}


@SKEWS
def test_the_later_quickbooks_edit_wins_whatever_quickbooks_clock_says(loop: Loop,
                                                                       skew: timedelta) -> None:
    _measured(loop, skew)
    _edit_phone_in_zoho(loop, "Acme Rockets", "555-0400")
    loop.clock.advance(minutes=10)
    loop.qb.company.modify_customer("Acme Rockets", Phone="555-0300")
    loop.session()
    assert _conflict(loop) == "conflict_qbd_won"


def test_the_offset_follows_a_drifting_clock(loop: Loop) -> None:
    _measured(loop, timedelta(hours=1))
    first = _offset(loop)
    loop.qb.clock.drift_per_day = timedelta(minutes=10)
    loop.clock.advance(days=3)
    _edit_phone_in_zoho(loop, "Bolt Bikes", "555-0202")
    loop.sync_back()
    loop.session()
    again = _offset(loop)
    assert first is not None and again is not None
    assert 20 * 60 < again - first < 40 * 60  # three days at ten minutes a day


def test_without_a_measurement_a_clock_running_ahead_cannot_win_the_future(loop: Loop) -> None:
    # No write has measured the clock yet: QuickBooks' stamp, an hour in the future, is
    # bounded by when we read it, so the later Zoho edit still wins.
    loop.qb.clock.local_time_offset = timedelta(hours=1)
    assert _offset(loop) is None
    loop.qb.company.modify_customer("Acme Rockets", Phone="555-0300")
    loop.session()
    loop.clock.advance(minutes=10)
    _edit_phone_in_zoho(loop, "Acme Rockets", "555-0400")
    assert _conflict(loop) == "conflict_zoho_won"


def test_a_clock_measured_far_behind_widens_the_read_window(loop: Loop) -> None:
    # Three hours behind is beyond the two-hour overlap: without the measured offset the
    # change below would be stamped before the window and never read.
    _measured(loop, timedelta(hours=-3))
    loop.clock.advance(minutes=5)
    loop.qb.company.modify_customer("Acme Rockets", Phone="555-0777")
    loop.session()
    loop.sync()
    acme = loop.customer("Acme Rockets")
    assert loop.sim.record("Accounts", loop.zoho_id("Accounts", acme.list_id))["Phone"] == \
        "555-0777"


def test_a_stamp_days_off_is_not_taken_for_quickbooks_now(db: Database) -> None:
    company = add_company(db, "Acme", "acme", "pw-acme-123456", company_file=r"C:\QB\A.qbw")
    sent = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    with db.session() as s:
        # A Mod that kept an old stamp says nothing about QuickBooks' clock.
        assert measure(s, company.id or 0, sent - timedelta(days=40), sent,
                       sent + timedelta(seconds=2)) is None
        assert measure(s, company.id or 0, sent + timedelta(hours=1), sent,
                       sent + timedelta(seconds=2)) == 3599.0

"""Backfill reads wait for the next session; re-syncs resend stored records; a closed QBWC
session leaves a sync request that the next run takes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from connector import runs
from connector.audit import list_runs
from connector.errors import ConfigError
from connector.mapping.keys import parse_key
from connector.qbwc.service import QbwcService
from connector.runs.requests import requested_company_ids
from connector.store import QueuedRequest, RequestState, SyncRequest
from connector.sync.backfill import backfill_status, queue_reads
from connector.sync.responses import mark_for_resync
from connector.zoho.fields import QBD_KEY
from tests.qbwc.driver import run_session

from .conftest import PASSWORD, Books, World, zoho_writes


def _backfill_requests(world: World) -> list[QueuedRequest]:
    with world.db.session() as s:
        return list(s.exec(select(QueuedRequest).where(QueuedRequest.seq >= 60)).all())


def test_backfill_reads_survive_a_dropped_session_and_go_out_with_the_next(
        world: World, acme: Books) -> None:
    assert queue_reads(world.db, acme.company, world.settings) == 6
    assert queue_reads(world.db, acme.company, world.settings) == 0  # already waiting
    world.clock.advance(minutes=5)
    run_session(world.service, acme.qb, "acme", PASSWORD, drop_after=1)  # QBWC vanished
    world.clock.advance(minutes=40)
    assert backfill_status(world.db, acme.company.id or 0).reads_waiting == 6
    run = world.session("Acme")
    sent = [r for r in run.requests if "FromModifiedDate" not in r and "Deleted" not in r]
    assert len(sent) >= 3  # full customer, item and invoice reads, not deltas
    states = {r.state for r in _backfill_requests(world) if r.page == 1}
    assert states == {RequestState.ANSWERED}
    assert backfill_status(world.db, acme.company.id or 0).reads_waiting == 0


def test_a_standing_backfill_makes_a_too_soon_poll_a_real_session(world: World,
                                                                  acme: Books) -> None:
    eager = QbwcService(world.db, world.settings.model_copy(update={"min_poll_seconds": 3600}),
                        clock=world.clock)
    world.clock.advance(minutes=5)
    assert run_session(eager, acme.qb, "acme", PASSWORD).status == "none"
    queue_reads(world.db, acme.company, world.settings)
    assert run_session(eager, acme.qb, "acme", PASSWORD).status != "none"


def test_resync_sends_stored_records_again_without_duplicates(world: World,
                                                              acme: Books) -> None:
    world.sync("Acme")
    writes = zoho_writes(world.sim)
    accounts = len(world.records("Accounts"))
    assert mark_for_resync(world.db, acme.company.id or 0) > 0
    summary = world.sync("Acme")
    assert zoho_writes(world.sim) > writes and summary.counts["updated"] >= accounts
    assert len(world.records("Accounts")) == accounts
    world.reprocess_all()
    again = zoho_writes(world.sim)
    world.sync("Acme")
    assert zoho_writes(world.sim) == again  # the force is spent


def test_resync_of_an_old_range_never_writes_back_an_older_version(world: World,
                                                                    acme: Books) -> None:
    world.sync("Acme")
    first_read = world.clock.now
    customer = next(c for c in acme.qb.company.listed("Customer") if c.parent_id is None)
    world.clock.advance(minutes=1)
    acme.qb.company.modify_customer(customer.list_id, Phone="+1 555 0142")
    world.session("Acme")
    world.sync("Acme")
    mark_for_resync(world.db, acme.company.id or 0, until=first_read)
    world.sync("Acme")
    account = next(a for a in world.records("Accounts")
                   if parse_key(a[QBD_KEY]).qb_id == customer.list_id)
    assert account["Phone"] == "+1 555 0142"


def test_a_closed_session_with_responses_asks_for_a_sync_and_the_run_takes_it(
        world: World) -> None:
    acme = world.add_books("Acme")
    world.add_books("Idle")
    world.session("Acme")
    assert runs.companies_waiting(world.run_env()) == ["Acme"]
    assert requested_company_ids(world.db) == [acme.company.id]
    result = world.run("Acme")
    assert result.status == "completed" and requested_company_ids(world.db) == []
    with world.db.session() as s:
        (request,) = s.exec(select(SyncRequest)).all()
    assert request.audit_run_id == result.summary.run_id and request.taken_at is not None
    assert runs.companies_waiting(world.run_env()) == []


def test_a_session_that_read_nothing_asks_for_nothing(world: World) -> None:
    acme = world.add_books("Acme")
    world.clock.advance(minutes=5)
    run = run_session(world.service, acme.qb, "acme", PASSWORD,
                      company_file=r"C:\QB\Somebody else.qbw")
    assert run.close and not run.requests
    assert requested_company_ids(world.db) == []


def test_a_range_ending_before_it_starts_is_refused_before_any_run(world: World,
                                                                   acme: Books) -> None:
    since, until = datetime(2025, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
    for attempt in (lambda: runs.backfill(world.run_env(), "Acme", since=since, until=until),
                    lambda: runs.plan_sync(world.run_env(), "Acme", backfill=True, since=since,
                                           until=until)):
        with pytest.raises(ConfigError, match=r"ends \(2024-01-01\) before it starts"):
            attempt()
    assert list_runs(world.db) == [] and _backfill_requests(world) == []

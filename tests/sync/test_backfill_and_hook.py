"""Backfill reads wait for the next session; re-syncs resend stored records; a closed QBWC
session calls the sync hook."""

from __future__ import annotations

from sqlmodel import select

from connector.mapping.keys import parse_key
from connector.qbwc.service import QbwcService
from connector.store import QueuedRequest, RequestState
from connector.sync.backfill import backfill_status, mark_for_resync, queue_reads
from connector.zoho.fields import QBD_KEY
from tests.qbwc.driver import run_session

from .conftest import PASSWORD, Books, World, zoho_writes


def _backfill_requests(world: World) -> list[QueuedRequest]:
    with world.db.session() as s:
        return list(s.exec(select(QueuedRequest).where(QueuedRequest.seq >= 60)).all())


def test_backfill_reads_survive_a_dropped_session_and_go_out_with_the_next(
        world: World, acme: Books) -> None:
    assert queue_reads(world.db, acme.company, world.settings) == 5
    assert queue_reads(world.db, acme.company, world.settings) == 0  # already waiting
    world.clock.advance(minutes=5)
    run_session(world.service, acme.qb, "acme", PASSWORD, drop_after=1)  # QBWC vanished
    world.clock.advance(minutes=40)
    assert backfill_status(world.db, acme.company.id or 0).reads_waiting == 5
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


def test_a_closed_session_calls_the_hook_with_its_company(world: World) -> None:
    acme = world.add_books("Acme")
    calls: list[int] = []
    service = QbwcService(world.db, world.settings, clock=world.clock,
                          on_session_closed=calls.append)
    run = run_session(service, acme.qb, "acme", PASSWORD)
    assert run.close and calls == [acme.company.id]


def test_a_failing_hook_never_reaches_the_web_connector(world: World) -> None:
    acme = world.add_books("Acme")

    def broken(company_id: int) -> None:
        raise RuntimeError("Prefect is down")

    service = QbwcService(world.db, world.settings, clock=world.clock, on_session_closed=broken)
    run = run_session(service, acme.qb, "acme", PASSWORD)
    assert run.close and "ml-connector" in run.close

"""Per-record refusals, 429 storms, 5xx, and runs that stop half-way."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import event
from sqlmodel import select

from connector import runs
from connector.audit import list_runs, run_events
from connector.cli.common import CtrlC
from connector.errors import ConfigError, RetriableError
from connector.mapping.keys import parse_key
from connector.store import ResponseSync
from connector.zoho.fields import QBD_KEY

from .conftest import Books, World


def _break_email(acme: Books) -> str:
    customer = next(c for c in acme.qb.company.listed("Customer") if c.parent_id is None)
    acme.qb.company.modify_customer(customer.list_id, Email="broken@nowhere")
    return customer.list_id


def test_a_refused_record_is_recorded_and_the_rest_synced(world: World, acme: Books) -> None:
    list_id = _break_email(acme)
    world.session("Acme")
    summary = world.sync("Acme")
    assert summary.status == "completed_with_errors" and summary.counts["failed"] == 1
    (failure,) = summary.failures
    assert (failure.qb_type, failure.qb_id, failure.error_code) == ("CustomerContact", list_id,
                                                                      "INVALID_DATA")
    assert "Email" in (failure.error_message or "")
    accounts = {parse_key(a[QBD_KEY]).qb_id for a in world.records("Accounts")}
    assert list_id in accounts  # the Account went through; only its Contact was refused
    assert len(world.records("Deals")) == 8


def test_a_refused_record_keeps_its_response_for_the_next_run(world: World,
                                                              acme: Books) -> None:
    _break_email(acme)
    world.session("Acme")
    world.sync("Acme")
    (left,) = world.unprocessed()
    again = world.sync("Acme")
    assert again.counts["failed"] == 1 and again.counts["created"] == 0
    with world.db.session() as s:
        state = s.exec(select(ResponseSync).where(ResponseSync.response_id == left.id)).one()
    assert state.attempts == 2 and "INVALID_DATA" in (state.last_error or "")


def test_fixing_the_record_in_quickbooks_syncs_it_and_closes_the_old_response(
        world: World, acme: Books) -> None:
    list_id = _break_email(acme)
    world.session("Acme")
    world.sync("Acme")
    acme.qb.company.modify_customer(list_id, Email="fixed@example.com")
    world.session("Acme")
    summary = world.sync("Acme")
    assert summary.counts["failed"] == 0 and world.unprocessed() == []
    assert any(c["Email"] == "fixed@example.com" for c in world.records("Contacts"))


def test_a_response_that_keeps_failing_is_given_up_after_max_attempts(
        world: World, acme: Books) -> None:
    _break_email(acme)
    world.session("Acme")
    for _ in range(world.settings.sync_max_attempts):
        summary = world.sync("Acme")
    assert world.unprocessed() == []
    assert any(e.action == "gave_up" for e in run_events(world.db, summary.run_id))


def test_a_429_storm_is_ridden_out_by_the_client(world: World, acme: Books) -> None:
    world.sim.faults.fail_next(3, 429, path_contains="/upsert")
    summary = world.sync("Acme")
    assert summary.status == "completed"
    assert sum(1 for _, path, status in world.sim.calls if status == 429) == 3
    assert world.unprocessed() == [] and len(world.records("Deals")) == 8


def test_5xx_answers_are_retried(world: World, acme: Books) -> None:
    world.sim.faults.fail_next(2, 503, path_contains="/Deals")
    assert world.sync("Acme").status == "completed"
    assert len(world.records("Deals")) == 8


def test_a_run_stopped_by_zoho_leaves_responses_and_the_next_run_finishes(
        world: World, acme: Books) -> None:
    world.sim.faults.fail_next(50, 503, path_contains="/Deals")
    with pytest.raises(RetriableError):
        world.sync("Acme")
    (failed,) = list_runs(world.db, limit=1)
    assert failed.status == "failed" and "RetriableError" in (failed.error or "")
    assert world.unprocessed()
    assert len(world.records("Accounts")) > 0 and len(world.records("Deals")) == 0
    world.sim.faults.clear()
    summary = world.sync("Acme")
    assert summary.status == "completed" and world.unprocessed() == []
    keys = [d[QBD_KEY] for d in world.records("Deals")]
    assert len(keys) == len(set(keys)) == 8
    assert len(world.records("Accounts")) == len({a[QBD_KEY] for a in world.records("Accounts")})


@pytest.mark.all_profiles
def test_a_run_stopped_while_products_are_related_converges_without_duplicate_invoices(
        world: World, acme: Books) -> None:
    # The Invoices are written while the Deals' Products are related: when relating stops
    # the run, they are in Zoho but not yet linked, and the next run must find them again.
    world.sim.faults.fail_next(50, 503, path_contains="/__composite_requests")
    with pytest.raises(RetriableError):
        world.sync("Acme")
    assert world.unprocessed()
    world.sim.faults.clear()
    summary = world.sync("Acme")
    assert summary.status == "completed" and world.unprocessed() == []
    deals = {parse_key(d[QBD_KEY]).qb_id: d["id"] for d in world.records("Deals")}
    assert len(deals) == len(world.records("Deals")) == 8
    assert all(world.sim.related_products(d) for d in deals.values())
    if world.has_invoices:
        invoices = world.records("Invoices")
        assert len({i[QBD_KEY] for i in invoices}) == len(invoices) == 8
        assert {i["Deal_Name"]["id"] for i in invoices} == set(deals.values())


def test_a_sync_before_zoho_setup_says_to_run_it_and_writes_nothing(
        world: World, acme: Books) -> None:
    world.sim.remove_field("Accounts", QBD_KEY)
    world.session("Acme")
    with pytest.raises(ConfigError, match=r"no field Accounts\.QBD_Key.*zoho setup"):
        world.sync("Acme")
    assert world.records("Accounts") == []
    # Made in Zoho's Setup meanwhile: the next run reads the fields again and goes on.
    world.sim.add_field("Accounts", QBD_KEY, "text", unique=True)
    assert world.sync("Acme").counts["created"] > 0


def test_ctrl_c_stops_a_run_between_steps_and_the_next_run_finishes_it(
        world: World, acme: Books) -> None:
    world.session("Acme")
    ctrl_c, asked = CtrlC(), 0

    def pressed_at_the_third_step() -> None:
        nonlocal asked
        asked += 1
        if asked == 3:
            ctrl_c.asked.set()
        ctrl_c.check()

    stopped = runs.sync_quickbooks(replace(world.run_env(), interrupt=pressed_at_the_third_step),
                                   "Acme")
    assert stopped.summary.status == "failed" and asked == 3
    assert (stopped.summary.error or "").startswith("Interrupted: stopped by Ctrl-C")
    written = len(world.records("Accounts"))
    assert written > 0  # the steps before the stop were written and recorded
    # The lease is free and the store unlocked: the next run goes on at once.
    assert world.sync("Acme").status == "completed"
    keys = [r[QBD_KEY] for r in world.records("Accounts")]
    assert len(keys) == len(set(keys)) and len(keys) >= written


def test_an_interrupt_cutting_a_write_short_ends_the_run_failed_and_the_next_one_goes_on(
        world: World, acme: Books) -> None:
    # A second Ctrl-C (or a cancelled flow) lands anywhere: here between the INSERT of the
    # first record links and the fetch of their ids, where no handler of SQLAlchemy sees it.
    world.session("Acme")
    cut = False

    def interrupt(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        nonlocal cut
        if not cut and statement.startswith("INSERT INTO mlc_record_link"):
            cut = True
            raise KeyboardInterrupt

    event.listen(world.db.engine, "after_cursor_execute", interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            world.run("Acme")
    finally:
        event.remove(world.db.engine, "after_cursor_execute", interrupt)
    (stopped,) = list_runs(world.db)
    assert cut and stopped.status == "failed"  # recorded, so not left running
    # The lease is free and the store unlocked: the next run goes on at once.
    assert world.sync("Acme").status == "completed"
    keys = [r[QBD_KEY] for r in world.records("Accounts")]
    assert len(keys) == len(set(keys))

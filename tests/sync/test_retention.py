"""QuickBooks forgets deletions after its window (about 90 days, a simulator choice): a
company read after the window has closed is scanned id by id, and nothing is lost."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select

from connector.audit import run_events
from connector.store import RawResponse, Watermark
from connector.zoho.checks import PASS, WARN
from connector.zoho.fields import QBD_ACTIVE
from connector.zoho.ping import company_checks

from .conftest import Books, World, by_qb_id, delete_some, zoho_writes


def _deletion_check(world: World) -> str:
    [check] = [c for c in company_checks(world.db, now=world.clock(), settings=world.settings)
               if c.name.endswith("deletions")]
    return check.status


def test_deletions_quickbooks_forgot_are_found_by_a_key_scan(world: World,
                                                             acme: Books) -> None:
    world.sync("Acme")
    invoice, item, customer = delete_some(acme)
    world.clock.advance(days=100)  # nobody polled: QuickBooks no longer lists those deletions
    assert _deletion_check(world) == WARN
    world.session("Acme")
    with world.db.session() as s:
        listed = s.exec(select(RawResponse).where(
            col(RawResponse.entity).in_(["ListDeleted", "TxnDeleted"]))
            .order_by(col(RawResponse.id).desc()).limit(2)).all()
        assert [r.record_count for r in listed] == [0, 0]
    summary = world.sync("Acme")
    assert summary.counts["failed"] == 0, summary.markdown()
    assert world.forecast_type(str(by_qb_id(world, "Deals")[invoice]["Stage"])) == "Closed Lost"
    assert by_qb_id(world, "Products")[item]["Product_Active"] is False
    assert by_qb_id(world, "Accounts")[customer][QBD_ACTIVE] is False
    warned = [e for e in run_events(world.db, summary.run_id)
              if e.error_code == "DELETED_LIST_LAPSED"]
    assert {e.qb_type for e in warned} == {"Customer", "Item", "Invoice"}
    assert _deletion_check(world) == PASS
    writes = zoho_writes(world.sim)
    world.session("Acme")  # the scan is done: the next session does not scan again
    world.sync("Acme")
    with world.db.session() as s:
        scans = s.exec(select(RawResponse).where(
            col(RawResponse.entity).startswith("KeyScan:"))).all()
    assert len({r.session_id for r in scans}) == 1
    assert zoho_writes(world.sim) == writes


def test_a_company_read_within_the_window_is_not_scanned(world: World, acme: Books) -> None:
    world.sync("Acme")
    world.clock.advance(days=80)
    assert _deletion_check(world) == WARN  # the window closes in 10 days: poll before then
    world.session("Acme")
    world.sync("Acme")
    with world.db.session() as s:
        assert s.exec(select(RawResponse).where(
            col(RawResponse.entity).startswith("KeyScan:"))).all() == []
    assert _deletion_check(world) == PASS


def test_a_scan_cut_short_is_planned_again(world: World, acme: Books) -> None:
    world.sync("Acme")
    world.clock.advance(days=100)
    first = world.session("Acme")
    assert first.percents[-1] == 100
    # As if the Invoice scan's session had died: its watermark never moved.
    with world.db.session() as s:
        mark = s.get(Watermark, (acme.company.id, "KeyScan:Invoice"))
        assert mark is not None
        s.delete(mark)
    assert _deletion_check(world) == WARN
    second = world.session("Acme")
    assert sum("IncludeRetElement>TxnID<" in r for r in second.requests) == 1
    assert not any("IncludeRetElement>ListID<" in r for r in second.requests)


def test_a_company_never_read_has_no_deletion_window_yet(world: World) -> None:
    world.add_books("Acme")
    world.clock.advance(days=200)
    world.session("Acme")  # the first (full) read: no deletion read before it, nothing lost
    with world.db.session() as s:
        assert s.exec(select(RawResponse).where(
            col(RawResponse.entity).startswith("KeyScan:"))).all() == []
    world.clock.advance(days=1)
    assert _deletion_check(world) == PASS


def test_a_lapsed_window_is_warned_in_the_audit_even_when_nothing_was_lost(
        world: World, acme: Books) -> None:
    world.sync("Acme")
    world.clock.advance(days=100)
    world.session("Acme")
    summary = world.sync("Acme")
    warned = [e for e in run_events(world.db, summary.run_id)
              if e.error_code == "DELETED_LIST_LAPSED"]
    assert len(warned) == 3 and all("nothing was lost" in (e.error_message or "")
                                    for e in warned)
    assert summary.counts["deleted"] == 0 and summary.counts["warnings"] >= 3


def test_a_scan_finished_after_the_last_sync_is_reconciled_by_the_next(
        world: World, acme: Books) -> None:
    world.sync("Acme")
    invoice, _item, _customer = delete_some(acme)
    world.clock.advance(days=100)
    world.session("Acme")
    # As if a sync had run while the scan's pages were still being read: every other
    # response is processed, only the scan waits.
    with world.db.session() as s:
        s.execute(update(RawResponse)
                  .where(col(RawResponse.entity).not_like("KeyScan:%"))
                  .values(processed_at=world.clock()))
    summary = world.sync("Acme")
    assert summary.counts["deleted"] >= 3, summary.markdown()
    assert world.forecast_type(str(by_qb_id(world, "Deals")[invoice]["Stage"])) == "Closed Lost"

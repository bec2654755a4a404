"""`undo RUN` takes back what one sync wrote: what it created goes to Zoho's recycle bin, what
it adopted or updated gets its values back, its links are forgotten; a record changed since
is skipped and listed."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import select

from connector import runs
from connector.audit import run_events
from connector.cli import cli
from connector.plans import confirm_plan
from connector.runs.undo import plan_undo_run, undo_run
from connector.store import AuditRun, RecordLink
from connector.undo import UndoRefused
from connector.zoho.fields import QBD_KEY

from .conftest import World, zoho_writes
from .test_plan import populate

MODULES = ("Accounts", "Contacts", "Products", "Deals", "Invoices")
# What Zoho itself stamps on every write: an undo is a write too.
STAMPS = frozenset({"Modified_Time", "Modified_By"})


def snapshot(world: World) -> dict[str, dict[str, dict[str, Any]]]:
    """Every record of every synced module, field by field (Zoho's own stamps aside)."""
    return {module: {r["id"]: {k: v for k, v in r.items() if k not in STAMPS}
                     for r in world.records(module)} for module in MODULES}


def first_load(world: World) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
    """A populated org loaded through a confirmed plan: the org before, and the load's run."""
    populate(world)
    return _planned_load(world)


def _planned_load(world: World) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
    """Acme's stored books loaded through a confirmed plan: the org before, and the run."""
    world.session("Acme")
    made = runs.plan_sync(world.run_env(), "Acme")
    assert made.plan is not None and made.plan.id is not None
    confirm_plan(world.db, made.plan.id, made.plan.company_id, now=world.clock())
    before = snapshot(world)
    return before, world.sync("Acme").run_id


def _actions(world: World, run_id: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for event in run_events(world.db, run_id, limit=100_000):
        out[event.action] = out.get(event.action, 0) + 1
    return out


def test_an_undo_plan_says_what_it_would_do_and_writes_nothing(world: World) -> None:
    _, load = first_load(world)
    writes = zoho_writes(world.sim)
    plan = plan_undo_run(world.run_env(), load)
    done = _actions(world, load)
    totals = plan.totals()
    assert totals["delete"] == done["created"] and totals["restore"] == done["adopted"]
    assert totals["unlink"] == done.get("linked", 0) and not totals["skip"]
    assert plan.left["review"] == done["review"]
    assert zoho_writes(world.sim) == writes
    with world.db.session() as s:
        assert s.exec(select(RecordLink)).all()


def test_undo_gives_the_org_back_as_it_was_field_by_field(world: World) -> None:
    before, load = first_load(world)
    created = {e.zoho_id for e in run_events(world.db, load, limit=100_000)
               if e.action == "created"}
    result = undo_run(world.run_env(), load)
    assert result.run.error is None and result.run.summary.counts["failed"] == 0
    assert snapshot(world) == before
    binned = {d.id for module in MODULES if module in world.sim.modules
              for d in world.sim._core.store.deleted[module]}
    assert created <= binned  # in Zoho's recycle bin, as a delete in the UI leaves them
    with world.db.session() as s:
        assert s.exec(select(RecordLink).where(RecordLink.zoho_id.is_not(None))  # type: ignore[union-attr]
                      ).all() == []
        undo = s.get(AuditRun, result.run.summary.run_id)
    assert undo is not None and undo.undoes_run_id == load and undo.flow == "undo"


def test_an_adopted_account_edited_in_zoho_since_is_skipped_and_listed(world: World) -> None:
    _, load = first_load(world)
    adopted = next(e for e in run_events(world.db, load, limit=100_000)
                   if e.action == "adopted" and e.zoho_module == "Accounts")
    assert adopted.zoho_id
    world.sim.edit_record("Accounts", adopted.zoho_id, Phone="+49 30 9999999")
    plan = plan_undo_run(world.run_env(), load)
    (skipped,) = plan.of("skip")
    assert skipped.zoho_id == adopted.zoho_id and "Phone" in skipped.reason
    undo_run(world.run_env(), load)
    kept = world.sim.record("Accounts", adopted.zoho_id)
    assert kept["Phone"] == "+49 30 9999999" and kept[QBD_KEY]  # still the customer's


def _an_account_created_by(world: World, run_id: int) -> tuple[str, str]:
    """The QuickBooks and Zoho ids of an Account the run created."""
    created = next(e for e in run_events(world.db, run_id, limit=100_000)
                   if e.action == "created" and e.zoho_module == "Accounts")
    assert created.qb_id and created.zoho_id
    return created.qb_id, created.zoho_id


def _fax_synced(world: World, qb_id: str, fax: str) -> int:
    """The bookkeeper changes the customer's fax; a session and a sync carry it: the run id."""
    world.books["Acme"].qb.company.modify_customer(qb_id, Fax=fax)
    world.session("Acme")
    return world.sync("Acme").run_id


def test_a_record_a_later_run_wrote_is_skipped_naming_that_run(world: World) -> None:
    _, load = first_load(world)
    qb_id, zoho_id = _an_account_created_by(world, load)
    later = _fax_synced(world, qb_id, "+1 555 0100")
    plan = plan_undo_run(world.run_env(), load)
    skipped = {s.zoho_id: s.reason for s in plan.of("skip")}
    assert f"run {later} updated it later" in skipped[zoho_id]
    undo_run(world.run_env(), load)
    assert world.sim.record("Accounts", zoho_id)["Fax"] == "+1 555 0100"


def test_undo_refuses_an_unknown_run_a_plan_and_a_run_undone_already(world: World) -> None:
    _, load = first_load(world)
    with pytest.raises(UndoRefused, match="no audit run 999"):
        plan_undo_run(world.run_env(), 999)
    with world.db.session() as s:
        planned = s.exec(select(AuditRun).where(AuditRun.flow == "plan")).first()
    assert planned is not None and planned.id is not None
    with pytest.raises(UndoRefused, match="is a plan run"):
        undo_run(world.run_env(), planned.id)
    first = undo_run(world.run_env(), load).run.summary.run_id
    with pytest.raises(UndoRefused, match=f"undone already, by run {first}"):
        undo_run(world.run_env(), load)


def test_undo_from_the_command_line_is_an_audited_run(served_world: World) -> None:
    _, load = first_load(served_world)
    shown = _cli("undo", str(load), "--plan")
    assert shown.exit_code == 0, shown.output
    assert "nothing was written" in shown.output and "delete" in shown.output
    done = _cli("undo", str(load), "--confirm")
    assert done.exit_code == 0, done.output
    listed = _cli("audit", "list")
    assert "undo" in listed.output
    again = _cli("undo", str(load), "--confirm")
    assert again.exit_code == 1 and "undone already" in again.output
    assert _cli("undo", str(load)).exit_code == 2


def _cli(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_undoing_an_update_gives_back_the_values_synced_before(world: World) -> None:
    _, load = first_load(world)
    qb_id, zoho_id = _an_account_created_by(world, load)
    before = world.sim.record("Accounts", zoho_id)
    later = _fax_synced(world, qb_id, "+1 555 0100")
    assert world.sim.record("Accounts", zoho_id)["Fax"] == "+1 555 0100"
    plan = plan_undo_run(world.run_env(), later)
    (restore,) = [s for s in plan.of("restore") if s.zoho_id == zoho_id]
    assert restore.restore == {"Fax": before["Fax"]}
    undo_run(world.run_env(), later)
    assert world.sim.record("Accounts", zoho_id)["Fax"] == before["Fax"]
    with world.db.session() as s:  # the link says what Zoho holds again
        link = s.exec(select(RecordLink).where(RecordLink.zoho_id == zoho_id,
                                               RecordLink.qb_type == "Customer")).one()
    assert (link.field_values or {}).get("Fax") == before["Fax"]
    _fax_synced(world, qb_id, "+1 555 0199")
    assert world.sim.record("Accounts", zoho_id)["Fax"] == "+1 555 0199"


def test_an_account_a_later_deal_points_at_is_kept(world: World) -> None:
    _, load = first_load(world)
    books = world.books["Acme"].qb.company
    qb_id, zoho_id = _an_account_created_by(world, load)
    service = next(i for i in books.listed("Item") if i.kind == "ItemService")
    books.add_invoice(qb_id, lines=[{"ItemRef": service.list_id, "Quantity": 2}])
    world.session("Acme")
    later = world.sync("Acme").run_id
    skipped = {s.zoho_id: s.reason for s in plan_undo_run(world.run_env(), load).of("skip")}
    assert f"run {later} wrote Deals" in skipped[zoho_id]
    undo_run(world.run_env(), load)
    assert world.sim.record("Accounts", zoho_id)[QBD_KEY]


def test_an_account_holding_a_deal_a_person_added_in_zoho_is_kept(world: World) -> None:
    _, load = first_load(world)
    _, zoho_id = _an_account_created_by(world, load)
    deal = world.sim.create_record("Deals", Deal_Name="Upsell", Stage=world.stage_meaning("Open"),
                                   Account_Name={"id": zoho_id})
    skipped = {s.zoho_id: s.reason for s in plan_undo_run(world.run_env(), load).of("skip")}
    assert f"Deals {deal['id']}, which this undo leaves, points at it" in skipped[zoho_id]
    undo_run(world.run_env(), load)
    assert world.sim.record("Accounts", zoho_id)
    assert world.sim.record("Deals", deal["id"])["Deal_Name"] == "Upsell"


def _a_later_deal_on_an_account_of(world: World, load: int) -> tuple[str, int]:
    """A Deal a later run wrote on an Account ``load`` created: that Account, that run."""
    books = world.books["Acme"].qb.company
    qb_id, zoho_id = _an_account_created_by(world, load)
    service = next(i for i in books.listed("Item") if i.kind == "ItemService")
    books.add_invoice(qb_id, lines=[{"ItemRef": service.list_id, "Quantity": 2}])
    world.session("Acme")
    return zoho_id, world.sync("Acme").run_id


def test_once_the_later_run_is_undone_its_deal_no_longer_keeps_the_account(
        world: World) -> None:
    _, load = first_load(world)
    zoho_id, later = _a_later_deal_on_an_account_of(world, load)
    assert undo_run(world.run_env(), later).run.summary.status == "completed"
    plan = plan_undo_run(world.run_env(), load)
    assert zoho_id in {s.zoho_id for s in plan.of("delete")}, plan.of("skip")
    undo_run(world.run_env(), load)
    with pytest.raises(KeyError):
        world.sim.record("Accounts", zoho_id)


def test_a_later_write_its_undo_left_in_place_still_keeps_the_account(world: World) -> None:
    _, load = first_load(world)
    zoho_id, later = _a_later_deal_on_an_account_of(world, load)
    (deal,) = [e.zoho_id for e in run_events(world.db, later, limit=1000)
               if e.zoho_module == "Deals" and e.action == "created"]
    world.sim.edit_record("Deals", deal, Deal_Name="Renamed by sales")  # so undo skips it
    undo_run(world.run_env(), later)
    assert world.sim.record("Deals", deal)
    skipped = {s.zoho_id: s.reason for s in plan_undo_run(world.run_env(), load).of("skip")}
    assert f"run {later} wrote Deals {deal}" in skipped[zoho_id]


def _customers_loaded(world: World) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
    """Books with no invoices yet loaded through a confirmed plan (Accounts, Contacts,
    Products): the org before, and the load's run."""
    world.add_books("Acme", invoices=0)
    return _planned_load(world)


def test_undoing_the_later_run_then_the_earlier_gives_the_org_back_as_it_was(
        world: World) -> None:
    before, load = _customers_loaded(world)
    books = world.books["Acme"].qb.company
    service = next(i for i in books.listed("Item") if i.kind == "ItemService")
    for customer in books.listed("Customer"):
        if customer.is_active:
            books.add_invoice(customer.list_id, lines=[{"ItemRef": service.list_id,
                                                        "Quantity": 2}])
    qb_id, _ = _an_account_created_by(world, load)
    later = _fax_synced(world, qb_id, "+1 555 0100")  # and the Deals, Invoices on the Accounts
    assert {"Deals", "Accounts"} <= {e.zoho_module for e in run_events(world.db, later, limit=1000)}
    assert undo_run(world.run_env(), later).run.summary.status == "completed"
    assert not plan_undo_run(world.run_env(), load).of("skip")
    assert undo_run(world.run_env(), load).run.summary.status == "completed"
    assert snapshot(world) == before


def test_an_undo_that_left_a_record_as_it_was_does_not_keep_a_later_run_from_undoing_it(
        world: World) -> None:
    _, load = first_load(world)
    qb_id, zoho_id = _an_account_created_by(world, load)
    fax = world.sim.record("Accounts", zoho_id)["Fax"]
    later = _fax_synced(world, qb_id, "+1 555 0100")
    undone_first = undo_run(world.run_env(), load).plan  # the earlier run first: it skips that
    assert undone_first is not None and zoho_id in {s.zoho_id for s in undone_first.of("skip")}
    undo_run(world.run_env(), later)
    assert world.sim.record("Accounts", zoho_id)["Fax"] == fax

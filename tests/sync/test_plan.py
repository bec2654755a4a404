"""A plan says what a sync would do, writes nothing, and the sync then does exactly that."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlmodel import select

from connector import runs
from connector.audit import run_events
from connector.cli import cli
from connector.mapping.keys import ACCOUNT
from connector.phones import e164
from connector.plans import confirm_plan
from connector.qbxml import Customer
from connector.store import PlanRow, RecordLink, SyncPlan
from tests.mapping.conftest import read_books

from .conftest import World, zoho_writes

# Every module a plan has rows for.
PLANNED_MODULES = ("Accounts", "Contacts", "Products", "Deals", "Invoices")
# The audit action each planned action becomes.
EXPECTED = {"create": {"created"}, "link": {"adopted", "linked"}, "update": {"updated"},
            "review": {"review"}, "defer": {"deferred"}, "fail": {"failed"}}


def populate(world: World, name: str = "Acme") -> dict[str, Customer]:
    """An org that already holds Accounts: one matching a customer by e-mail, one by phone
    (typed another way), two sharing a third customer's e-mail, and some of nobody's."""
    books = world.add_books(name)
    people = [c for c in read_books(books.qb).customers
              if not c.is_job and c.email and c.phone and c.is_active]
    by_email, by_phone, shared = people[:3]
    account = world.sim.create_record("Accounts", Account_Name="Old CRM: by e-mail")
    world.sim.create_record("Contacts", Last_Name="Mail", Email=by_email.email,
                            Account_Name={"id": account["id"]})
    digits = (e164(by_phone.phone) or "")[2:]
    world.sim.create_record("Accounts", Account_Name="Old CRM: by phone",
                            Phone=f"1-{digits[:3]}-{digits[3:6]}-{digits[6:]}")
    for n in (1, 2):
        twin = world.sim.create_record("Accounts", Account_Name=f"Old CRM: twin {n}")
        world.sim.create_record("Contacts", Last_Name="Twin", Email=shared.email,
                                Account_Name={"id": twin["id"]})
    for n in range(4):
        world.sim.create_record("Accounts", Account_Name=f"Prospect {n}",
                                Phone=f"+44 20 7946 0{n:03d}")
    return {"email": by_email, "phone": by_phone, "shared": shared}


def _links(world: World) -> int:
    with world.db.session() as s:
        return len(s.exec(select(RecordLink)).all())


def test_a_plan_writes_nothing_anywhere(world: World) -> None:
    populate(world)
    world.session("Acme")
    writes, waiting = zoho_writes(world.sim), len(world.unprocessed())
    result = runs.plan_sync(world.run_env(), "Acme")
    assert result.plan is not None and result.rows
    assert zoho_writes(world.sim) == writes
    assert len(world.unprocessed()) == waiting and _links(world) == 0
    assert result.plan.zoho_reads > 0 and result.plan.write_calls > 0


def test_a_plan_says_why_each_customer_is_linked_created_or_held(world: World) -> None:
    people = populate(world)
    world.session("Acme")
    rows = {(r.qb_type, r.qb_id): r for r in runs.plan_sync(world.run_env(), "Acme").rows}
    email = rows[(ACCOUNT.qb_type, people["email"].list_id)]
    phone = rows[(ACCOUNT.qb_type, people["phone"].list_id)]
    shared = rows[(ACCOUNT.qb_type, people["shared"].list_id)]
    assert (email.action, email.reason) == (
        "link", f"matched on e-mail {(people['email'].email or '').lower()}")
    assert (phone.action, phone.reason) == (
        "link", f"matched on phone {e164(people['phone'].phone)}")
    assert shared.action == "review" and len(shared.candidates) == 2
    assert "ambiguous between" in shared.reason
    others = [r for r in rows.values() if r.zoho_module == "Accounts" and r.qb_id not in
              {p.list_id for p in people.values()} and r.qb_type == ACCOUNT.qb_type]
    assert others and {r.action for r in others} == {"create"}


def test_the_sync_does_what_the_plan_said_record_by_record(world: World) -> None:
    populate(world)
    world.session("Acme")
    made = runs.plan_sync(world.run_env(), "Acme")
    assert made.plan is not None and made.plan.id is not None
    confirm_plan(world.db, made.plan.id, made.plan.company_id, now=world.clock())
    planned = made.rows
    before = zoho_writes(world.sim), world.sim.call_count("POST", "/__composite_requests")
    summary = world.sync("Acme")
    # The estimate counts the calls relating the Deals' Products as the sync makes them.
    relating = world.sim.call_count("POST", "/__composite_requests") - before[1]
    assert relating > 0
    assert made.plan.write_calls == zoho_writes(world.sim) - before[0], (made.plan.write_calls,
                                                                         relating)
    done: dict[tuple[str | None, str | None, str | None], set[str]] = {}
    for event in run_events(world.db, summary.run_id, limit=10_000):
        if event.zoho_module in PLANNED_MODULES:
            done.setdefault((event.qb_type, event.qb_id, event.zoho_module),
                            set()).add(event.action)
    for row in planned:
        happened = done.pop((row.qb_type, row.qb_id, row.zoho_module), set())
        if row.action == "skip":
            assert not happened, (row.name, row.reason, happened)
        else:
            assert happened & EXPECTED[row.action], (row.name, row.action, happened)
    assert not done  # nothing happened that the plan did not say


def test_sync_plan_shows_a_summary_and_writes_the_csv(served_world: World,
                                                      tmp_path: Path) -> None:
    world = served_world
    populate(world)
    world.session("Acme")
    out = tmp_path / "plan.csv"
    result = _cli("sync", "--company", "Acme", "--plan", "--csv", str(out))
    assert result.exit_code == 0, result.output
    assert "plan #" in result.output and "link" in result.output
    assert "nothing was written" in result.output
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with world.db.session() as s:
        stored = s.exec(select(PlanRow)).all()
        (plan,) = s.exec(select(SyncPlan)).all()
    assert len(rows) == len(stored) and plan.totals["create"] > 0
    assert {r["action"] for r in rows} >= {"create", "link", "review"}


def test_a_backfill_plan_reopens_nothing(served_world: World) -> None:
    world = served_world
    populate(world)
    world.session("Acme")
    world.settings = world.settings.model_copy(update={"first_load_needs_plan": False})
    world.sync("Acme")
    waiting, writes = len(world.unprocessed()), zoho_writes(world.sim)
    assert _cli("sync", "--company", "Acme", "--plan").exit_code == 0
    # --csv alone would write nothing, silently: it is a usage error.
    for command in ("sync", "backfill"):
        alone = _cli(command, "--company", "Acme", "--csv", str(world.settings.data_dir / "x"))
        assert alone.exit_code == 2 and "give it with --plan" in alone.output
    result = _cli("backfill", "--company", "Acme", "--since", "2020-01-01", "--plan")
    assert result.exit_code == 0, result.output
    assert len(world.unprocessed()) == waiting and zoho_writes(world.sim) == writes
    # What does it is the backfill itself, not a confirmation (the sync has nothing to re-send).
    assert ("nothing was written to Zoho or QuickBooks; to write what this plan says: "
            "ml-connector backfill --company Acme --since 2020-01-01\n") in result.output
    # Forced, the records already in Zoho are sent again: updates, not creations.
    with world.db.session() as s:
        plan = s.exec(select(SyncPlan).where(SyncPlan.kind == "backfill")).one()
        sync_plan = s.exec(select(SyncPlan).where(SyncPlan.kind == "sync")).one()
    assert "create" not in plan.totals
    with world.db.session() as s:
        reasons = {r.reason for r in s.exec(select(PlanRow).where(PlanRow.plan_id == plan.id)
                                            .where(PlanRow.action == "update"))}
    # Nothing changed in QuickBooks: the plan says why they go anyway.
    assert reasons == {"re-sent by the backfill, unchanged in QuickBooks since last written"}
    refused = _cli("sync", "--confirm", str(plan.id))
    assert refused.exit_code == 1 and "previews a backfill" in refused.output
    # The backfill's preview left the sync plan waiting for its person; a newer sync plan
    # replaces it, and says which one to confirm instead.
    assert sync_plan.status == "planned"
    assert _cli("sync", "--company", "Acme", "--plan").exit_code == 0
    stale = _cli("sync", "--confirm", str(sync_plan.id))
    assert stale.exit_code == 1
    assert f"plan #{sync_plan.id} was replaced by plan #{plan.id + 1}" in stale.output
    assert _cli("sync", "--confirm", str(plan.id + 1)).exit_code == 0


def _cli(*args: str) -> Any:
    """The command line, on the served world's environment."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)

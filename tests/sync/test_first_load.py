"""The first load into a Zoho org that already holds Accounts waits for a confirmed plan,
then writes what the plan said."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlmodel import select

from connector import runs
from connector.audit import run_events
from connector.cli import cli
from connector.mapping.keys import parse_key
from connector.plans import confirm_plan
from connector.plans.gate import FirstLoadNeedsPlan
from connector.store import PlanStatus, RecordLink, SyncPlan
from connector.zoho.connection import open_client
from connector.zoho.fields import QBD_KEY

from .conftest import World, zoho_writes
from .test_plan import populate


def _plan(world: World, name: str = "Acme") -> runs.PlanResult:
    made = runs.plan_sync(world.run_env(), name)
    assert made.plan is not None and made.plan.id is not None
    return made


def _confirm(world: World, made: runs.PlanResult) -> None:
    assert made.plan is not None and made.plan.id is not None
    confirm_plan(world.db, made.plan.id, made.plan.company_id, now=world.clock())


def _owner(world: World, account_id: str) -> str | None:
    key = world.sim.record("Accounts", account_id).get(QBD_KEY)
    return parse_key(key).qb_id if key else None


def test_a_first_load_into_a_populated_org_writes_nothing_unconfirmed(world: World) -> None:
    populate(world)
    world.session("Acme")
    writes = zoho_writes(world.sim)
    result = world.run("Acme")
    assert isinstance(result.error, FirstLoadNeedsPlan)
    assert result.status == "waiting" and result.waiting and not result.failed
    assert result.message.startswith("Acme: waiting: FirstLoadNeedsPlan: ")
    assert "--plan" in str(result.error) and "--confirm PLAN_ID" in str(result.error)
    assert zoho_writes(world.sim) == writes and world.unprocessed()
    with world.db.session() as s:
        assert s.exec(select(RecordLink)).all() == []


class CoqlThreads(httpx.BaseTransport):
    """Passes calls on, noting each COQL query and the thread that sent it."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.sent: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/coql"):
            query = json.loads(request.content)["select_query"]
            self.sent.append((query, threading.current_thread().name))
        return self.inner.handle_request(request)


def test_a_first_load_asks_the_gate_and_reads_the_index_beside_the_orgs_reads(
        world: World) -> None:
    # Neither waits its own round trip: the gate's check goes out with the org's reads, the
    # matching index while the first chunk is parsed.
    world.add_books("Acme")
    world.session("Acme")
    options = world.client_options()
    coql = CoqlThreads(options["transport"])
    env = runs.RunEnv(world.settings, world.db, lambda name: open_client(
        world.settings, world.db, world.secrets, name=name, **options | {"transport": coql}),
        clock=world.clock)
    assert runs.sync_quickbooks(env, "Acme").summary.status == "completed"
    gate = [thread for query, thread in coql.sent if query.endswith("limit 1")]
    index = [thread for query, thread in coql.sent
             if f"{QBD_KEY} is null" in query and "limit 1" not in query]
    assert gate == ["alongside"] and index == ["alongside"], coql.sent
    assert world.records("Accounts")


def test_the_setting_waives_the_gate(world: World) -> None:
    populate(world)
    world.session("Acme")
    world.settings = world.settings.model_copy(update={"first_load_needs_plan": False})
    assert world.run("Acme").error is None


def test_a_confirmed_plan_is_written_even_where_the_org_changed_since(world: World) -> None:
    people = populate(world)
    world.session("Acme")
    made = _plan(world)
    planned = {r.qb_id: r for r in made.rows if r.qb_type == "Customer"}
    newcomer = next(r for r in made.rows if r.action == "create" and r.qb_type == "Customer"
                    and r.zoho_module == "Accounts")
    # After the plan, someone adds an Account a fresh match would adopt for a planned create.
    books = world.books["Acme"].qb.company
    email = books.customer(newcomer.qb_id).fields.get("Email")
    late = world.sim.create_record("Accounts", Account_Name="Added after the plan")
    world.sim.create_record("Contacts", Last_Name="Late", Email=email,
                            Account_Name={"id": late["id"]})
    _confirm(world, made)
    world.sync("Acme")
    assert _owner(world, late["id"]) is None  # the plan said create, so it was created
    linked = planned[people["email"].list_id].zoho_id
    assert linked and _owner(world, linked) == people["email"].list_id
    with world.db.session() as s:
        plan = s.get(SyncPlan, made.plan.id if made.plan else 0)
    assert plan is not None and plan.status == PlanStatus.APPLIED and plan.applied_run_id


def test_a_customer_changed_since_the_plan_is_matched_again(world: World) -> None:
    populate(world)
    world.session("Acme")
    made = _plan(world)
    row = next(r for r in made.rows if r.action == "create" and r.qb_type == "Customer"
               and r.zoho_module == "Accounts")
    target = world.sim.create_record("Accounts", Account_Name="Matches the new e-mail")
    world.sim.create_record("Contacts", Last_Name="New", Email="moved@example.org",
                            Account_Name={"id": target["id"]})
    world.books["Acme"].qb.company.modify_customer(row.qb_id, Email="moved@example.org")
    world.session("Acme")
    _confirm(world, made)
    world.sync("Acme")
    assert _owner(world, target["id"]) == row.qb_id


def test_a_company_synced_before_is_not_gated(world: World) -> None:
    populate(world)
    world.session("Acme")
    made = _plan(world)
    _confirm(world, made)
    world.sync("Acme")
    world.sim.create_record("Accounts", Account_Name="A new prospect", Phone="+44 20 7946 0999")
    customer = next(c for c in world.books["Acme"].qb.company.listed("Customer")
                    if c.parent_id is None)
    world.books["Acme"].qb.company.modify_customer(customer.list_id, Fax="+1 555 0100")
    world.session("Acme")
    assert world.run("Acme").error is None


def test_sync_confirm_runs_the_plan_from_the_command_line(served_world: World,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    populate(served_world)
    served_world.session("Acme")
    refused = _cli("sync", "--company", "Acme")
    assert refused.exit_code == 1 and "--plan" in refused.output
    assert "qb_to_zoho · Acme · waiting" in refused.output
    assert "nothing was written for Acme: each waits for a person" in refused.output
    pinged = _cli("ping")
    assert "WARN  QuickBooks 'Acme' sync" in pinged.output
    assert "waits for a person: company 'Acme' was never synced" in pinged.output
    assert "See what the first sync would do with `ml-connector sync --company Acme --plan`" \
        in pinged.output
    filled = _cli("backfill", "--company", "Acme", "--no-quickbooks")
    assert filled.exit_code == 1 and "the backfill waits for a person" in filled.output
    planned = _cli("sync", "--company", "Acme", "--plan")
    assert planned.exit_code == 0 and "sync --confirm" in planned.output
    with served_world.db.session() as s:
        (plan,) = s.exec(select(SyncPlan)).all()
    done = _cli("sync", "--confirm", str(plan.id))
    assert done.exit_code == 0, done.output
    assert f"plan #{plan.id} confirmed" in done.output
    again = _cli("sync", "--confirm", str(plan.id))
    assert again.exit_code == 1 and "already applied" in again.output


def _cli(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_review_decisions_imported_from_the_plan_csv_are_written_by_the_load(
        world: World, tmp_path: Any) -> None:
    import csv

    from connector.plans import write_csv

    people = populate(world)
    world.session("Acme")
    made = _plan(world)
    path = write_csv(tmp_path / "decisions.csv", made.rows)
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    (held,) = [r for r in rows if r["action"] == "review"]
    assert held["qb_id"] == people["shared"].list_id
    chosen = held["candidates"].split()[1]
    held["decision"] = chosen
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = CliRunner().invoke(cli, ["review", "import", str(path), "--company", "Acme"], env={
        "MLC_DATABASE_URL": world.settings.resolved_database_url,
        "MLC_DATA_DIR": str(world.settings.data_dir)})
    assert result.exit_code == 0, result.output
    assert "1 decision(s) recorded" in result.output
    _confirm(world, made)
    world.sync("Acme")
    assert _owner(world, chosen) == people["shared"].list_id


def test_a_decision_naming_no_candidate_is_refused(world: World, tmp_path: Any) -> None:
    people = populate(world)
    world.session("Acme")
    path = tmp_path / "decisions.csv"
    path.write_text("qb_type,qb_id,name,zoho_module,candidates,decision\n"
                    f"Customer,{people['shared'].list_id},x,Accounts,111 222,999\n",
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["review", "import", str(path), "--company", "Acme"], env={
        "MLC_DATABASE_URL": world.settings.resolved_database_url,
        "MLC_DATA_DIR": str(world.settings.data_dir)})
    assert result.exit_code == 1 and "not a candidate" in result.output


@pytest.mark.parametrize(("text", "said"), [
    ("qb_type,qb_id,name,zoho_module,candidates,decision\nCustomer,1-1,Müller,Accounts,,create\n"
     .encode("cp1252"), 'save it as "CSV UTF-8"'),
    (b"qb_type,qb_id,name,zoho_module,candidates,decision\nCustomer,,x,Accounts,,create\n",
     "line 2"),
], ids=["excel-cp1252", "no-qb-id"])
def test_a_decisions_file_excel_mangled_is_refused_in_one_line(
        world: World, tmp_path: Any, text: bytes, said: str) -> None:
    world.add_books("Acme")
    path = tmp_path / "decisions.csv"
    path.write_bytes(text)
    result = CliRunner().invoke(cli, ["review", "import", str(path), "--company", "Acme"], env={
        "MLC_DATABASE_URL": world.settings.resolved_database_url,
        "MLC_DATA_DIR": str(world.settings.data_dir)})
    assert result.exit_code == 1 and said in result.output, result.output
    assert "Traceback" not in result.output


def test_a_plan_confirmed_after_another_company_claimed_its_account_does_not_take_it(
        world: World) -> None:
    populate(world)
    world.add_books("Globex")  # seeded alike: its customers match the same Accounts
    world.session("Acme")
    world.session("Globex")
    acme, globex = _plan(world, "Acme"), _plan(world, "Globex")
    taken = {r.qb_id: r.zoho_id for r in globex.rows if r.action == "link"
             and r.qb_type == "Customer"}
    assert taken and set(taken.values()) <= {r.zoho_id for r in acme.rows if r.action == "link"}
    _confirm(world, acme)
    world.sync("Acme")
    keys = {zoho_id: world.sim.record("Accounts", zoho_id)[QBD_KEY]
            for zoho_id in taken.values() if zoho_id}
    _confirm(world, globex)
    first = world.run("Globex")
    assert {world.sim.record("Accounts", z)[QBD_KEY] for z in keys} == set(keys.values())
    refused = [e for e in run_events(world.db, first.summary.run_id, limit=10_000)
               if e.error_code == "ALREADY_CLAIMED"]
    assert {e.qb_id for e in refused} == set(taken)
    world.sync("Globex")  # matched again against the org as it is now
    assert {world.sim.record("Accounts", z)[QBD_KEY] for z in keys} == set(keys.values())
    with world.db.session() as s:
        globex_id = world.books["Globex"].company.id
        linked = {link.qb_id for link in s.exec(select(RecordLink).where(
            RecordLink.company_id == globex_id, RecordLink.qb_type == "Customer")).all()
            if link.zoho_id and link.zoho_id not in keys}
    assert set(taken) <= linked

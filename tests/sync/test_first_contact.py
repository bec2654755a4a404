"""First contact with a populated Zoho org, over real HTTP: an org of 500 Accounts overlapping
the QuickBooks company every way there is. The plan predicts the load record by record, the
load duplicates no Account matched by strong evidence, and the undo gives the org back as it
was, field by field."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlmodel import select

from connector import runs
from connector.audit import run_events
from connector.mapping.keys import ACCOUNT, parse_key
from connector.phones import e164
from connector.plans import confirm_plan
from connector.plans.compute import NEW_RECORD
from connector.qbxml import Customer
from connector.runs.undo import undo_run
from connector.store import RecordLink
from connector.zoho.fields import QBD_KEY
from tests.mapping.conftest import read_books

from .conftest import World
from .test_plan import EXPECTED, PLANNED_MODULES
from .test_undo import snapshot

ACCOUNTS = 500
# How many customers the org already knows, by the evidence it holds of them.
BY_EMAIL, BY_PHONE, BY_FOREIGN_PHONE, BY_NAME, AMBIGUOUS = 30, 30, 10, 15, 10
# The ways people type one US number, and a German one dialled from the US.
US_FORMS = ("+1 ({a}) {b}-{c}", "1.{a}.{b}.{c}", "1-{a}-{b}-{c}", "({a}) {b} {c}")
FOREIGN_FORMS = ("0049 30 {n}", "011 49 30 {n}", "+49 (30) {n}")


@dataclass
class Org:
    """Which Account the org holds for which customer, by the evidence."""

    strong: dict[str, str] = field(default_factory=dict)  # ListID -> Account id
    emails: list[str | None] = field(default_factory=list)  # of the customers matched so
    suggested: set[str] = field(default_factory=set)
    ambiguous: set[str] = field(default_factory=set)


def _populate(world: World) -> Org:
    books = world.add_books("Acme", customers=150, invoices=30, lines=2)
    people = [c for c in read_books(books.qb).customers
              if not c.is_job and c.email and c.phone and c.is_active]
    wanted = BY_EMAIL + BY_PHONE + BY_FOREIGN_PHONE + BY_NAME + AMBIGUOUS
    assert len(people) >= wanted
    org, sim, made = Org(), world.sim, 0
    groups = iter(people)

    def take(n: int) -> list[Customer]:
        return [next(groups) for _ in range(n)]

    for c in take(BY_EMAIL):
        account = sim.create_record("Accounts", Account_Name=f"Old CRM {made}")
        sim.create_record("Contacts", Last_Name="Old", Email=(c.email or "").upper(),
                          Account_Name={"id": account["id"]})
        org.strong[c.list_id], made = account["id"], made + 1
        org.emails.append(c.email)
    for n, c in enumerate(take(BY_PHONE)):
        digits = (e164(c.phone) or "")[2:]
        phone = US_FORMS[n % len(US_FORMS)].format(a=digits[:3], b=digits[3:6], c=digits[6:])
        org.strong[c.list_id] = sim.create_record("Accounts", Account_Name=f"Old CRM {made}",
                                                  Phone=phone)["id"]
        made += 1
    for n, c in enumerate(take(BY_FOREIGN_PHONE)):
        number = f"12345{n:02d}"
        books.qb.company.modify_customer(c.list_id, Phone=f"+49 30 {number}")
        org.strong[c.list_id] = sim.create_record(
            "Accounts", Account_Name=f"Old CRM {made}",
            Phone=FOREIGN_FORMS[n % len(FOREIGN_FORMS)].format(n=number))["id"]
        made += 1
    for c in take(BY_NAME):
        sim.create_record("Accounts", Account_Name=c.full_name.upper())
        org.suggested.add(c.list_id)
        made += 1
    for c in take(AMBIGUOUS):
        for twin in (1, 2):
            account = sim.create_record("Accounts", Account_Name=f"Twin {twin} of {made}")
            sim.create_record("Contacts", Last_Name="Twin", Email=c.email,
                              Account_Name={"id": account["id"]})
            made += 1
        org.ambiguous.add(c.list_id)
    for n in range(ACCOUNTS - made):
        sim.create_record("Accounts", Account_Name=f"Prospect {n} Ltd",
                          Phone=f"+44 20 7946 {n:04d}", Website=f"prospect{n}.example.org")
    assert len(sim.records("Accounts")) == ACCOUNTS
    return org


def _owners(world: World) -> Counter[str]:
    """How many Accounts carry each customer's key."""
    return Counter(parse_key(str(r[QBD_KEY])).qb_id for r in world.records("Accounts")
                   if r.get(QBD_KEY))


@pytest.mark.slow
def test_a_populated_org_is_planned_loaded_and_undone_exactly(served_world: World) -> None:
    world = served_world
    org = _populate(world)
    world.session("Acme")
    made = runs.plan_sync(world.run_env(), "Acme")
    assert made.plan is not None and made.plan.id is not None
    accounts = {r.qb_id: r for r in made.rows if r.qb_type == ACCOUNT.qb_type}
    for qb_id, zoho_id in org.strong.items():
        assert (accounts[qb_id].action, accounts[qb_id].zoho_id) == ("link", zoho_id), qb_id
    assert {accounts[q].action for q in org.suggested | org.ambiguous} == {"review"}
    assert all(len(accounts[q].candidates) == 2 for q in org.ambiguous)
    before = snapshot(world)

    confirm_plan(world.db, made.plan.id, made.plan.company_id, now=world.clock())
    load = world.sync("Acme").run_id
    done: dict[tuple[str | None, str | None, str | None], list[tuple[str, str | None]]] = {}
    for event in run_events(world.db, load, limit=100_000):
        if event.zoho_module in PLANNED_MODULES:
            done.setdefault((event.qb_type, event.qb_id, event.zoho_module), []).append(
                (event.action, event.zoho_id))
    for row in made.rows:
        happened = done.pop((row.qb_type, row.qb_id, row.zoho_module), [])
        actions = {action for action, _ in happened}
        if row.action == "skip":
            assert not happened, (row.name, row.reason, happened)
            continue
        assert actions & EXPECTED[row.action], (row.name, row.action, happened)
        if row.action == "link" and row.zoho_id != NEW_RECORD:  # not a job of a new customer
            assert {zoho_id for _, zoho_id in happened} == {row.zoho_id}, row.name
    assert not done  # nothing happened that the plan did not say
    # What a held customer's audit says is what the plan said of it, not another reason.
    held = {e.qb_id: e.error_message or "" for e in run_events(world.db, load, limit=100_000)
            if e.action == "review"}
    assert all("no e-mail or phone match, but possibly" in held[q] for q in org.suggested)
    assert all("ambiguous between" in held[q] for q in org.ambiguous)

    owners = _owners(world)
    for qb_id, zoho_id in org.strong.items():
        assert owners[qb_id] == 1, qb_id  # no duplicate of a strongly matched Account
        assert parse_key(str(world.sim.record("Accounts", zoho_id)[QBD_KEY])).qb_id == qb_id
    assert not set(owners) & (org.suggested | org.ambiguous)  # held for review, not created
    emails = Counter(str(r.get("Email") or "").lower() for r in world.records("Contacts"))
    assert all(emails[(c or "").lower()] == 1 for c in org.emails)  # its Contact adopted

    undone = undo_run(world.run_env(), load)
    assert undone.run.error is None and undone.run.summary.counts["failed"] == 0
    assert snapshot(world) == before
    with world.db.session() as s:
        assert s.exec(select(RecordLink).where(RecordLink.zoho_id.is_not(None))  # type: ignore[union-attr]
                      ).all() == []

"""New customers meet the Accounts a salesperson already made in Zoho."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from connector.audit import run_events
from connector.cli import cli
from connector.mapping.keys import parse_key
from connector.matching import normalise_email
from connector.phones import e164, region_of
from connector.qbxml import Customer
from connector.reviews import list_reviews
from connector.store import ReviewStatus
from connector.zoho.fields import QBD_KEY
from tests.mapping.conftest import read_books

from .conftest import Books, World, zoho_writes


@pytest.fixture(autouse=True)
def _no_first_load_gate(world: World) -> None:
    """These tests are about matching itself; the first-load gate has tests of its own."""
    world.settings = world.settings.model_copy(update={"first_load_needs_plan": False})


def _customer(world: World, name: str = "Acme") -> Customer:
    books = world.add_books(name)
    return next(c for c in read_books(books.qb).customers
                if not c.is_job and c.email and c.phone and c.is_active)


def test_email_and_phone_are_normalised() -> None:
    assert normalise_email("  Ana.Baker@Example.COM ") == "ana.baker@example.com"
    assert normalise_email("no address") is None
    assert e164("+1 (415) 555-1003") == e164("415.555.1003") == "+14155551003"
    assert e164("0041 44 123 45 67") == e164("+41 44 123 45 67", "DE") == "+41441234567"
    assert e164("12") is None and e164("call me") is None


def test_phones_typed_in_any_national_form_are_one_number() -> None:
    forms = ["0049 30 1234567", "+49 (30) 1234567", "030 1234567", "030/123 45 67",
             "+49 30 123 45 67"]
    assert {e164(f, "DE") for f in forms} == {"+49301234567"}
    # A German national form is no German number for a US company.
    assert e164("030 1234567", "US") != "+49301234567"
    assert [region_of(c) for c in ("Germany", "Deutschland", "DE", "de", "USA",
                                   "United States", "Nowhere", None)] == [
        "DE", "DE", "DE", "DE", "US", "US", None, None]


def test_country_names_load_without_every_prefix_geocoding_table() -> None:
    # A process of its own: nothing else there has imported phonenumbers' geodata.
    probe = ("import sys; from connector.phones import region_of; "
             "print(region_of('Deutschland'), region_of('Royaume-Uni'), "
             "'phonenumbers.geodata' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["DE", "GB", "False"]


def test_an_account_found_by_contact_email_is_adopted_not_duplicated(world: World) -> None:
    c = _customer(world)
    account = world.sim.create_record("Accounts", Account_Name="Baker & Sons (old CRM)")
    contact = world.sim.create_record("Contacts", Last_Name="Baker",
                                      Email=(c.email or "").upper(),
                                      Account_Name={"id": account["id"]})
    world.session("Acme")
    summary = world.sync("Acme")
    adopted = world.sim.record("Accounts", account["id"])
    assert parse_key(adopted[QBD_KEY]).qb_id == c.list_id
    assert adopted["Account_Name"] == c.name
    assert parse_key(world.sim.record("Contacts", contact["id"])[QBD_KEY]).role == "contact"
    keys = [a[QBD_KEY] for a in world.records("Accounts")]
    assert keys.count(adopted[QBD_KEY]) == 1
    assert any(e.action == "adopted" and e.zoho_id == account["id"]
               for e in run_events(world.db, summary.run_id))


def test_an_account_found_by_phone_in_another_format_is_adopted(world: World) -> None:
    c = _customer(world)
    digits = (e164(c.phone) or "")[2:]
    account = world.sim.create_record(
        "Accounts", Account_Name="Phone match", Phone=f"({digits[:3]}) {digits[3:6]}-{digits[6:]}")
    world.session("Acme")
    world.sync("Acme")
    assert parse_key(world.sim.record("Accounts", account["id"])[QBD_KEY]).qb_id == c.list_id


def test_several_candidates_create_nothing_and_go_to_review(world: World) -> None:
    c = _customer(world)
    for n in (1, 2):
        account = world.sim.create_record("Accounts", Account_Name=f"Duplicate {n}")
        world.sim.create_record("Contacts", Last_Name="Dup", Email=c.email,
                                Account_Name={"id": account["id"]})
    world.session("Acme")
    summary = world.sync("Acme")
    assert all(not a.get(QBD_KEY) or parse_key(a[QBD_KEY]).qb_id != c.list_id
               for a in world.records("Accounts"))
    (item,) = list_reviews(world.db)
    assert (item.qb_id, item.qb_name, len(item.candidates)) == (c.list_id, c.full_name, 2)
    assert any(e.action == "review" and e.qb_id == c.list_id
               for e in run_events(world.db, summary.run_id))
    result = CliRunner().invoke(cli, ["review", "list"], env={
        "MLC_DATABASE_URL": world.settings.resolved_database_url,
        "MLC_DATA_DIR": str(world.settings.data_dir)})
    assert result.exit_code == 0, result.output
    assert c.full_name in result.output and "2 candidates" in result.output


def test_an_account_another_customer_owns_is_never_adopted(world: World) -> None:
    c = _customer(world)
    owned = world.sim.create_record("Accounts", Account_Name="Owned",
                                    **{QBD_KEY: "11111111-2222-3333-4444-555555555555:8-1"})
    world.sim.create_record("Contacts", Last_Name="Owned", Email=c.email,
                            Account_Name={"id": owned["id"]})
    world.session("Acme")
    world.sync("Acme")
    assert world.sim.record("Accounts", owned["id"])[QBD_KEY].endswith(":8-1")
    mine = [a for a in world.records("Accounts") if a.get(QBD_KEY, "").endswith(c.list_id)]
    assert len(mine) == 1 and mine[0]["id"] != owned["id"]


def test_a_link_already_recorded_needs_no_lookup(world: World, acme: Books) -> None:
    world.sync("Acme")
    coql = world.sim.call_count("POST", "/coql")
    customer = next(c for c in acme.qb.company.listed("Customer") if c.parent_id is None)
    acme.qb.company.modify_customer(customer.list_id, Fax="+1 555 0100")
    world.session("Acme")
    world.sync("Acme")
    assert world.sim.call_count("POST", "/coql") == coql


def _held(world: World) -> tuple[Customer, list[str]]:
    """A customer whose e-mail two unkeyed Zoho Accounts share: held for review."""
    c = _customer(world)
    accounts = []
    for n in (1, 2):
        account = world.sim.create_record("Accounts", Account_Name=f"Duplicate {n}")
        world.sim.create_record("Contacts", Last_Name="Dup", Email=c.email,
                                Account_Name={"id": account["id"]})
        accounts.append(str(account["id"]))
    world.session("Acme")
    world.sync("Acme")
    return c, accounts


def _cli(world: World, *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={
        "MLC_DATABASE_URL": world.settings.resolved_database_url,
        "MLC_DATA_DIR": str(world.settings.data_dir)})


def test_a_person_resolves_a_review_by_linking_one_candidate(world: World) -> None:
    c, (first, second) = _held(world)
    (item,) = list_reviews(world.db)
    result = _cli(world, "review", "resolve", str(item.id), "--link", second)
    assert result.exit_code == 0, result.output
    assert f"adopts Accounts {second}" in result.output and "next sync" in result.output
    summary = world.sync("Acme")
    assert parse_key(world.sim.record("Accounts", second)[QBD_KEY]).qb_id == c.list_id
    assert not world.sim.record("Accounts", first).get(QBD_KEY)
    assert [a for a in world.records("Accounts")
            if a.get(QBD_KEY) and parse_key(a[QBD_KEY]).qb_id == c.list_id] != []
    assert list_reviews(world.db) == []
    (settled,) = list_reviews(world.db, status=ReviewStatus.RESOLVED)
    assert settled.decision == "link" and settled.decision_zoho_id == second
    assert any(e.action == "adopted" and e.zoho_id == second
               for e in run_events(world.db, summary.run_id))


def test_a_person_resolves_a_review_by_creating_a_new_account(world: World) -> None:
    c, candidates = _held(world)
    (item,) = list_reviews(world.db)
    assert _cli(world, "review", "resolve", str(item.id), "--create").exit_code == 0
    world.sync("Acme")
    mine = [a for a in world.records("Accounts")
            if a.get(QBD_KEY) and parse_key(a[QBD_KEY]).qb_id == c.list_id]
    assert len(mine) == 1 and str(mine[0]["id"]) not in candidates
    assert list_reviews(world.db) == []


def test_a_review_decision_must_name_a_candidate(world: World) -> None:
    _held(world)
    (item,) = list_reviews(world.db)
    refused = _cli(world, "review", "resolve", str(item.id), "--link", "999")
    assert refused.exit_code == 1 and "not a candidate" in refused.output
    both = _cli(world, "review", "resolve", str(item.id), "--link", "1", "--create")
    assert both.exit_code == 2 and "exactly one" in both.output
    unknown = _cli(world, "review", "resolve", "4242", "--create")
    assert unknown.exit_code == 1 and "no review item #4242" in unknown.output
    assert [i.status for i in list_reviews(world.db)] == ["open"]


BERLIN = {"Addr1": "Unter den Linden 1", "City": "Berlin", "PostalCode": "10117",
          "Country": "Germany"}
# The customer's phone in QuickBooks, and the same number as it was typed in the old CRM.
GERMAN_PHONES = (("+49 30 1234567", "0049 30 1234567"),
                 ("+49 89 7654321", "+49 (89) 765 43 21"),
                 ("+49 40 5550100", "040 5550100"))


def _german(world: World, name: str = "Hansa", **books: Any) -> list[tuple[str, str]]:
    """A German company whose customers' Accounts exist in Zoho with the phone typed
    another way each; (ListID, Account id) pairs."""
    qb = world.add_books(name, address=BERLIN, **books).qb
    customers = [c for c in qb.company.listed("Customer") if c.parent_id is None][:3]
    pairs = []
    for customer, (theirs, typed) in zip(customers, GERMAN_PHONES, strict=True):
        qb.company.modify_customer(customer.list_id, Phone=theirs)
        account = world.sim.create_record("Accounts", Account_Name=f"Old {typed}", Phone=typed)
        pairs.append((customer.list_id, str(account["id"])))
    return pairs


def test_accounts_with_phones_typed_in_german_forms_are_adopted(world: World) -> None:
    pairs = _german(world)
    world.session("Hansa")
    world.sync("Hansa")
    for list_id, account_id in pairs:
        assert parse_key(world.sim.record("Accounts", account_id)[QBD_KEY]).qb_id == list_id
    mine = {parse_key(a[QBD_KEY]).qb_id for a in world.records("Accounts") if a.get(QBD_KEY)}
    assert len(mine) == len(world.records("Accounts"))  # nothing duplicated, nothing left


def test_the_phone_region_setting_reads_national_forms(world: World) -> None:
    c = _customer(world)
    world.books["Acme"].qb.company.modify_customer(c.list_id, Phone="+49 30 9876543")
    account = world.sim.create_record("Accounts", Account_Name="Typed at home",
                                      Phone="030 9876543")
    world.settings = world.settings.model_copy(update={"phone_region": "DE"})
    world.session("Acme")
    world.sync("Acme")
    assert parse_key(world.sim.record("Accounts", account["id"])[QBD_KEY]).qb_id == c.list_id


def test_the_org_is_indexed_once_per_run_not_once_per_chunk(world: World) -> None:
    _german(world, customers=30)
    for n in range(5):
        world.sim.create_record("Accounts", Account_Name=f"Unrelated {n}",
                                Phone=f"+44 20 7946 01{n:02d}")
    world.session("Hansa")
    before = len(world.sim.coql_queries())
    world.sync("Hansa")
    asked = world.sim.coql_queries()[before:]
    scans = [q for q in asked if f"{QBD_KEY} is null" in q]
    keys = [q for q in asked if f"{QBD_KEY} in (" in q]
    # Accounts once and their Contacts once, though the run took several chunks.
    assert len(scans) == 2 and len(keys) > 1
    assert not any("Phone" in q.split(" where ")[1] for q in asked)


def test_a_first_load_whose_early_index_read_fails_stops_before_writing(world: World) -> None:
    # The index is read while the first chunk is parsed; every try of it fails (FAST makes
    # 4): the run stops there, as the matching's own read would have, and writes nothing.
    _german(world)
    world.session("Hansa")
    world.sim.faults.fail_next(4, 500, path_contains="/coql")
    writes = zoho_writes(world.sim)
    result = world.run("Hansa")
    assert result.failed and "HTTP 500" in str(result.error)
    assert zoho_writes(world.sim) == writes and world.unprocessed()


def test_a_sync_reads_no_index_unless_customers_wait_for_their_first_load(
        world: World) -> None:
    books = world.add_books("Acme")
    world.session("Acme")
    world.sync("Acme")
    txn_id = next(iter(books.qb.company.invoices))
    books.qb.company.modify_invoice(txn_id, Memo="second thoughts")
    world.session("Acme")
    before = len(world.sim.coql_queries())
    assert world.sync("Acme").counts["updated"] >= 1
    # A company QuickBooks holds no customer of: nothing to match, however often it syncs.
    world.add_books("Empty", customers=0, invoices=0)
    for _ in range(2):
        world.session("Empty")
        assert world.sync("Empty").status == "completed"
    assert not [q for q in world.sim.coql_queries()[before:] if f"{QBD_KEY} is null" in q]

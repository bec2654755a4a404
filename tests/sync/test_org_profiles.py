"""Every org is its own: stages and statuses come from its metadata, sales owns the stage
after creation, unfed mandatory fields and vanished values are named by ping, and a record
the org cannot take fails on its own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.audit import run_events
from connector.mapping.keys import parse_key
from connector.sandbox.qbd.records import Invoice as QbInvoice
from connector.zoho.checks import FAIL, PASS, Check
from connector.zoho.connection import load_connection
from connector.zoho.fields import QBD_KEY
from connector.zoho.org_state import save_overrides
from connector.zoho.ping import zoho_checks

from .conftest import Books, World, make_world, zoho_writes


def _record(world: World, module: str, qb_id: str) -> dict[str, Any]:
    return next(r for r in world.records(module) if parse_key(r[QBD_KEY]).qb_id == qb_id)


def _open_invoice(acme: Books) -> QbInvoice:
    company = acme.qb.company
    return next(i for i in company.invoices.values() if company.totals(i).balance > 0)


def _ping(world: World) -> dict[str, Check]:
    options = world.client_options()
    checks = zoho_checks(world.settings, world.db, world.secrets,
                         transport=options["transport"],
                         accounts_transport=options["accounts_transport"], clock=world.clock)
    return {c.name: c for c in checks}


def _more_of_the_first_line(acme: Books, invoice: QbInvoice) -> None:
    """A QuickBooks user sells one more of the invoice's first line."""
    first = invoice.lines[0]
    lines = [{"TxnLineID": line.txn_line_id} for line in invoice.lines]
    lines[0]["Quantity"] = first.fields.get("Quantity", Decimal(1)) + 1
    acme.qb.company.modify_invoice(invoice.txn_id, lines=lines)


@pytest.mark.all_profiles
def test_a_salespersons_stage_survives_quickbooks_edits_until_the_invoice_is_paid(
        world: World, acme: Books) -> None:
    world.sync("Acme")
    invoice = _open_invoice(acme)
    deal = _record(world, "Deals", invoice.txn_id)
    moved = world.stage_meaning("Open", 1)  # the salesperson moves the deal on
    world.sim.edit_record("Deals", deal["id"], Stage=moved)
    if world.has_invoices:
        status = _record(world, "Invoices", invoice.txn_id)
        options = world.sim.field_meta("Invoices", "Status")["pick_list_values"]
        chosen = next(o["display_value"] for o in options
                      if o["display_value"] != status.get("Status"))
        world.sim.edit_record("Invoices", status["id"], Status=chosen)
    _more_of_the_first_line(acme, invoice)
    world.session("Acme")
    summary = world.sync("Acme")
    assert summary.counts["failed"] == 0 and summary.counts["updated"] >= 1
    after = _record(world, "Deals", invoice.txn_id)
    assert after["Stage"] == moved
    assert Decimal(str(after["Amount"])) == acme.qb.company.totals(invoice).subtotal + \
        acme.qb.company.totals(invoice).tax_total
    if world.has_invoices:
        assert _record(world, "Invoices", invoice.txn_id)["Status"] == chosen
    acme.qb.company.record_payment(invoice.txn_id, acme.qb.company.totals(invoice).balance)
    world.session("Acme")
    world.sync("Acme")
    assert world.forecast_type(_record(world, "Deals", invoice.txn_id)["Stage"]) == "Closed Won"


def test_a_mandatory_field_nothing_feeds_is_named_by_ping_and_fails_only_new_deals(
        db: Any, settings: Any) -> None:
    world = make_world(db, settings, profile="mandatory_field", configure=False)
    try:
        acme = world.add_books("Acme")
        checks = _ping(world)
        mandatory = checks["mandatory fields"]
        assert mandatory.status == FAIL
        assert "Deals.Region is mandatory in Zoho" in mandatory.detail
        assert mandatory.hint is not None
        assert "ml-connector zoho mapping --set Deals.Region=<value>" in mandatory.hint
        assert "North, South, West" in mandatory.hint
        world.session("Acme")
        summary = world.sync("Acme")
        assert summary.status == "completed_with_errors"
        failed = [e for e in run_events(world.db, summary.run_id) if e.action == "failed"]
        assert {e.qb_type for e in failed} == {"Invoice"}
        assert len(failed) == len(acme.qb.company.invoices)
        assert {e.error_code for e in failed} == {"MANDATORY_NOT_MAPPED"}
        assert world.records("Deals") == [] and world.records("Accounts")
        assert world.sim.call_count("POST", "/Deals/upsert") == 0  # no write spent on them
        connection_id = load_connection(world.db).id
        assert connection_id is not None
        save_overrides(world.db, connection_id, {"Deals.Region": "north"}, now=world.clock())
        assert _ping(world)["mandatory fields"].status == PASS
        again = world.sync("Acme")  # the failed responses are retried
        assert again.counts["failed"] == 0
        assert {d["Region"] for d in world.records("Deals")} == {"North"}
    finally:
        world.sim.close()


@pytest.mark.only_profiles("default")
def test_ping_names_a_chosen_value_the_org_no_longer_has(world: World, acme: Books) -> None:
    connection_id = load_connection(world.db).id
    assert connection_id is not None
    save_overrides(world.db, connection_id, {"open-stage": "Negotiation/Review"},
                   now=world.clock())
    assert _ping(world)["value mapping"].status != FAIL
    world.sim.alter_field("Deals", "Stage", pick_list=[
        o for o in world.sim.profile.options("Deals", "Stage") or ()
        if o.display != "Negotiation/Review"])
    mapping = _ping(world)["value mapping"]
    assert mapping.status == FAIL
    assert "open-stage: 'Negotiation/Review' is no longer a Deals Stage value" in mapping.detail
    assert mapping.hint is not None and "--set open-stage=<value>" in mapping.hint
    summary = world.sync("Acme")
    failed = [e for e in run_events(world.db, summary.run_id) if e.action == "failed"]
    assert failed and {e.error_code for e in failed} == {"MANDATORY_NOT_MAPPED"}
    assert all("--set open-stage=" in (e.error_message or "") for e in failed)


def test_a_stage_removed_in_zoho_is_noticed_and_the_next_run_follows_the_new_pipeline(
        world: World, acme: Books) -> None:
    world.sync("Acme")  # reads and caches the metadata: new open deals start at Qualification
    first = world.stage_meaning("Open")
    world.sim.alter_field("Deals", "Stage", pick_list=[
        o for o in world.sim.profile.options("Deals", "Stage") or () if o.display != first])
    customer = next(c for c in acme.qb.company.listed("Customer") if c.parent_id is None)
    item = next(i for i in acme.qb.company.listed("Item") if i.kind == "ItemService")
    new = acme.qb.company.add_invoice(customer.list_id, [{"ItemRef": item.list_id,
                                                          "Quantity": Decimal(2)}])
    world.session("Acme")
    fields_read = world.sim.call_count("GET", "/settings/fields")
    refused = world.sync("Acme")
    [failed] = [e for e in run_events(world.db, refused.run_id) if e.action == "failed"]
    assert (failed.qb_id, failed.error_code) == (new.txn_id, "INVALID_DATA")
    # The refusal names a picklist field: the metadata is read again at once, not in a day.
    assert world.sim.call_count("GET", "/settings/fields") > fields_read
    retried = world.sync("Acme")  # the failed record is retried on the next run
    assert retried.counts["failed"] == 0
    assert _record(world, "Deals", new.txn_id)["Stage"] == world.stage_meaning("Open")


def test_the_metadata_is_read_once_a_day_not_every_run(world: World, acme: Books) -> None:
    world.sync("Acme")
    reads = world.sim.call_count("GET", "/settings/fields")
    assert reads > 0
    world.session("Acme")
    world.sync("Acme")
    assert world.sim.call_count("GET", "/settings/fields") == reads
    world.clock.advance(hours=25)
    world.session("Acme")
    world.sync("Acme")
    assert world.sim.call_count("GET", "/settings/fields") > reads


def test_text_longer_than_the_orgs_field_is_cut_and_the_cut_recorded(
        world: World, acme: Books) -> None:
    world.sim.alter_field("Accounts", "Account_Name", length=12)
    summary = world.sync("Acme")
    assert summary.counts["failed"] == 0
    names = [a["Account_Name"] for a in world.records("Accounts")]
    assert all(len(n) <= 12 for n in names) and any(n.endswith("…") for n in names)
    warnings = [e for e in run_events(world.db, summary.run_id) if e.action == "warning"
                and e.error_code == "TRUNCATED"]
    assert warnings and all(e.zoho_module == "Accounts" for e in warnings)
    writes = zoho_writes(world.sim)
    world.reprocess_all()
    world.sync("Acme")
    assert zoho_writes(world.sim) == writes


def test_an_adjustment_beyond_rounding_is_a_warning_in_the_audit(world: World,
                                                                acme: Books) -> None:
    if not world.has_invoices:
        pytest.skip("the org has no Invoices module")
    company = acme.qb.company
    customer = next(c for c in company.listed("Customer") if c.parent_id is None)
    item = next(i for i in company.listed("Item") if i.kind == "ItemService")
    made = company.add_invoice(customer.list_id, [
        {"ItemRef": item.list_id, "Quantity": Decimal(1)},
        {"Desc": "Call-out fee", "Amount": Decimal("45.00")}])
    world.session("Acme")
    summary = world.sync("Acme")
    [warning] = [e for e in run_events(world.db, summary.run_id)
                 if e.action == "warning" and e.qb_id == made.txn_id]
    assert warning.error_code == "ADJUSTMENT" and "45.00" in (warning.error_message or "")
    assert summary.status == "completed" and summary.counts["warnings"] >= 1
    assert summary.warnings and not [f for f in summary.failures if f.action == "warning"]


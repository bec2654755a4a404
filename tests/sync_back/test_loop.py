"""A salesperson's edit in Zoho reaches QuickBooks through a Web Connector session."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector import runs
from connector.store import WriteBackState
from tests.sync.conftest import zoho_writes

from .conftest import Loop


@pytest.mark.all_profiles
def test_the_first_sync_echoes_back_and_costs_nothing(loop: Loop) -> None:
    summary = loop.sync_back()
    assert summary.status == "completed", summary.markdown()
    assert summary.counts["read"] >= 4 and summary.counts["unchanged"] == summary.counts["read"]
    assert loop.write_backs() == [] and loop.writes_queued() == []


@pytest.mark.all_profiles
def test_a_phone_edited_in_zoho_is_written_to_quickbooks(loop: Loop) -> None:
    loop.sync_back()
    acme = loop.customer("Acme Rockets")
    before = acme.edit_sequence
    loop.sim.edit_record("Accounts", loop.zoho_id("Accounts", acme.list_id), Phone="555-0199")
    queued = loop.sync_back()
    [row] = loop.write_backs()
    assert row.state == WriteBackState.QUEUED and row.changes["want"] == {"phone": "555-0199"}
    [event] = loop.events(queued)
    assert event.action == "queued"
    assert (event.old_values or {}).get("Phone") == "555-0100"  # old -> new in the audit
    assert (event.values or {}).get("Phone") == "555-0199"
    run = loop.session()
    assert "CustomerModRq" in run.requests[1]
    assert loop.customer("Acme Rockets").fields["Phone"] == "555-0199"
    after = loop.customer("Acme Rockets").edit_sequence
    assert after > before
    assert loop.link("Customer", acme.list_id).edit_sequence == str(after)
    settled = loop.sync_back()
    assert loop.write_backs()[0].state == WriteBackState.APPLIED
    assert settled.counts["updated"] == 1
    [applied] = [e for e in loop.events(settled) if e.action == "updated"]
    assert (applied.old_values, applied.values) == ({"Phone": "555-0100"}, {"Phone": "555-0199"})


@pytest.mark.all_profiles
def test_quickbooks_reading_back_our_own_write_costs_no_zoho_write(loop: Loop) -> None:
    acme = loop.customer("Acme Rockets")
    loop.sim.edit_record("Accounts", loop.zoho_id("Accounts", acme.list_id), Fax="555-0111")
    loop.sync_back()
    loop.session()
    writes = zoho_writes(loop.sim)
    echo = loop.sync()
    assert zoho_writes(loop.sim) == writes, echo.markdown()
    assert loop.sync_back().counts["updated"] == 1


def test_the_echo_of_a_quickbooks_change_is_not_written_back(loop: Loop) -> None:
    loop.sync_back()
    loop.qb.company.modify_customer("Acme Rockets", Fax="555-0123")
    loop.session()
    loop.sync()  # QuickBooks -> Zoho writes the fax; Zoho calls back about it
    assert loop.sim.deliveries[-1].payload["operation"] == "update"
    summary = loop.sync_back()
    assert summary.counts["unchanged"] >= 1 and summary.counts["conflicts"] == 0
    assert loop.write_backs() == [] and loop.writes_queued() == []


def test_contact_names_and_email_edited_in_zoho_reach_the_customer(loop: Loop) -> None:
    acme = loop.customer("Acme Rockets")
    contact = loop.zoho_id("Contacts", acme.list_id)
    loop.sim.edit_record("Contacts", contact, First_Name="Wile E.", Last_Name="Coyote-Smith",
                         Email="wile@acme.example")
    loop.sync_back()
    loop.session()
    fields = loop.customer("Acme Rockets").fields
    assert (fields["FirstName"], fields["LastName"], fields["Email"]) == (
        "Wile E.", "Coyote-Smith", "wile@acme.example")


def test_an_address_edited_in_zoho_is_split_back_into_lines(loop: Loop) -> None:
    acme = loop.customer("Acme Rockets")
    loop.sim.edit_record("Accounts", loop.zoho_id("Accounts", acme.list_id),
                         Billing_Street="Acme Rockets, 9 Canyon Rd, Unit 4", Billing_City="Tucson")
    loop.sync_back()
    loop.session()
    assert loop.customer("Acme Rockets").fields["BillAddress"] == {
        "Addr1": "Acme Rockets", "Addr2": "9 Canyon Rd", "Addr3": "Unit 4", "City": "Tucson",
        "PostalCode": "12345"}


def test_an_edit_made_while_the_channel_was_down_still_reaches_quickbooks(loop: Loop) -> None:
    loop.sync_back()
    loop.clock.advance(hours=170)  # past the channel's expiry: Zoho stopped calling
    acme = loop.customer("Acme Rockets")
    loop.sim.edit_record("Accounts", loop.zoho_id("Accounts", acme.list_id), Phone="555-0911")
    assert loop.sim.wait_for_notifications() and loop.write_backs() == []
    renewed = runs.renew_channels(loop.world.run_env()).summary
    assert renewed.counts["created"] == 1 and renewed.counts["read"] >= 1
    loop.sync_back()
    loop.session()
    assert loop.customer("Acme Rockets").fields["Phone"] == "555-0911"


def test_a_zoho_edit_of_a_field_quickbooks_owns_goes_back_with_its_next_change(
        loop: Loop) -> None:
    item = next(i for i in loop.qb.company.listed("Item") if i.name == "Consulting")
    product = loop.zoho_id("Products", item.list_id)
    loop.sim.edit_record("Products", product, Description="Whatever sales typed")
    kept = loop.sync_back()
    assert [e.action for e in loop.events(kept)] == ["kept_qbd"]
    # The bookkeeper changes something else on the item: QuickBooks' description goes back too.
    loop.qb.company.modify_item(item.list_id, SalesOrPurchase={
        "Desc": "Consulting", "Price": Decimal("120.00"), "AccountRef": "Services"})
    loop.session()
    loop.sync()
    assert loop.sim.record("Products", product)["Description"] == "Consulting"

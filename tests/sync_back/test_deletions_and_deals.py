"""Accounts closed or deleted in Zoho, Deals closed lost, and whose notifications a run takes."""

from __future__ import annotations

import pytest
from sqlmodel import select

from connector.qbxml.schema import validate
from connector.reviews import list_reviews
from connector.store import (
    ClosedDealPolicy,
    Company,
    Database,
    SyncBackPolicy,
    WriteBackState,
    ZohoNotification,
)
from connector.sync.policy import set_policy
from connector.xmlsafe import parse_xml
from connector.zoho.fields import QBD_ACTIVE

from .conftest import Loop


def test_an_account_deleted_in_zoho_makes_the_customer_inactive(loop: Loop) -> None:
    acme = loop.customer("Acme Rockets")
    loop.sim.delete_record("Accounts", loop.zoho_id("Accounts", acme.list_id))
    summary = loop.sync_back()
    [queued] = [e for e in loop.events(summary) if e.action == "queued"]
    assert queued.changed_fields == [QBD_ACTIVE]
    loop.session()
    assert loop.customer("Acme Rockets").is_active is False
    assert loop.sync_back().counts["deleted"] == 1


def test_an_account_closed_in_zoho_makes_the_customer_inactive(loop: Loop) -> None:
    acme = loop.customer("Acme Rockets")
    loop.sim.edit_record("Accounts", loop.zoho_id("Accounts", acme.list_id), **{QBD_ACTIVE: False})
    loop.sync_back()
    loop.session()
    assert loop.customer("Acme Rockets").is_active is False


def test_an_account_renamed_in_zoho_renames_the_customer(loop: Loop) -> None:
    acme = loop.customer("Acme Rockets")
    loop.sim.edit_record("Accounts", loop.zoho_id("Accounts", acme.list_id),
                         Account_Name="Acme Rockets & Anvils")
    summary = loop.sync_back()
    assert [(e.action, e.changed_fields) for e in loop.events(summary)] == [
        ("queued", ["Account_Name"])]
    loop.session()
    assert loop.customer(acme.list_id).name == "Acme Rockets & Anvils"


def _deal(loop: Loop) -> str:
    [invoice] = loop.qb.company.invoices.values()
    return loop.zoho_id("Deals", invoice.txn_id)


@pytest.mark.all_profiles
def test_a_deal_closed_lost_leaves_the_invoice_untouched_and_is_audited(loop: Loop) -> None:
    [invoice] = loop.qb.company.invoices.values()
    sequence = invoice.edit_sequence
    loop.sim.edit_record("Deals", _deal(loop), Stage=loop.world.stage_meaning("Closed Lost"),
                         Amount=1.0)
    summary = loop.sync_back()
    actions = {e.action: e.changed_fields for e in loop.events(summary)}
    assert actions == {"invoice_kept": ["Stage"], "conflict_qbd_won": ["Amount"]}
    assert loop.write_backs() == [] and loop.writes_queued() == []
    loop.session()
    assert loop.qb.company.invoices[invoice.txn_id].edit_sequence == sequence


@pytest.mark.all_profiles
def test_a_company_that_opted_in_voids_the_invoice_of_a_lost_deal(loop: Loop) -> None:
    set_policy(loop.db, "Acme", closed_deals=ClosedDealPolicy.VOID)
    # The org's second lost stage (Zoho's "Closed-Lost to Competition"): any stage that means
    # lost is a lost deal.
    loop.sim.edit_record("Deals", _deal(loop), Stage=loop.world.stage_meaning("Closed Lost", 1))
    summary = loop.sync_back()
    assert [e.action for e in loop.events(summary)] == ["void_queued"]
    [write] = loop.writes_queued()
    validate(parse_xml(write.qbxml))
    assert "<TxnVoidRq" in write.qbxml and "<TxnVoidType>Invoice</TxnVoidType>" in write.qbxml
    [row] = loop.write_backs()
    assert row.action == "TxnVoid" and row.state == WriteBackState.QUEUED
    loop.sim.edit_record("Deals", _deal(loop), Description="still lost")
    loop.sync_back()
    assert len(loop.writes_queued()) == 1  # voided once, not once per edit


@pytest.mark.all_profiles
def test_a_stage_moved_by_sales_is_theirs_and_goes_nowhere(loop: Loop) -> None:
    loop.sim.edit_record("Deals", _deal(loop), Stage=loop.world.stage_meaning("Open", 1))
    summary = loop.sync_back()
    assert loop.events(summary) == [] and loop.writes_queued() == []
    assert summary.counts["unchanged"] >= 1 and summary.counts["failed"] == 0


def test_the_lost_deal_choice_is_stored_per_company(db: Database, loop: Loop) -> None:
    set_policy(db, "Acme", closed_deals=ClosedDealPolicy.VOID)
    set_policy(db, "Acme", closed_deals=ClosedDealPolicy.IGNORE)
    with db.session() as s:
        company = s.exec(select(Company).where(Company.name == "Acme")).one()
        policy = s.get(SyncBackPolicy, company.id)
    assert policy is not None
    assert (policy.closed_deals, policy.zoho_born) == ("ignore", "review")


def test_a_company_that_ignores_lost_deals_only_audits_them(loop: Loop) -> None:
    set_policy(loop.db, "Acme", closed_deals=ClosedDealPolicy.IGNORE)
    [invoice] = loop.qb.company.invoices.values()
    sequence = invoice.edit_sequence
    loop.sim.edit_record("Deals", _deal(loop), Stage=loop.world.stage_meaning("Closed Lost"))
    summary = loop.sync_back()
    assert [(e.action, e.changed_fields) for e in loop.events(summary)] == [
        ("invoice_kept", ["Stage"])]
    assert list_reviews(loop.db) == [] and loop.writes_queued() == []
    loop.session()
    assert loop.qb.company.invoices[invoice.txn_id].edit_sequence == sequence


def test_a_run_for_another_company_leaves_the_notifications_waiting(loop: Loop) -> None:
    loop.world.add_books("Other", customers=1, invoices=0)
    acme = loop.customer("Acme Rockets")
    loop.sim.edit_record("Accounts", loop.zoho_id("Accounts", acme.list_id), Phone="555-0700")
    other = loop.sync_back(company="Other")
    assert other.counts["read"] == 0 and loop.write_backs() == []
    with loop.db.session() as s:
        waiting = s.exec(select(ZohoNotification).where(
            ZohoNotification.processed_at == None)).all()  # noqa: E711
    assert waiting
    loop.sync_back(company="Acme")
    assert [w.changes["want"] for w in loop.write_backs()] == [{"phone": "555-0700"}]


def test_a_zoho_rename_to_a_name_quickbooks_already_uses_fails_alone(loop: Loop) -> None:
    acme = loop.customer("Acme Rockets")
    loop.sim.edit_record(
        "Accounts", loop.zoho_id("Accounts", acme.list_id), Account_Name="Bolt Bikes"
    )
    loop.sync_back()
    loop.session()
    summary = loop.sync_back()
    [failure] = summary.failures
    assert failure.qb_id == acme.list_id and failure.error_code == "3100"
    assert loop.customer(acme.list_id).name == "Acme Rockets"


def test_a_deal_closed_lost_is_raised_for_review_beside_its_amount_edit(loop: Loop) -> None:
    loop.sim.edit_record("Deals", _deal(loop), Stage=loop.world.stage_meaning("Closed Lost"),
                         Amount=1.0)
    loop.sync_back()
    [item] = list_reviews(loop.db)
    assert item.zoho_module == "Deals" and item.candidates == [_deal(loop)]
    assert "closed lost" in item.reason and "left as it is" in item.reason
    assert "restored" in item.reason  # the amount edit is said too
    loop.sync_back()
    assert len(list_reviews(loop.db)) == 1

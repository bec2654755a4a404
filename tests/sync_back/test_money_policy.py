"""QuickBooks owns money: a Zoho edit of a Deal amount or a Product price is restored to
QuickBooks' value, recorded as a conflict with both values and raised for review."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner

from connector.cli import cli
from connector.reviews import list_reviews

from .conftest import Loop


def _deal(loop: Loop) -> str:
    [invoice] = loop.qb.company.invoices.values()
    return loop.zoho_id("Deals", invoice.txn_id)


@pytest.mark.all_profiles
def test_a_deal_amount_edited_in_zoho_is_restored_and_raised_for_review(loop: Loop) -> None:
    deal = _deal(loop)
    assert Decimal(str(loop.sim.record("Deals", deal)["Amount"])) == Decimal("300.00")
    loop.sim.edit_record("Deals", deal, Amount=275.5)
    summary = loop.sync_back()
    assert Decimal(str(loop.sim.record("Deals", deal)["Amount"])) == Decimal("300.00")
    [conflict] = [e for e in loop.events(summary) if e.action == "conflict_qbd_won"]
    assert conflict.changed_fields == ["Amount"] and conflict.qb_name
    assert conflict.values == {"Amount": "Zoho 275.50 -> QuickBooks 300.00 (restored)"}
    assert summary.counts["conflicts"] == 1
    [review] = list_reviews(loop.db)
    assert review.zoho_module == "Deals" and review.candidates == [deal]
    assert "275.50" in review.reason and "300.00" in review.reason
    # The restore's own notification is our echo: no second conflict, no second review.
    again = loop.sync_back()
    assert again.counts.get("conflicts", 0) == 0
    assert len(list_reviews(loop.db)) == 1
    assert loop.writes_queued() == []  # nothing goes to QuickBooks


def test_a_product_price_edited_in_zoho_is_restored(loop: Loop) -> None:
    item = loop.qb.company.item("Consulting")
    product = loop.zoho_id("Products", item.list_id)
    loop.sim.edit_record("Products", product, Unit_Price=80)
    summary = loop.sync_back()
    assert Decimal(str(loop.sim.record("Products", product)["Unit_Price"])) == Decimal("100.00")
    assert [e.values for e in loop.events(summary) if e.action == "conflict_qbd_won"] == [
        {"Unit_Price": "Zoho 80.00 -> QuickBooks 100.00 (restored)"}]


def test_an_edit_of_another_deal_field_restores_nothing(loop: Loop) -> None:
    deal = _deal(loop)
    loop.sim.edit_record("Deals", deal, Description="call back in March")
    summary = loop.sync_back()
    assert summary.counts.get("conflicts", 0) == 0 and list_reviews(loop.db) == []
    assert loop.sim.record("Deals", deal)["Description"] == "call back in March"


def test_a_later_quickbooks_amount_is_the_one_restored(loop: Loop) -> None:
    [invoice] = loop.qb.company.invoices.values()
    [line] = invoice.lines
    loop.qb.company.modify_invoice(invoice.txn_id, lines=[{"TxnLineID": line.txn_line_id,
                                                           "Quantity": Decimal(5)}])
    loop.session()  # QuickBooks' new amount is read, not yet synced to Zoho
    deal = _deal(loop)
    loop.sim.edit_record("Deals", deal, Amount=1)
    loop.sync_back()
    assert Decimal(str(loop.sim.record("Deals", deal)["Amount"])) == Decimal("500.00")
    loop.sync()
    assert Decimal(str(loop.sim.record("Deals", deal)["Amount"])) == Decimal("500.00")


def test_the_office_closes_a_money_review_with_ignore(loop: Loop) -> None:
    loop.sim.edit_record("Deals", _deal(loop), Amount=10)
    loop.sync_back()
    [review] = list_reviews(loop.db)
    env = {"MLC_DATABASE_URL": loop.world.settings.resolved_database_url,
           "MLC_DATA_DIR": str(loop.world.settings.data_dir)}
    listed = CliRunner().invoke(cli, ["review", "list"], env=env)
    assert f"Invoice {review.qb_id}" in listed.output and f"Deals {_deal(loop)}" in listed.output
    assert "restored" in listed.output
    refused = CliRunner().invoke(cli, ["review", "resolve", str(review.id), "--create"], env=env)
    assert refused.exit_code == 1 and "--ignore" in refused.output
    closed = CliRunner().invoke(cli, ["review", "resolve", str(review.id), "--ignore"], env=env)
    assert closed.exit_code == 0, closed.output
    assert list_reviews(loop.db) == []
    [done] = list_reviews(loop.db, status=None)
    assert done.decision == "ignore" and done.resolved_at is not None

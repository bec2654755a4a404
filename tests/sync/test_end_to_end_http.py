"""The whole cycle over real HTTP: the Web Connector stand-in -> the bridge (waitress) ->
stored responses -> `ml-connector sync` -> the Zoho simulator served on 127.0.0.1."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from connector.cli import cli
from connector.mapping.keys import parse_key
from connector.sandbox.webconnector import WebConnector
from connector.zoho.fields import QBD_KEY
from soap_bridge.app import create_app
from tests.bridge.conftest import LiveServer

from .conftest import PASSWORD, World


@pytest.mark.slow
def test_web_connector_session_then_cli_sync_lands_in_zoho_over_http(served_world: World) -> None:
    acme = served_world.add_books("Acme")
    app: Flask = create_app(served_world.settings, db=served_world.db, clock=served_world.clock)
    server = LiveServer(app)
    try:
        with WebConnector(server.qbwc_url, "acme", PASSWORD, acme.qb) as wc:
            report = wc.run_session()
    finally:
        server.stop()
    assert report.close_message and "up to date" in report.close_message
    result = CliRunner().invoke(cli, ["sync", "--company", "Acme"])
    assert result.exit_code == 0, result.output
    assert "qb_to_zoho · Acme · completed" in result.output
    assert len(served_world.records("Deals")) == 8 and served_world.unprocessed() == []
    again = CliRunner().invoke(cli, ["sync"])
    assert again.exit_code == 0 and "nothing to sync" in again.output


@pytest.mark.slow
def test_an_amended_invoice_over_http_moves_its_deal_and_drops_the_removed_product(
        served_world: World) -> None:
    def find(module: str, qb_id: str, role: str | None = None) -> dict[str, object]:
        return next(r for r in served_world.records(module) if r.get(QBD_KEY)
                    and parse_key(str(r[QBD_KEY])).qb_id == qb_id
                    and parse_key(str(r[QBD_KEY])).role == role)

    acme = served_world.add_books("Acme", invoices=2)
    company = acme.qb.company
    chair = company.add_item("ItemInventory", "Oak Chair", SalesPrice=Decimal("120.00"),
                             ManufacturerPartNumber="OC-1")
    desk = company.add_item("ItemInventory", "Oak Desk", SalesPrice=Decimal("480.00"))
    first, other = [c for c in company.listed("Customer") if c.parent_id is None][:2]
    invoice = company.add_invoice(first.list_id, lines=[
        {"ItemRef": chair.list_id, "Quantity": Decimal(2)},
        {"ItemRef": desk.list_id, "Quantity": Decimal(1)}])
    served_world.session("Acme")
    served_world.sync("Acme")
    product = find("Products", chair.list_id)
    assert product["Product_Code"] == "OC-1"
    deal = find("Deals", invoice.txn_id)
    assert len(served_world.sim.related_products(str(deal["id"]))) == 2

    chair_line = next(line for line in company.invoice(invoice.txn_id).lines
                      if line.fields.get("ItemRef") == chair.list_id)
    company.modify_invoice(invoice.txn_id, customer=other.list_id,
                           lines=[{"TxnLineID": chair_line.txn_line_id}])
    served_world.session("Acme")
    served_world.sync("Acme")
    deal = find("Deals", invoice.txn_id)
    lookups: Any = deal
    assert lookups["Account_Name"]["id"] == find("Accounts", other.list_id)["id"]
    assert lookups["Contact_Name"]["id"] == find("Contacts", other.list_id, "contact")["id"]
    assert Decimal(str(deal["Amount"])) == Decimal("240.00")
    assert served_world.sim.related_products(str(deal["id"])) == [product["id"]]
    rows: Any = find("Invoices", invoice.txn_id)["Invoiced_Items"]
    assert [r["Product_Name"]["id"] for r in rows] == [product["id"]]

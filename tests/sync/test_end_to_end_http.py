"""The whole cycle over real HTTP: the Web Connector stand-in -> the bridge (waitress) ->
stored responses -> `ml-connector sync` -> the Zoho simulator served on 127.0.0.1."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask import Flask

from connector.cli import cli
from connector.sandbox.webconnector import WebConnector
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

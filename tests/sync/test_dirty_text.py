"""End to end: QuickBooks writes control characters into memos and notes; a Web Connector
session over HTTP still reads every page and moves the watermarks, and the sync writes the
cleaned text to Zoho, names each cleaned record, and sets aside only a record it cannot read."""

from __future__ import annotations

from sqlmodel import select

from connector.audit import run_events
from connector.mapping.keys import parse_key
from connector.sandbox.webconnector import WebConnector
from connector.store import Watermark
from connector.zoho.fields import QBD_KEY
from soap_bridge.app import create_app
from tests.bridge.conftest import LiveServer

from .conftest import PASSWORD, Books, World


def _session_over_http(world: World, books: Books) -> str:
    world.clock.advance(minutes=5)
    server = LiveServer(create_app(world.settings, db=world.db, clock=world.clock))
    try:
        with WebConnector(server.qbwc_url, books.name.lower(), PASSWORD, books.qb) as wc:
            report = wc.run_session()
    finally:
        server.stop()
    assert report.last_error is None and report.close_message is not None
    return report.close_message


def test_control_characters_from_quickbooks_cost_one_unreadable_record_not_the_page(
        world: World) -> None:
    acme = world.add_books("Acme")
    company = acme.qb.company
    damaged = sorted(company.invoices)[3]  # its TimeModified comes out damaged
    acme.qb.faults.control_characters(fields=("Notes", "Memo", "Addr1"), chars="\x0b\x1f",
                                      requests=50)
    acme.qb.faults.control_characters(fields=("TimeModified",), ids={damaged}, requests=50)

    _session_over_http(world, acme)
    with world.db.session() as s:
        moved = {mark.entity for mark in s.exec(select(Watermark)).all()}
    assert {"Customer", "Invoice"} <= moved, moved

    summary = world.sync("Acme")
    assert summary.status == "completed_with_errors" and summary.counts["failed"] == 1
    events = run_events(world.db, summary.run_id)
    [unreadable] = [e for e in events if e.action == "unreadable"]
    assert (unreadable.qb_type, unreadable.qb_id) == ("Invoice", damaged)
    repaired = {(e.qb_type, e.qb_id) for e in events if e.action == "repaired"}
    noted = {c.list_id for c in company.listed("Customer") if c.fields.get("Notes")}
    assert noted and {("Customer", list_id) for list_id in noted} <= repaired

    deals = {parse_key(d[QBD_KEY]).qb_id for d in world.records("Deals")}
    assert deals == set(company.invoices) - {damaged}
    texts = [str(a.get("Description") or "") + str(a.get("Billing_Street") or "")
             for a in world.records("Accounts")]
    assert any("Prefers invoices by e-mail" in t for t in texts)
    assert not any(ch in t for t in texts for ch in "\x0b\x1f\ufdd0")
    assert world.unprocessed() == []

"""renew_channels: PATCH before expiry, re-open after a lapse, and catch up on what was missed."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta

from sqlmodel import col, select

from connector import runs
from connector.audit import AuditSummary, run_events
from connector.config import Settings
from connector.notify import watch
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database, ZohoChannel, ZohoConnection, ZohoNotification
from connector.zoho import ZohoClient

from .conftest import NOTIFY_URL, FakeClock


def _open(db: Database, client: ZohoClient, connection: ZohoConnection, clock: FakeClock,
          settings: Settings) -> ZohoChannel:
    return watch(db, client, notify_url=NOTIFY_URL, connection_id=connection.id, now=clock(),
                 lifetime=settings.channel_lifetime)


def renew_channels(db: Database, client: ZohoClient, settings: Settings, *,
                   connection_id: int | None, clock: FakeClock) -> AuditSummary:
    """One run of the run layer's channel renewal, on this test's client and clock."""
    env = runs.RunEnv(settings, db, lambda name: nullcontext(client), clock=clock)
    result = runs.renew_channels(env)
    assert result.error is None, result.error
    return result.summary


def _channel(db: Database, channel_id: str) -> ZohoChannel:
    with db.session() as s:
        row = s.exec(select(ZohoChannel).where(ZohoChannel.channel_id == channel_id)).one()
    return row


def _notifications(db: Database) -> list[ZohoNotification]:
    with db.session() as s:
        return list(s.exec(select(ZohoNotification).order_by(col(ZohoNotification.id))).all())


def test_watch_opens_one_channel_for_every_mapped_module_for_a_week(
        sim: ZohoSimulator, client: ZohoClient, connection: ZohoConnection, db: Database,
        clock: FakeClock, settings: Settings) -> None:
    opened = _open(db, client, connection, clock, settings)
    [live] = sim.channels
    assert live["channel_id"] == opened.channel_id and live["notify_url"] == NOTIFY_URL
    assert sorted(live["events"]) == ["Accounts.all", "Contacts.all", "Deals.all",
                                      "Invoices.all", "Products.all"]
    assert 0 < len(live["token"]) <= 50 and live["token"] not in opened.token_hash
    assert opened.expires_at == clock.now + timedelta(hours=167)


def test_watch_again_replaces_the_old_channel(
        sim: ZohoSimulator, client: ZohoClient, connection: ZohoConnection, db: Database,
        clock: FakeClock, settings: Settings) -> None:
    first = _open(db, client, connection, clock, settings)
    second = _open(db, client, connection, clock, settings)
    assert [c["channel_id"] for c in sim.channels] == [second.channel_id]
    assert not _channel(db, first.channel_id).active and _channel(db, second.channel_id).active


def test_a_channel_expiring_within_the_window_is_renewed_by_patch(
        sim: ZohoSimulator, client: ZohoClient, connection: ZohoConnection, db: Database,
        clock: FakeClock, settings: Settings) -> None:
    opened = _open(db, client, connection, clock, settings)
    clock.advance(hours=150)
    summary = renew_channels(db, client, settings, connection_id=connection.id, clock=clock)
    assert sim.call_count("PATCH", "/actions/watch") == 1
    assert sim.call_count("POST", "/actions/watch") == 1  # only the original watch
    renewed = _channel(db, opened.channel_id)
    assert renewed.expires_at == clock.now + timedelta(hours=167)
    assert renewed.renewed_at == clock.now
    assert sim.channels[0]["channel_expiry"] == renewed.expires_at.isoformat()
    assert summary.status == "completed" and summary.counts["updated"] == 1
    assert [e.action for e in run_events(db, summary.run_id)] == ["channel_renewed"]


def test_a_channel_far_from_expiry_is_left_alone(
        sim: ZohoSimulator, client: ZohoClient, connection: ZohoConnection, db: Database,
        clock: FakeClock, settings: Settings) -> None:
    _open(db, client, connection, clock, settings)
    clock.advance(hours=100)
    summary = renew_channels(db, client, settings, connection_id=connection.id, clock=clock)
    assert sim.call_count("PATCH", "/actions/watch") == 0
    assert summary.counts["unchanged"] == 1


def test_a_lapsed_channel_is_reopened_and_changes_made_meanwhile_are_caught_up(
        sim: ZohoSimulator, client: ZohoClient, connection: ZohoConnection, db: Database,
        clock: FakeClock, settings: Settings) -> None:
    opened = _open(db, client, connection, clock, settings)
    quiet = sim.create_record("Accounts", Account_Name="Quiet Ltd")
    edited = sim.create_record("Accounts", Account_Name="Acme Rockets")
    gone = sim.create_record("Contacts", Last_Name="Gone")
    assert sim.wait_for_notifications()
    before = len(_notifications(db))
    clock.advance(hours=170)  # the channel expired two hours ago; Zoho forgot it
    assert sim.channels == []
    sim.edit_record("Accounts", edited["id"], Phone="555-0199")
    sim.delete_record("Contacts", gone["id"])
    assert sim.wait_for_notifications() and len(_notifications(db)) == before

    summary = renew_channels(db, client, settings, connection_id=connection.id, clock=clock)

    caught = [(n.module, n.operation, n.ids, n.source) for n in _notifications(db)[before:]]
    assert caught == [("Accounts", "update", [edited["id"]], "catch-up"),
                      ("Contacts", "delete", [gone["id"]], "catch-up")]
    assert quiet["id"] not in str(caught)
    row = _channel(db, opened.channel_id)
    assert row.lapsed_at is None and row.caught_up_at == clock.now
    assert row.expires_at == clock.now + timedelta(hours=167)
    assert [c["channel_id"] for c in sim.channels] == [opened.channel_id]
    assert summary.counts["created"] == 1 and summary.counts["read"] == 2
    # The re-opened channel carries a fresh token, and the bridge accepts its callbacks.
    sim.edit_record("Accounts", edited["id"], Phone="555-0200")
    assert sim.wait_for_notifications() and sim.deliveries[-1].status == 200
    assert _notifications(db)[-1].source == "callback"


def test_a_channel_zoho_dropped_early_is_caught_up_from_its_last_renewal(
        sim: ZohoSimulator, client: ZohoClient, connection: ZohoConnection, db: Database,
        clock: FakeClock, settings: Settings) -> None:
    opened = _open(db, client, connection, clock, settings)
    account = sim.create_record("Accounts", Account_Name="Acme Rockets")
    clock.advance(hours=3)
    client.disable_notifications([opened.channel_id])
    sim.edit_record("Accounts", account["id"], Fax="555-0101")
    assert sim.wait_for_notifications()
    summary = renew_channels(db, client, settings, connection_id=connection.id, clock=clock)
    caught = [n for n in _notifications(db) if n.source == "catch-up"]
    # Since the channel opened (minus the overlap): the record made then is included too.
    assert [(n.module, n.ids) for n in caught] == [("Accounts", [account["id"]])]
    assert summary.counts["created"] == 1


def test_a_failed_catch_up_is_retried_by_the_next_run(
        sim: ZohoSimulator, client: ZohoClient, connection: ZohoConnection, db: Database,
        clock: FakeClock, settings: Settings) -> None:
    opened = _open(db, client, connection, clock, settings)
    clock.advance(hours=168)
    account = sim.create_record("Accounts", Account_Name="Acme Rockets")
    sim.faults.fail_next(5, 500, path_contains="/Accounts")
    failed = renew_channels(db, client, settings, connection_id=connection.id, clock=clock)
    assert failed.counts["failed"] == 1 and _channel(db, opened.channel_id).lapsed_at is not None
    retried = renew_channels(db, client, settings, connection_id=connection.id, clock=clock)
    assert retried.counts["failed"] == 0 and retried.counts["read"] == 1
    assert [n.ids for n in _notifications(db) if n.source == "catch-up"] == [[account["id"]]]
    assert _channel(db, opened.channel_id).lapsed_at is None


def test_channels_ask_for_no_related_record_callbacks_when_opened_and_renewed(
        sim: ZohoSimulator, client: ZohoClient, connection: ZohoConnection, db: Database,
        clock: FakeClock, settings: Settings) -> None:
    opened = _open(db, client, connection, clock, settings)
    assert sim.channels[0]["notify_on_related_action"] is False
    # Another tool re-registers the channel (PUT replaces every detail): Zoho's default is back.
    client.call("PUT", "/actions/watch", body={"watch": [{
        "channel_id": opened.channel_id, "events": ["Accounts.all"], "notify_url": NOTIFY_URL,
        "channel_expiry": (clock.now + timedelta(hours=160)).isoformat()}]})
    assert sim.channels[0]["notify_on_related_action"] is True
    clock.advance(hours=150)
    renew_channels(db, client, settings, connection_id=connection.id, clock=clock)
    assert sim.channels[0]["notify_on_related_action"] is False

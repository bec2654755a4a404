"""Notification channels and callbacks delivered to a real local receiver."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from connector.sandbox.zoho import ZohoSimulator

from .helpers import ManualClock, Receiver, insert

CHANNEL = "1000000068001"


def _watch(api: httpx.Client, url: str, **extra: Any) -> httpx.Response:
    item = {"channel_id": CHANNEL, "events": ["Accounts.all"], "notify_url": url,
            "token": "shared-secret", **extra}
    return api.post("/crm/v8/actions/watch", json={"watch": [item]})


def test_enable_answers_201_with_the_channel_expiry(api: httpx.Client, clock: ManualClock,
                                                    receiver: Receiver) -> None:
    reply = _watch(api, receiver.url)
    assert reply.status_code == 201
    [event] = reply.json()["watch"][0]["details"]["events"]
    assert (event["channel_id"], event["resource_name"]) == (CHANNEL, "Accounts")
    assert event["channel_expiry"] == (clock.now + timedelta(hours=1)).isoformat()


def test_own_writes_and_salesperson_edits_both_call_back(
        api: httpx.Client, sim: ZohoSimulator, receiver: Receiver) -> None:
    _watch(api, f"{receiver.url}?company=7")
    [account] = insert(api, "Accounts", {"Account_Name": "Acme"})
    sim.edit_record("Accounts", account, Phone="555-0100")
    sim.delete_record("Accounts", account)
    assert sim.wait_for_notifications()
    inserted, updated, deleted = receiver.bodies
    assert inserted["operation"] == "insert" and inserted["ids"] == [account]
    assert updated["affected_fields"] == [{account: ["Phone"]}]
    assert deleted["operation"] == "delete"
    assert set(inserted) == {"server_time", "query_params", "module", "resource_uri", "ids",
                             "affected_fields", "operation", "channel_id", "token"}
    assert (inserted["channel_id"], inserted["token"]) == (CHANNEL, "shared-secret")
    assert inserted["query_params"] == {"company": "7"}
    assert "Acme" not in str(inserted)  # ids only, never record data


def test_one_callback_per_operation_of_a_batch(api: httpx.Client, sim: ZohoSimulator,
                                               receiver: Receiver) -> None:
    _watch(api, receiver.url, events=["Accounts.create"])
    [old] = insert(api, "Accounts", {"Account_Name": "Old"})
    api.post("/crm/v8/Accounts/upsert", json={"data": [
        {"Account_Name": "Old", "Phone": "1"}, {"Account_Name": "New"}]})
    assert sim.wait_for_notifications()
    assert [b["operation"] for b in receiver.bodies] == ["insert", "insert"]
    assert old not in receiver.bodies[1]["ids"]


def test_channel_stops_firing_after_expiry(api: httpx.Client, sim: ZohoSimulator,
                                           clock: ManualClock, receiver: Receiver) -> None:
    _watch(api, receiver.url)
    clock.advance(minutes=59)
    assert api.get("/crm/v8/actions/watch").status_code == 200
    clock.advance(minutes=1, seconds=1)
    sim.create_record("Accounts", Account_Name="Unheard")
    assert sim.wait_for_notifications()
    assert receiver.bodies == [] and sim.channels == []


def test_expiry_beyond_a_week_silently_becomes_an_hour(api: httpx.Client, clock: ManualClock,
                                                       receiver: Receiver) -> None:
    too_far = (clock.now + timedelta(days=8)).isoformat()
    reply = _watch(api, receiver.url, channel_expiry=too_far)
    expiry = reply.json()["watch"][0]["details"]["events"][0]["channel_expiry"]
    assert expiry == (clock.now + timedelta(hours=1)).isoformat()
    fine = (clock.now + timedelta(days=6)).isoformat()
    kept = _watch(api, receiver.url, channel_expiry=fine)
    assert kept.json()["watch"][0]["details"]["events"][0]["channel_expiry"] == fine


def test_patch_renews_a_channel_before_it_lapses(api: httpx.Client, sim: ZohoSimulator,
                                                 clock: ManualClock, receiver: Receiver) -> None:
    _watch(api, receiver.url)
    clock.advance(minutes=50)
    renewed = (clock.now + timedelta(days=1)).isoformat()
    reply = api.patch("/crm/v8/actions/watch", json={"watch": [
        {"channel_id": CHANNEL, "channel_expiry": renewed}]})
    assert reply.status_code == 200
    [listed] = api.get("/crm/v8/actions/watch").json()["watch"]
    assert (listed["channel_expiry"], listed["token"]) == (renewed, "shared-secret")
    clock.advance(hours=2)
    sim.create_record("Accounts", Account_Name="Still heard")
    assert sim.wait_for_notifications()
    assert len(receiver.bodies) == 1


def test_patch_of_an_unknown_channel_is_not_subscribed(api: httpx.Client) -> None:
    reply = api.patch("/crm/v8/actions/watch", json={"watch": [{"channel_id": "99"}]})
    assert reply.status_code == 202
    assert reply.json()["watch"][0]["code"] == "NOT_SUBSCRIBED"


def test_token_longer_than_50_is_refused(api: httpx.Client, receiver: Receiver) -> None:
    reply = _watch(api, receiver.url, token="x" * 51)
    assert reply.status_code == 202
    item = reply.json()["watch"][0]
    assert (item["code"], item["details"]["api_name"]) == ("INVALID_DATA", "token")


def test_channel_id_must_be_numeric(api: httpx.Client, receiver: Receiver) -> None:
    reply = api.post("/crm/v8/actions/watch", json={"watch": [
        {"channel_id": "abc", "events": ["Accounts.all"], "notify_url": receiver.url}]})
    assert reply.json()["watch"][0]["details"]["expected_data_type"] == "long"


def test_disable_removes_the_channel(api: httpx.Client, sim: ZohoSimulator,
                                     receiver: Receiver) -> None:
    _watch(api, receiver.url)
    reply = api.delete("/crm/v8/actions/watch", params={"channel_ids": CHANNEL})
    assert reply.json()["watch"][0]["status"] == "success"
    insert(api, "Accounts", {"Account_Name": "Unheard"})
    assert sim.wait_for_notifications()
    assert receiver.bodies == [] and sim.channels == []


def test_delete_events_trims_a_channel(api: httpx.Client, sim: ZohoSimulator,
                                       receiver: Receiver) -> None:
    _watch(api, receiver.url, events=["Accounts.all", "Deals.all"])
    api.patch("/crm/v8/actions/watch", json={"watch": [
        {"channel_id": CHANNEL, "events": ["Accounts.all"], "_delete_events": True}]})
    assert sim.channels[0]["events"] == ["Deals.all"]


def test_callbacks_never_block_the_write(api: httpx.Client, sim: ZohoSimulator) -> None:
    """An unreachable notify_url fails in the background; the write still answers."""
    _watch(api, "http://127.0.0.1:9/unreachable")
    insert(api, "Accounts", {"Account_Name": "A"})
    assert sim.wait_for_notifications()
    [delivery] = sim.deliveries
    assert delivery.status is None and delivery.error


def test_return_affected_field_values(api: httpx.Client, sim: ZohoSimulator,
                                      receiver: Receiver) -> None:
    _watch(api, receiver.url, return_affected_field_values=True)
    [account] = insert(api, "Accounts", {"Account_Name": "A"})
    sim.edit_record("Accounts", account, Phone="42")
    assert sim.wait_for_notifications()
    assert receiver.bodies[-1]["affected_values"] == [{"record_id": account,
                                                       "values": {"Phone": "42"}}]

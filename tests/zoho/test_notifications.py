"""Notification channels: enable, callbacks (our own writes echo too), renew by PATCH, disable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from connector.errors import FatalError
from connector.sandbox.zoho import ZohoSimulator
from connector.zoho import ZohoClient
from connector.zoho.fields import QBD_KEY

from .conftest import CLIENT_ID, SECRET, FakeClock, add_key_fields

NOTIFY_URL = "https://bridge.example.test/zoho/notify?company=acme"
TOKEN = "s" * 50


@pytest.fixture
def received() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def sim(clock: FakeClock, received: list[dict[str, Any]]) -> Iterator[ZohoSimulator]:
    """A simulator whose callbacks land in ``received`` (a stand-in for our bridge)."""

    def bridge(request: httpx.Request) -> httpx.Response:
        received.append(json.loads(request.content))
        return httpx.Response(200)

    simulator = ZohoSimulator(clock=clock, notify_transport=httpx.MockTransport(bridge))
    simulator.register_client(CLIENT_ID, SECRET)
    add_key_fields(simulator)
    yield simulator
    simulator.close()


def test_notification_round_trip(client: ZohoClient, sim: ZohoSimulator, clock: FakeClock,
                                 received: list[dict[str, Any]]) -> None:
    channel = client.enable_notifications("1000000068001", ["Accounts.all", "Deals.edit"],
                                          notify_url=NOTIFY_URL, token=TOKEN,
                                          expires_at=clock() + timedelta(days=1))
    assert channel.expires_at == clock() + timedelta(days=1)
    listed = client.notification_channels()
    assert [(c.channel_id, c.notify_url, c.token) for c in listed] == \
        [("1000000068001", NOTIFY_URL, TOKEN)]

    made = sim.create_record("Accounts", Account_Name="Walk-in", **{QBD_KEY: "1:W"})
    client.upsert("Accounts", [{"Account_Name": "Ours", QBD_KEY: "1:O"}],
                  duplicate_check_fields=[QBD_KEY])
    assert sim.wait_for_notifications()
    assert [(r["operation"], r["channel_id"], r["token"]) for r in received] == \
        [("insert", "1000000068001", TOKEN)] * 2  # our own write echoes back too
    assert received[0]["ids"] == [made["id"]] and "Account_Name" not in received[0]

    renewed = client.renew_notifications("1000000068001", ["Accounts.all", "Deals.edit"],
                                         clock() + timedelta(days=6))
    assert renewed.expires_at == clock() + timedelta(days=6)
    client.disable_notifications(["1000000068001"])
    assert client.notification_channels() == []
    client.disable_notifications(["1000000068001"])  # already gone is fine


def test_expiry_zoho_would_silently_shorten_is_refused(client: ZohoClient,
                                                       clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="at most one week"):
        client.enable_notifications(1, ["Accounts.all"], notify_url=NOTIFY_URL, token="t",
                                    expires_at=clock() + timedelta(days=8))
    with pytest.raises(ValueError, match="50 characters"):
        client.enable_notifications(1, ["Accounts.all"], notify_url=NOTIFY_URL, token="t" * 51,
                                    expires_at=clock() + timedelta(hours=2))


def test_renewing_an_unknown_channel_is_a_clear_error(client: ZohoClient,
                                                      clock: FakeClock) -> None:
    with pytest.raises(FatalError, match="renew notifications") as info:
        client.renew_notifications(42, ["Accounts.all"], clock() + timedelta(hours=5))
    assert info.value.code == "NOT_SUBSCRIBED"


def test_lapsed_channel_disappears(client: ZohoClient, clock: FakeClock) -> None:
    client.enable_notifications(7, ["Deals.all"], notify_url=NOTIFY_URL, token="t",
                                expires_at=clock() + timedelta(hours=2))
    clock.advance(hours=3)
    assert client.notification_channels() == []

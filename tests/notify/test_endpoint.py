"""POST /zoho/notify: our channels' callbacks are stored as ids; anything else is refused."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from connector.config import Settings
from connector.notify import hash_token, watch
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database, ZohoChannel, ZohoConnection, ZohoNotification
from connector.zoho import ZohoClient
from tests.bridge.conftest import LiveServer

from .conftest import NOTIFY_URL, FakeClock, _simulator

CHANNEL, TOKEN = "1000000068001", "t0ken-of-forty-three-characters-xxxxxxxxxxx"


@pytest.fixture
def channel(db: Database, clock: FakeClock, settings: Settings) -> ZohoChannel:
    row = ZohoChannel(channel_id=CHANNEL, events=["Accounts.all", "Contacts.all"],
                      notify_url=NOTIFY_URL, token_hash=hash_token(TOKEN),
                      expires_at=clock() + settings.channel_lifetime)
    with db.session() as s:
        s.add(row)
    return row


@pytest.fixture
def flask_client(app: Flask) -> FlaskClient:
    return app.test_client()


def _callback(**overrides: Any) -> dict[str, Any]:
    return {"server_time": 1772442000000, "query_params": {}, "module": "Accounts",
            "resource_uri": "https://www.zohoapis.com/crm/v8/Accounts",
            "ids": ["5725767000001000001"],
            "affected_fields": [{"5725767000001000001": ["Phone"]}], "operation": "update",
            "channel_id": CHANNEL, "token": TOKEN} | overrides


def _stored(db: Database) -> list[ZohoNotification]:
    with db.session() as s:
        return list(s.exec(select(ZohoNotification)).all())


def test_a_callback_of_our_channel_is_stored_as_ids_only(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database, clock: FakeClock) -> None:
    reply = flask_client.post("/zoho/notify", json=_callback())
    assert reply.status_code == 200 and reply.json == {"status": "ok"}
    [row] = _stored(db)
    assert (row.channel_id, row.module, row.operation) == (CHANNEL, "Accounts", "update")
    assert row.ids == ["5725767000001000001"] and row.processed_at is None
    assert row.affected_fields == {"5725767000001000001": ["Phone"]}
    assert row.received_at == clock.now


@pytest.mark.parametrize("change", [{"channel_id": "1000000099999"}, {"token": "guessed"},
                                    {"token": None}, {"channel_id": None}])
def test_unknown_channel_or_wrong_token_is_refused_with_403_and_logged_without_the_token(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database,
        caplog: pytest.LogCaptureFixture, change: dict[str, Any]) -> None:
    with caplog.at_level(logging.WARNING, logger="connector.notify"):
        reply = flask_client.post("/zoho/notify", json=_callback(**change))
    assert reply.status_code == 403
    assert _stored(db) == []
    assert "refused a Zoho notification" in caplog.text
    assert TOKEN not in caplog.text and "guessed" not in caplog.text


def test_an_oversize_body_is_refused_before_it_is_read(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database, settings: Settings) -> None:
    ids = [str(5725767000001000001 + n) for n in range(settings.zoho_notify_max_bytes // 20)]
    reply = flask_client.post("/zoho/notify", json=_callback(ids=ids))
    assert reply.status_code == 413
    assert _stored(db) == []


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b""])
def test_a_body_that_is_not_a_json_object_answers_400(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database, body: bytes) -> None:
    reply = flask_client.post("/zoho/notify", data=body, content_type="application/json")
    assert reply.status_code == 400
    assert _stored(db) == []


@pytest.mark.parametrize("change", [{"module": "Leads"}, {"operation": "merge"}, {"ids": []},
                                    {"ids": ["12; DROP"]}, {"ids": "5725767000001000001"}])
def test_a_verified_callback_of_the_wrong_shape_answers_400(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database,
        change: dict[str, Any]) -> None:
    reply = flask_client.post("/zoho/notify", json=_callback(**change))
    assert reply.status_code == 400
    assert _stored(db) == []


# JSON lets any field hold any type; a verified callback whose field has the wrong one is
# malformed (400), never a crash.
WRONG_TYPES = {
    "operation-list": {"operation": ["update"]},
    "operation-object": {"operation": {"update": 1}},
    "operation-number": {"operation": 1},
    "operation-null": {"operation": None},
    "operation-bool": {"operation": True},
    "module-list": {"module": ["Accounts"]},
    "module-object": {"module": {"Accounts": 1}},
    "module-number": {"module": 7},
    "ids-object": {"ids": {"5725767000001000001": 1}},
    "id-list": {"ids": [["5725767000001000001"]]},
    "id-object": {"ids": [{"id": "5725767000001000001"}]},
    "id-bool": {"ids": [True]},
    "id-float": {"ids": [5.5]},
    "id-null": {"ids": [None]},
}


@pytest.mark.parametrize("change", list(WRONG_TYPES.values()), ids=list(WRONG_TYPES))
def test_a_verified_callback_with_a_field_of_the_wrong_type_answers_400(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database,
        change: dict[str, Any]) -> None:
    reply = flask_client.post("/zoho/notify", json=_callback(**change))
    assert reply.status_code == 400 and reply.json["status"] == "error"
    assert _stored(db) == []


def test_an_operation_that_is_a_list_is_refused_saying_what_an_operation_is(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database) -> None:
    reply = flask_client.post("/zoho/notify", json=_callback(operation=["update"]))
    assert reply.status_code == 400
    assert reply.json["message"] == ("unknown operation \"['update']\"; Zoho's are delete, "
                                     "insert, update")


@pytest.mark.parametrize("change", [
    {"channel_id": [CHANNEL]}, {"channel_id": {"id": CHANNEL}}, {"channel_id": True},
    {"channel_id": float(CHANNEL)}, {"token": [TOKEN]}, {"token": {"token": TOKEN}},
    {"token": 1}], ids=["channel-list", "channel-object", "channel-bool", "channel-float",
                        "token-list", "token-object", "token-number"])
def test_a_channel_or_token_of_the_wrong_type_is_not_our_channel(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database,
        change: dict[str, Any]) -> None:
    assert flask_client.post("/zoho/notify", json=_callback(**change)).status_code == 403
    assert _stored(db) == []


NOT_RECORD_IDS = {
    "arabic-indic-digits": "\u0661\u0662\u0663",
    "superscript-two": "\u00b2",
    "fullwidth-digits": "\uff11\uff12\uff13",
    "hundred-thousand-digits": "1" * 100_000,
    "twenty-one-digits": "1" * 21,
    "signed": "-5725767000001000001",
    "spaced": " 5725767000001000001",
    "empty": "",
}


@pytest.mark.parametrize("record_id", list(NOT_RECORD_IDS.values()), ids=list(NOT_RECORD_IDS))
def test_only_ascii_digits_of_a_zoho_ids_length_are_record_ids(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database, record_id: str) -> None:
    reply = flask_client.post("/zoho/notify", json=_callback(ids=[record_id]))
    assert reply.status_code == 400
    assert _stored(db) == []


def test_a_number_too_long_for_a_zoho_id_is_refused(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database) -> None:
    body = json.dumps(_callback(ids=[])).replace('"ids": []', '"ids": [' + "9" * 21 + "]")
    reply = flask_client.post("/zoho/notify", data=body, content_type="application/json")
    assert reply.status_code == 400
    assert _stored(db) == []


@pytest.mark.parametrize("record_id", ["18446744073709551615", 5725767000001000001],
                         ids=["largest-64-bit", "json-number"])
def test_a_64_bit_record_id_is_stored_as_text(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database,
        record_id: str | int) -> None:
    assert flask_client.post("/zoho/notify", json=_callback(ids=[record_id])).status_code == 200
    assert [row.ids for row in _stored(db)] == [[str(record_id)]]


def test_salesperson_edits_reach_the_bridge_through_the_simulator(
        sim: ZohoSimulator, client: ZohoClient, connection: ZohoConnection, db: Database,
        clock: FakeClock, settings: Settings) -> None:
    opened = watch(db, client, notify_url=NOTIFY_URL, connection_id=connection.id, now=clock(),
                   lifetime=settings.channel_lifetime)
    account = sim.create_record("Accounts", Account_Name="Acme Rockets")
    sim.edit_record("Accounts", account["id"], Phone="555-0100")
    assert sim.wait_for_notifications()
    assert [d.status for d in sim.deliveries] == [200, 200]
    insert, update = _stored(db)
    assert (insert.operation, update.operation) == ("insert", "update")
    assert update.ids == [account["id"]] and update.channel_id == opened.channel_id
    assert update.affected_fields == {account["id"]: ["Phone"]}


class TestOverRealHttp:
    """The simulator POSTs to waitress on 127.0.0.1, as Zoho would to the public bridge."""

    @pytest.fixture
    def sim(self, live: LiveServer, clock: FakeClock) -> Iterator[ZohoSimulator]:
        simulator = _simulator(clock, None)
        yield simulator
        simulator.close()

    def test_callbacks_arrive_over_http_and_a_forged_one_does_not(
            self, sim: ZohoSimulator, client: ZohoClient, connection: ZohoConnection,
            db: Database, clock: FakeClock, settings: Settings, live: LiveServer) -> None:
        url = f"{live.base_url}/zoho/notify"
        opened = watch(db, client, notify_url=url, connection_id=connection.id, now=clock(),
                       lifetime=settings.channel_lifetime)
        account = sim.create_record("Accounts", Account_Name="Acme Rockets")
        sim.delete_record("Accounts", account["id"])
        assert sim.wait_for_notifications()
        assert [d.status for d in sim.deliveries] == [200, 200]
        assert [(n.operation, n.ids) for n in _stored(db)] == [
            ("insert", [account["id"]]), ("delete", [account["id"]])]
        forged = json.loads(json.dumps(sim.deliveries[0].payload)) | {"token": "x" * 43}
        assert httpx.post(url, json=forged).status_code == 403
        assert opened.channel_id == forged["channel_id"] and len(_stored(db)) == 2


def _raw(payload: str) -> bytes:
    return payload.encode("ascii")


HOSTILE_BODIES = {
    "lone-surrogate-token": _raw(json.dumps(_callback()).replace(TOKEN, "\\ud800")),
    "lone-surrogate-channel": _raw(json.dumps(_callback()).replace(CHANNEL, "\\udfff")),
    "lone-surrogate-field": _raw(json.dumps(_callback()).replace('"Phone"', '"Ph\\ud800one"')),
    "lone-surrogate-module": _raw(json.dumps(_callback()).replace('"Accounts"', '"\\ud800"')),
    "deep-array": b"[" * 100_000 + b"]" * 100_000,
    "deep-object": b'{"a":' * 40_000 + b"1" + b"}" * 40_000,
    "deep-inside-a-callback": _raw(json.dumps(_callback())[:-1] + ', "x": ' + "[" * 60_000
                                   + "]" * 60_000 + "}"),
}


@pytest.mark.parametrize("body", list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
def test_hostile_json_is_refused_with_a_4xx_and_one_short_log_line(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database,
        caplog: pytest.LogCaptureFixture, body: bytes) -> None:
    caplog.set_level(logging.DEBUG)
    reply = flask_client.post("/zoho/notify", data=body, content_type="application/json")
    assert reply.status_code in (400, 403)
    assert _stored(db) == []
    assert all(r.exc_info is None for r in caplog.records)
    assert "Traceback" not in caplog.text and len(caplog.text) < 2000


def _set(db: Database, **values: Any) -> None:
    with db.session() as s:
        row = s.exec(select(ZohoChannel).where(ZohoChannel.channel_id == CHANNEL)).one()
        for key, value in values.items():
            setattr(row, key, value)


@pytest.mark.parametrize("change", [{"active": False}, {"expires": -1}],
                         ids=["replaced", "expired"])
def test_a_replaced_or_expired_channels_token_is_refused(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database, clock: FakeClock,
        caplog: pytest.LogCaptureFixture, change: dict[str, Any]) -> None:
    if "expires" in change:
        _set(db, expires_at=clock() - timedelta(seconds=1))
    else:
        _set(db, **change)
    with caplog.at_level(logging.WARNING, logger="connector.notify"):
        reply = flask_client.post("/zoho/notify", json=_callback())
    assert reply.status_code == 403 and _stored(db) == []
    assert ("replaced channel" if "active" in change else "expired channel") in caplog.text


def test_a_channel_being_opened_already_accepts_its_callbacks(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database) -> None:
    # Zoho may call back with the new token before its answer to `watch` reaches us.
    _set(db, active=False, opening=True)
    assert flask_client.post("/zoho/notify", json=_callback()).status_code == 200
    assert len(_stored(db)) == 1


def test_a_replayed_callback_is_acknowledged_and_stored_once(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database) -> None:
    replies = [flask_client.post("/zoho/notify", json=_callback()).status_code for _ in range(3)]
    assert replies == [200, 200, 200] and len(_stored(db)) == 1
    with db.session() as s:
        for row in s.exec(select(ZohoNotification)).all():
            row.processed_at = row.received_at
    assert flask_client.post("/zoho/notify", json=_callback()).status_code == 200
    assert len(_stored(db)) == 1  # Zoho's server_time says it is the same event, processed


def test_callbacks_that_differ_in_time_ids_operation_or_fields_are_each_stored(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database) -> None:
    variants = [{}, {"server_time": 1772442000001}, {"operation": "delete"},
                {"ids": ["5725767000001000002"], "affected_fields": []},
                {"affected_fields": [{"5725767000001000001": ["Email"]}]}]
    for variant in variants:
        assert flask_client.post("/zoho/notify", json=_callback(**variant)).status_code == 200
    assert len(_stored(db)) == len(variants)


def test_an_unstamped_duplicate_counts_once_until_processed(
        flask_client: FlaskClient, channel: ZohoChannel, db: Database) -> None:
    unstamped = {k: v for k, v in _callback().items() if k != "server_time"}
    for _ in range(2):
        assert flask_client.post("/zoho/notify", json=unstamped).status_code == 200
    assert len(_stored(db)) == 1
    from connector.notify.inbox import release_key

    with db.session() as s:
        for row in s.exec(select(ZohoNotification)).all():
            row.processed_at = row.received_at
            release_key(row)
    # Processed: the same record changing the same way again is a new change.
    assert flask_client.post("/zoho/notify", json=unstamped).status_code == 200
    assert len(_stored(db)) == 2


def test_simultaneous_replays_are_stored_once(app: Flask, channel: ZohoChannel,
                                              db: Database) -> None:
    def post(_: int) -> int:
        with httpx.Client(transport=httpx.WSGITransport(app=app),
                          base_url="http://bridge.test") as http:
            return http.post("/zoho/notify", json=_callback()).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(post, range(12)))
    assert statuses == [200] * 12 and len(_stored(db)) == 1

"""``GET /healthz``: what a load balancer or a watchdog asks before sending QBWC traffic."""

from __future__ import annotations

import httpx
from flask import Flask

from connector.config import Settings
from connector.store import Database
from soap_bridge.app import create_app
from tests.bridge.conftest import LiveServer


def test_healthz_reports_ok_when_the_database_answers(live: LiveServer) -> None:
    reply = httpx.get(live.base_url + "/healthz")
    assert reply.status_code == 200
    assert reply.json()["status"] == "ok" and reply.json()["database"] == "ok"


def test_healthz_reports_503_without_leaking_the_url_when_the_database_is_down(
    settings: Settings,
) -> None:
    down = Database("postgresql+psycopg://mlc:pw-not-shown@127.0.0.1:1/nowhere?connect_timeout=2")
    app: Flask = create_app(settings, db=down)
    reply = app.test_client().get("/healthz")
    assert reply.status_code == 503
    assert reply.get_json() == {"status": "error", "database": "unreachable"}
    assert b"pw-not-shown" not in reply.data


def test_two_bridges_in_one_process_keep_their_own_databases(settings: Settings, db: Database,
                                                            tmp_path: object) -> None:
    other = Database(f"sqlite:///{tmp_path}/other.db")
    other.create_all()
    first, second = create_app(settings, db=db), create_app(settings, db=other)
    assert first.extensions["mlc"].db is db and second.extensions["mlc"].db is other
    assert first.extensions["mlc"].qbwc is not second.extensions["mlc"].qbwc

"""Helpers for the Zoho simulator tests: a hand-driven clock, a connected client, and a
tiny callback receiver served on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connector.sandbox.zoho import ZohoSimulator

CLIENT_ID = "1000.SIMTESTCLIENT"
SECRET = "sim-test-secret"
REDIRECT = "http://127.0.0.1:9/callback"
ACCOUNTS = "http://zoho-accounts.sim"


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def token(sim: ZohoSimulator, refresh: str | None = None, **kw: Any) -> dict[str, Any]:
    """An access token for CLIENT_ID through the in-process accounts server."""
    refresh = refresh or sim.issue_refresh_token(CLIENT_ID, **kw)
    with httpx.Client(transport=sim.accounts_transport(), base_url=ACCOUNTS) as accounts:
        reply = accounts.post("/oauth/v2/token", data={
            "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
            "refresh_token": refresh})
    body: dict[str, Any] = reply.json()
    assert "access_token" in body, body
    return body


def api_client(sim: ZohoSimulator, **kw: Any) -> httpx.Client:
    body = token(sim, **kw)
    return httpx.Client(transport=sim.api_transport(), base_url=body["api_domain"],
                        headers={"Authorization": f"Zoho-oauthtoken {body['access_token']}"})


def insert(api: httpx.Client, module: str, *rows: dict[str, Any]) -> list[str]:
    reply = api.post(f"/crm/v8/{module}", json={"data": list(rows), "trigger": []})
    assert reply.status_code == 201, reply.text
    return [item["details"]["id"] for item in reply.json()["data"]]


class Receiver:
    """A notify_url endpoint: remembers every callback body it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/zoho/notify"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.bodies.append(json.loads(request.get_data()))
        return Response(status=200)(environ, start_response)

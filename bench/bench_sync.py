"""QuickBooks -> Zoho sync throughput against the bare Zoho calls it needs.

A seeded company (2,000 customers with jobs, 1,000 invoices of 3 lines, 28 items) is read
through the QBWC service into stored responses; ``runs.sync_quickbooks`` then syncs them to a Zoho
simulator with zero latency, answering in-process. Every write call the sync sends is
recorded; the reference replays exactly those calls through a bare ``ZohoClient.call`` on the
same simulator, in parallel as the sync's batches are. The ratio is what parsing, dedupe,
mapping, hashing, matching lookups, links and the audit add on top. Target: <= 1.5x.
Measured twice: with zero latency (the simulator's CPU and ours share one interpreter, so
every cost of ours shows in full) and with 100 ms per call, where waiting on Zoho dominates.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr

from connector import runs
from connector.config import Settings
from connector.crypto import SecretBox
from connector.qbwc import add_company
from connector.qbwc.service import QbwcService
from connector.runs import RunEnv
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database
from connector.zoho import DEFAULT_SCOPES, NO_RETRY, OAuthApp, TokenEndpoint
from connector.zoho.connection import NewConnection, open_client, save_connection
from connector.zoho.fields import REQUIRED_CUSTOM_FIELDS
from connector.zoho.limits import READ, Cost, write_cost

CUSTOMERS, INVOICES = 2000, 1000
CLIENT_ID, SECRET = "1000.BENCHSYNC", "bench-sync-secret"
_WRITES = ("POST", "PUT", "PATCH", "DELETE")


class Recording(httpx.BaseTransport):
    """Passes calls to the simulator and keeps the write calls the sync made."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.writes: list[tuple[str, str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method in _WRITES and "/coql" not in path:
            self.writes.append((request.method, path.split("/crm/v8", 1)[1],
                                json.loads(request.content or b"null")))
        return self.inner.handle_request(request)


def _cost(body: Any) -> Cost:
    """The same cost (and so the same concurrency slot kind) the client gave the call."""
    data = body.get("data") if isinstance(body, dict) else None
    return write_cost(len(data)) if isinstance(data, list) else READ


def _store_session(db: Database, settings: Settings, qb: QuickBooksSimulator) -> None:
    """One Web Connector session, in-process: every answer lands in RawResponse."""
    service = QbwcService(db, settings)
    ticket, status, *_ = service.authenticate("bench", "bench-pw")
    assert ticket, status
    qb.begin_session()
    while request := service.send_request_xml(ticket, "", qb.company_file, "US", 13, 0):
        if service.receive_response_xml(ticket, qb.handle(request), "", "") >= 100:
            break
    qb.end_session()
    service.close_connection(ticket)


def _world(tmp: Path) -> Iterator[Any]:
    settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'bench.db'}",
                        secret_key=SecretStr(Fernet.generate_key().decode()),
                        min_poll_seconds=0, zoho_daily_credit_budget=1_000_000)
    db = Database(settings.resolved_database_url)
    db.create_all()
    qb = QuickBooksSimulator(clock=lambda: datetime.now(UTC) - timedelta(days=1),
                             sleep=lambda s: None)
    seed_company(qb, customers=CUSTOMERS, invoices=INVOICES, lines_per_invoice=3, seed=11)
    company = add_company(db, "Bench", "bench", "bench-pw", company_file=qb.company_file)
    _store_session(db, settings, qb)
    sim = ZohoSimulator(daily_credits=10_000_000)
    sim.register_client(CLIENT_ID, SECRET)
    for f in REQUIRED_CUSTOM_FIELDS:
        sim.add_field(f.module, f.api_name, f.data_type, unique=f.unique)
    secrets = SecretBox.from_settings(settings)
    endpoint = TokenEndpoint(OAuthApp("http://zoho-accounts.sim", CLIENT_ID, SECRET),
                             transport=sim.accounts_transport())
    grant = endpoint.exchange_code(sim.grant_code(CLIENT_ID, scope=",".join(DEFAULT_SCOPES)))
    save_connection(db, secrets, NewConnection(endpoint.app, None, grant.refresh_token or "",
                                               grant, sim.org_id, sim.edition))
    yield settings, db, secrets, sim, company


def _measure(latency: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings, db, secrets, sim, company = next(_world(Path(tmp)))
        sim.latency = latency
        recording = Recording(sim.api_transport())
        options = {"transport": recording, "accounts_transport": sim.accounts_transport(),
                   "retry": NO_RETRY}
        started = time.perf_counter()
        summary = runs.sync_quickbooks(RunEnv.from_settings(settings, db, **options),
                                       company.name).summary
        synced = time.perf_counter() - started
        assert summary.status == "completed", summary.markdown()
        bare = open_client(settings, db, secrets, transport=sim.api_transport(),
                           accounts_transport=sim.accounts_transport(), retry=NO_RETRY)
        bare.org()  # token refreshed before the clock starts, as the sync's was
        started = time.perf_counter()
        bare.parallel(lambda w: bare.call(w[0], w[1], body=w[2], cost=_cost(w[2])),
                      recording.writes)
        reference = time.perf_counter() - started
        bare.close()
        db.dispose()
    return {
        "name": f"qb_to_zoho sync, {latency * 1000:.0f} ms Zoho latency: "
                f"{summary.counts['created']} Zoho records from {summary.counts['read']} "
                f"QuickBooks records, {len(recording.writes)} write calls",
        "value": synced, "unit": "s", "reference": reference, "ratio": synced / reference,
        "target": "<= 1.5",
    }


def run() -> list[dict[str, Any]]:
    """Zero latency (the brief's measure: every cost of ours shows) and 100 ms per call
    (closer to a real Zoho data centre, where waiting dominates)."""
    return [_measure(0.0), _measure(0.1)]


if __name__ == "__main__":
    for entry in run():
        print(entry)

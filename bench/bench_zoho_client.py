"""Zoho client benchmarks against the Zoho simulator served over real HTTP.

1. Overhead: one 100-record upsert through ``ZohoClient`` (credit meter on a real database,
   limiter, auth, retry wrapper, per-record walk) against a bare httpx POST of the same body,
   interleaved in the same run, zero simulated latency. Target: <= 1.5x.
2. Throughput: 30,000 records upserted with 200 ms latency per call against the bound
   calls x latency / slots. Zoho lets at most 10 upserts of more than 10 records run at
   once (sub-concurrency) whatever the edition's concurrency, so with concurrency 15 the
   slots are 10; a second run raises the simulator's sub-concurrency to 15 to show the
   client fills every slot it is given. Target: >= 0.85 of the bound.
3. 429s the simulator sent during the throughput runs: each one would mean our own limiter
   let too many calls through. Target: 0.
"""

from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database, ZohoConnection
from connector.zoho import (
    DEFAULT_SCOPES,
    MemoryTokenStore,
    OAuthApp,
    TokenEndpoint,
    ZohoAuth,
    ZohoClient,
)
from connector.zoho.limits import ConcurrencyLimiter, StoredCreditMeter

CLIENT_ID, SECRET = "1000.BENCH", "bench-secret"
MODULE, KEY = "Accounts", "QBD_Key"


def _records(n: int, offset: int = 0) -> list[dict[str, Any]]:
    return [{"Account_Name": f"Bench Customer {i}", KEY: f"1:{i:08d}", "Phone": "555-0100"}
            for i in range(offset, offset + n)]


def _simulator_process(options: dict[str, Any], pipe: Connection) -> None:
    """The simulated Zoho in a process of its own, as the real one is far away: its CPU
    work must not share our interpreter lock, or we would time the simulator, not us."""
    sim = ZohoSimulator(**options)
    sim.register_client(CLIENT_ID, SECRET)
    sim.add_field(MODULE, KEY, unique=True)
    refresh = sim.issue_refresh_token(CLIENT_ID, scope=",".join(DEFAULT_SCOPES))
    with sim.serve() as urls:
        pipe.send((urls.accounts_url, urls.api_url, refresh))
        pipe.recv()  # until the benchmark is done
        pipe.send(sim.count_429)
    sim.close()


@contextmanager
def _served(options: dict[str, Any], limiter: ConcurrencyLimiter
            ) -> Iterator[tuple[ZohoClient, str, Callable[[], int]]]:
    """A client (credit meter on a throw-away SQLite file) on a simulator in a subprocess;
    the third item asks the simulator how many 429s it sent."""
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=_simulator_process, args=(options, theirs), daemon=True)
    child.start()
    accounts_url, api_url, refresh = ours.recv()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.create_all()
        with db.session() as s:
            row = ZohoConnection(accounts_url=accounts_url, client_id=CLIENT_ID,
                                 refresh_token_enc="-")
            s.add(row)
            s.flush()
            connection_id = row.id
        assert connection_id is not None
        endpoint = TokenEndpoint(OAuthApp(accounts_url, CLIENT_ID, SECRET))
        auth = ZohoAuth(endpoint, refresh, MemoryTokenStore(key=f"bench-{api_url}"))
        credits = StoredCreditMeter(db, connection_id, budget=10_000_000)

        def refused() -> int:
            ours.send("done")
            return int(ours.recv())

        try:
            with ZohoClient(auth, limiter=limiter, credits=credits) as client:
                yield client, api_url, refused
        finally:
            db.dispose()
            child.join(timeout=10)
            if child.is_alive():
                child.terminate()


def _overhead() -> dict[str, Any]:
    records = _records(100)
    body = {"data": records, "trigger": [], "duplicate_check_fields": [KEY]}
    options = {"edition": "enterprise", "latency": 0.0}
    with _served(options, ConcurrencyLimiter(20)) as (client, api_url, refused):
        client.upsert(MODULE, records, duplicate_check_fields=[KEY])  # first insert + warm-up
        token = client.auth.token().access_token
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        ours: list[float] = []
        bare: list[float] = []
        with httpx.Client(base_url=api_url, headers=headers) as raw:
            for _ in range(120):
                t0 = time.perf_counter()
                results = client.upsert(MODULE, records, duplicate_check_fields=[KEY])
                t1 = time.perf_counter()
                answer = raw.post(f"/crm/v8/{MODULE}/upsert", json=body)
                answer.json()
                t2 = time.perf_counter()
                assert all(r.ok for r in results) and answer.status_code == 200
                ours.append(t1 - t0)
                bare.append(t2 - t1)
        refused()
    value, reference = statistics.median(ours) * 1000, statistics.median(bare) * 1000
    return {"name": "zoho_upsert_100_overhead_vs_bare_httpx", "value": value, "unit": "ms",
            "reference": reference, "ratio": value / reference, "target": "<= 1.5"}


def _throughput(sub_concurrency: int) -> tuple[dict[str, Any], int]:
    latency, concurrency, total = 0.2, 15, 30_000
    options = {"edition": "professional", "latency": latency,
               "concurrency_limit": concurrency, "sub_concurrency_limit": sub_concurrency}
    records = _records(total)
    limiter = ConcurrencyLimiter(concurrency, sub_concurrency)
    with _served(options, limiter) as (client, _, refused):
        t0 = time.perf_counter()
        results = client.upsert(MODULE, records, duplicate_check_fields=[KEY])
        elapsed = time.perf_counter() - t0
        count_429 = refused()
    assert sum(r.ok for r in results) == total, "every record must be saved"
    calls = -(-total // 100)
    slots = min(concurrency, sub_concurrency)
    bound_seconds = calls * latency / slots
    throughput, bound = total / elapsed, total / bound_seconds
    entry = {"name": f"zoho_upsert_30k_throughput_vs_bound_{slots}_slots", "value": throughput,
             "unit": "records/s", "reference": bound, "ratio": throughput / bound,
             "target": ">= 0.85"}
    return entry, count_429


def run() -> list[dict[str, Any]]:
    entries = [_overhead()]
    refused = 0
    for sub in (10, 15):
        entry, count = _throughput(sub)
        entries.append(entry)
        refused += count
    entries.append({"name": "zoho_self_inflicted_429s", "value": float(refused),
                    "unit": "responses", "reference": 1.0, "ratio": float(refused),
                    "target": "<= 0"})
    return entries

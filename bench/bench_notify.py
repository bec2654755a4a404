"""POST /zoho/notify: how long Zoho waits for our answer to one callback.

Zoho gives up on a slow notify URL and, after repeated failures, stops calling it; the
endpoint therefore only verifies the channel and token and stores the ids. The value is the
median time per callback (Flask test client, SQLite file database: the slower single-file
default, one commit per callback) over 300 callbacks; the reference is a 20 ms budget, a
small fraction of the seconds a callback may take, so a slow disk or a busy bridge stays safe.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connector.config import Settings
from connector.notify import hash_token
from connector.store import Database, ZohoChannel
from soap_bridge.app import create_app

BUDGET_MS = 20.0
CALLBACKS = 300
CHANNEL, TOKEN = "1000000068001", "t" * 43


def _callback(n: int) -> dict[str, Any]:
    ids = [str(5725767000001000001 + n * 10 + i) for i in range(10)]
    return {"server_time": 1772442000000, "query_params": {}, "module": "Accounts",
            "resource_uri": "https://www.zohoapis.com/crm/v8/Accounts", "ids": ids,
            "affected_fields": [{i: ["Phone"]} for i in ids], "operation": "update",
            "channel_id": CHANNEL, "token": TOKEN}


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/bench.db")
        db = Database(settings.resolved_database_url)
        db.create_all()
        with db.session() as s:
            s.add(ZohoChannel(channel_id=CHANNEL, events=["Accounts.all"], notify_url="x",
                              token_hash=hash_token(TOKEN),
                              expires_at=datetime.now(UTC) + timedelta(days=1)))
        client = create_app(settings, db=db).test_client()
        bodies = [_callback(n) for n in range(CALLBACKS)]
        client.post("/zoho/notify", json=bodies[0])  # warm up imports and the pool
        took = []
        for body in bodies:
            started = time.perf_counter()
            status = client.post("/zoho/notify", json=body).status_code
            took.append((time.perf_counter() - started) * 1000)
            assert status == 200
        db.dispose()
    median = statistics.median(took)
    return [{"name": "zoho_notify_callback_median", "value": median, "unit": "ms",
             "reference": BUDGET_MS, "ratio": median / BUDGET_MS, "target": "<= 1.0"}]


if __name__ == "__main__":
    for entry in run():
        print(entry)

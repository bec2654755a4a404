"""Zoho -> QuickBooks: what one zoho_to_qb run costs per notified Zoho edit.

bench_sync's seeded company (2,000 customers, 1,000 invoices) is read through the QBWC
service and synced to a Zoho simulator (zero latency, in-process) by ``qb_to_zoho``; then
300 Accounts get a new phone and their notifications are stored. The value is the run's time
per edit turned into a queued CustomerMod: finding each customer's newest version in the
stored responses, reading the records from Zoho, deciding field by field, queueing and
auditing. The reference is a budget
of 10 ms per record, so a catch-up of 10,000 records after a lapsed channel stays within
minutes. The bare Zoho reads of the same records are reported in the name for scale.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from sqlmodel import select

from bench.bench_sync import _world as bench_sync_world
from connector import runs
from connector.audit import audited
from connector.config import Settings
from connector.crypto import SecretBox
from connector.runs import RunEnv
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database, WriteBack, ZohoNotification
from connector.sync.zoho_fields import fetch_fields
from connector.sync.zoho_to_qb import apply_notifications
from connector.zoho import NO_RETRY
from connector.zoho.connection import open_client
from connector.zoho.fields import QBD_KEY

EDITS = 300
BUDGET_MS = 10.0


def _world(tmp: Path) -> tuple[Settings, Database, SecretBox, ZohoSimulator, dict[str, Any]]:
    """bench_sync's company, stored responses and Zoho org, synced once by qb_to_zoho."""
    settings, db, secrets, sim, company = next(bench_sync_world(tmp))
    options: dict[str, Any] = {"transport": sim.api_transport(),
                               "accounts_transport": sim.accounts_transport(), "retry": NO_RETRY}
    runs.sync_quickbooks(RunEnv.from_settings(settings, db, **options), company.name)
    return settings, db, secrets, sim, options


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings, db, secrets, sim, options = _world(Path(tmp))
        accounts = [a for a in sim.records("Accounts") if a.get(QBD_KEY)][:EDITS]
        ids = [str(a["id"]) for a in accounts]
        for n, account in enumerate(accounts):
            sim.edit_record("Accounts", account["id"], Phone=f"555-{n:04d}")
        with db.session() as s:
            for start in range(0, len(ids), 100):
                s.add(ZohoNotification(channel_id="1", module="Accounts", operation="update",
                                       ids=ids[start:start + 100],
                                       affected_fields={i: ["Phone"] for i in ids}))
        with open_client(settings, db, secrets, **options | {"retry": NO_RETRY}) as client:
            started = time.perf_counter()
            client.get_records("Accounts", ids, fetch_fields("Accounts"))
            bare = time.perf_counter() - started
            started = time.perf_counter()
            with audited(db, flow="zoho_to_qb", direction="zoho->qbd") as audit:
                apply_notifications(db, client, settings, audit)
            summary = audit.summary
            assert summary is not None
            took = time.perf_counter() - started
        with db.session() as s:
            queued = len(s.exec(select(WriteBack)).all())
        assert summary.status == "completed" and queued == EDITS, (summary.counts, queued)
        db.dispose()
    per_edit = took * 1000 / EDITS
    return [{"name": f"zoho_to_qb per notified edit ({EDITS} edits; the bare Zoho reads took "
                     f"{bare * 1000:.0f} ms in all)",
             "value": per_edit, "unit": "ms", "reference": BUDGET_MS,
             "ratio": per_edit / BUDGET_MS, "target": "<= 1.0"}]


if __name__ == "__main__":
    for entry in run():
        print(entry)

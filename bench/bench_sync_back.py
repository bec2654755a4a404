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

import time
from typing import Any

from sqlmodel import select

from bench.bench_sync import CUSTOMERS, INVOICES
from bench.world import company_world, in_process_org
from connector import runs
from connector.audit import audited
from connector.crypto import SecretBox
from connector.store import WriteBack, ZohoNotification
from connector.sync.zoho_fields import fetch_fields
from connector.sync.zoho_to_qb import apply_notifications
from connector.zoho.connection import open_client
from connector.zoho.fields import QBD_KEY

EDITS = 300
BUDGET_MS = 10.0


def run() -> list[dict[str, Any]]:
    org = in_process_org()
    sim = org.extra["simulator"]
    with company_world(org, customers=CUSTOMERS, invoices=INVOICES) as world:
        settings, db, options = world.settings, world.db, org.client_options
        runs.sync_quickbooks(world.env(), world.company.name)
        secrets = SecretBox.from_settings(settings)
        accounts = [a for a in sim.records("Accounts") if a.get(QBD_KEY)][:EDITS]
        ids = [str(a["id"]) for a in accounts]
        for n, account in enumerate(accounts):
            sim.edit_record("Accounts", account["id"], Phone=f"555-{n:04d}")
        with db.session() as s:
            for start in range(0, len(ids), 100):
                s.add(ZohoNotification(channel_id="1", module="Accounts", operation="update",
                                       ids=ids[start:start + 100],
                                       affected_fields={i: ["Phone"] for i in ids}))
        with open_client(settings, db, secrets, **options) as client:
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
    per_edit = took * 1000 / EDITS
    return [{"name": f"zoho_to_qb per notified edit ({EDITS} edits; the bare Zoho reads took "
                     f"{bare * 1000:.0f} ms in all)",
             "value": per_edit, "unit": "ms", "reference": BUDGET_MS,
             "ratio": per_edit / BUDGET_MS, "target": "<= 1.0"}]


if __name__ == "__main__":
    for entry in run():
        print(entry)

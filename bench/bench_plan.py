"""A plan of a first load into a populated org: 10,000 customers against an org that already
holds 500 Accounts of nobody's (a third matching by a Contact's e-mail, a third by a phone
typed another way, some by name only, the rest unrelated).

- ``plan_writes``: the Zoho write calls the plan made. Reference 1, ratio = the count.
  Target: 0.
- ``plan_reads_per_record``: the Zoho calls the plan made per planned record, against the
  reads matching cannot do without: the org's index (its unkeyed Accounts and their Contacts,
  2,000 a page) and the key lookups (50 keys a COQL call), per
  planned record. The rest is the org's metadata and profile. Target: <= 1.2.
"""

from __future__ import annotations

import math
import time
from typing import Any

from bench.bench_sync import Recording
from bench.world import company_world, in_process_org
from connector import runs
from connector.phones import e164
from connector.sandbox.zoho import ZohoSimulator
from connector.zoho.coql import COQL_MAX_IN, COQL_MAX_ROWS

CUSTOMERS, INVOICES, ACCOUNTS = 10_000, 1000, 500


def _populate(sim: ZohoSimulator, customers: list[Any], accounts: int) -> int:
    """Pre-existing Accounts overlapping the customers; how many Contacts they got."""
    contacts = 0
    for n in range(accounts):
        c = customers[n % len(customers)] if n < accounts * 5 // 6 else None
        fields = c.fields if c is not None else {}
        if c is not None and n % 3 == 0 and fields.get("Email"):
            account = sim.create_record("Accounts", Account_Name=f"Old {n}")
            sim.create_record("Contacts", Last_Name="Old", Email=fields["Email"],
                              Account_Name={"id": account["id"]})
            contacts += 1
        elif c is not None and n % 3 == 1 and fields.get("Phone"):
            digits = (e164(fields["Phone"]) or "")[2:]
            sim.create_record("Accounts", Account_Name=f"Old {n}",
                              Phone=f"({digits[:3]}) {digits[3:6]}-{digits[6:]}")
        elif c is not None:
            sim.create_record("Accounts", Account_Name=c.name)
        else:
            sim.create_record("Accounts", Account_Name=f"Prospect {n}")
    return contacts


def measure(customers: int = CUSTOMERS, invoices: int = INVOICES,
            accounts: int = ACCOUNTS) -> list[dict[str, Any]]:
    org = in_process_org()
    sim: ZohoSimulator = org.extra["simulator"]
    with company_world(org, customers=customers, invoices=invoices) as world:
        tops = [c for c in world.qb.company.listed("Customer") if c.parent_id is None]
        contacts = _populate(sim, tops, accounts)
        recording = Recording(org.client_options["transport"])
        env = runs.RunEnv.from_settings(world.settings, world.db,
                                        **org.client_options | {"transport": recording})
        started = time.perf_counter()
        made = runs.plan_sync(env, world.company.name)
        took = time.perf_counter() - started
    if made.plan is None:
        raise RuntimeError(made.run.summary.markdown())
    rows = len(made.rows)
    needed = (math.ceil(accounts / COQL_MAX_ROWS) + math.ceil(max(contacts, 1) / COQL_MAX_ROWS)
              + math.ceil(len(tops) / COQL_MAX_IN))
    totals = ", ".join(f"{n} {a}" for a, n in made.plan.totals.items())
    return [
        {"name": "plan_writes", "value": len(recording.writes), "unit": "write calls",
         "reference": 1, "ratio": len(recording.writes), "target": "<= 0",
         "detail": f"plan of {rows} records ({totals}) in {took:.1f} s"},
        {"name": "plan_reads_per_record", "value": len(recording.calls) / rows,
         "unit": "calls/record", "reference": needed / rows,
         "ratio": len(recording.calls) / needed, "target": "<= 1.2",
         "detail": f"{len(recording.calls)} calls for {rows} planned records against "
                   f"{needed} (index of {accounts} Accounts and {contacts} Contacts, key "
                   f"lookups of {len(tops)} customers)"},
    ]


def run() -> list[dict[str, Any]]:
    return measure()


if __name__ == "__main__":
    for entry in run():
        print(entry)

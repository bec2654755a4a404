"""Memory of a first load that grows ten times: 50,000 customers / 100,000 invoices vs
5,000 / 10,000 (two lines each).

Each company is seeded, read through the QBWC service into a fresh SQLite store and connected
to its own Zoho simulator, served from a process of its own at zero latency. The first load
(``runs.sync_quickbooks``) then runs in a fresh process whose peak resident memory (Linux
``VmHWM``) is the value: the reference is the small company's. Reading responses a chunk at a
time, flushing links and audit events per chunk, must keep memory flat whatever the size.
Target: <= 1.5. The big load's wall time is reported beside it.
"""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

from bench.procs import peak_kb
from bench.world import company_world, served_org
from connector import runs
from connector.config import Settings
from connector.store import Database

SMALL, BIG = (5_000, 10_000), (50_000, 100_000)
# Two lines an invoice (a product and a tax or discount line, or two products) keep the big
# load near ten minutes on two cores; every invoice still carries Invoiced_Items.
LINES = 2


def _sync_process(settings: dict[str, Any], company: str, pipe: Connection) -> None:
    """The first load alone in this process; answers (peak kB, seconds, counts)."""
    import os

    config = Settings(**settings)
    db = Database(config.resolved_database_url)
    started = time.perf_counter()
    summary = runs.sync_quickbooks(runs.RunEnv.from_settings(config, db), company).summary
    took = time.perf_counter() - started
    pipe.send((peak_kb(os.getpid()), took, summary.status, dict(summary.counts)))


def _first_load(customers: int, invoices: int) -> tuple[float, float, dict[str, int], float]:
    """(peak MB, seconds, counts, seconds to seed and read the company) of one first load."""
    started = time.perf_counter()
    with served_org() as org, company_world(org, customers=customers, invoices=invoices,
                                            lines=LINES) as world:
        prepared = time.perf_counter() - started
        s = world.settings
        settings = {"data_dir": s.data_dir, "database_url": s.resolved_database_url,
                    "secret_key": s.secret_key, "zoho_daily_credit_budget": 100_000_000,
                    "log_level": "WARNING"}
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        child = context.Process(target=_sync_process,
                                args=(settings, world.company.name, theirs))
        child.start()
        peak, took, status, counts = ours.recv()
        child.join()
    if status != "completed" or peak is None:
        raise RuntimeError(f"the first load ended {status} (peak {peak}): {counts}")
    return peak / 1024, took, counts, prepared


def run() -> list[dict[str, Any]]:
    small_mb, small_s, small, _ = _first_load(*SMALL)
    big_mb, big_s, big, prepared = _first_load(*BIG)
    return [{"name": "big_company_rss", "value": big_mb, "unit": "MB", "reference": small_mb,
             "ratio": big_mb / small_mb, "target": "<= 1.5",
             "detail": f"first load of {big['read']} QuickBooks records ({big['created']} Zoho "
                       f"records) in {big_s:.0f} s, peak {big_mb:.0f} MB; of {small['read']} "
                       f"records in {small_s:.0f} s, peak {small_mb:.0f} MB (seeding and "
                       f"reading the big company took {prepared:.0f} s more)"}]


if __name__ == "__main__":
    for entry in run():
        print(entry)

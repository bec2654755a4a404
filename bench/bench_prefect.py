"""Prefect's share of a QuickBooks -> Zoho cycle of 10,000 records.

A seeded company (4,000 customers, 6,000 invoices) is read once into a SQLite store. Every
timed run starts from its own page-for-page copy of that store, connected to its own Zoho
simulator served from a process of its own at zero latency, so each run syncs the same
10,000 records into an empty org. A run is either the library call the CLI makes
(``runs.sync_quickbooks`` on an environment built from the ``MLC_*`` settings) or the
``qb-to-zoho`` flow for that company (its task, progress artifact and logs, the connector's
log lines shipped to the API, the audit artifact), which builds the same environment from
the same settings. Both run in this process under one temporary Prefect server, warm: each
side has first run once on a tiny company (Prefect's one-off start is not counted; a process
work pool's worker also starts a process per flow run: not counted either).

``REPETITIONS`` pairs run interleaved, the pair's order alternating (library first, then
flow first), so a drift of the machine's load reaches both sides alike. Each side counts its
fastest run, as timeit does: on this shared 2-core machine interference (other processes,
the simulator and server competing for the cores) only ever adds time, so the fastest run is
the closest to what the code costs, while a median still carries noise whenever half the runs
are disturbed. Both sides have the same number of tries, so neither is favoured. The value is
(flow - library) / flow; ``detail`` gives each side's range and the range of the pairs'
shares. Target: <= 0.05.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.world import (
    StoredCompany,
    World,
    company_world,
    copied_world,
    served_org,
    stored_company,
)
from connector import runs
from connector.config import Settings

CUSTOMERS, INVOICES = 4000, 6000
REPETITIONS = 4


@contextmanager
def _mlc_environment(settings: Settings) -> Iterator[None]:
    """The flow builds its run environment from MLC_* variables: those of ``settings``."""
    saved = dict(os.environ)
    key = settings.secret_key.get_secret_value() if settings.secret_key else ""
    os.environ.update({"MLC_DATA_DIR": str(settings.data_dir),
                       "MLC_DATABASE_URL": settings.resolved_database_url,
                       "MLC_SECRET_KEY": key, "MLC_ZOHO_DAILY_CREDIT_BUDGET": "10000000",
                       "MLC_LOG_LEVEL": "WARNING"})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _library(world: World) -> int:
    # The environment the CLI builds: its own engine on the store, as the flow's.
    env = runs.RunEnv.from_settings(Settings())
    try:
        summary = runs.sync_quickbooks(env, world.company.name).summary
    finally:
        env.db.dispose()
    if summary.status != "completed":
        raise RuntimeError(summary.markdown())
    return int(summary.counts["read"])


def _flow(world: World) -> int:
    from flows.qb_to_zoho import qb_to_zoho

    state = qb_to_zoho(company=world.company.name, return_state=True)
    results: Any = state.result()
    outcome: dict[str, Any] = results[world.company.name]
    if outcome["status"] != "completed":
        raise RuntimeError(str(outcome))
    return int(outcome["read"])


Sync = Callable[[World], int]


def _timed(sync: Sync, world: World) -> tuple[float, int]:
    with _mlc_environment(world.settings):
        started = time.perf_counter()
        read = sync(world)
        return time.perf_counter() - started, read


def _warm_up(sync: Sync) -> None:
    with served_org() as org, company_world(org, customers=10, invoices=10) as world:
        _timed(sync, world)


def _repeat(stored: StoredCompany) -> tuple[dict[Sync, list[float]], int]:
    """Each side's times, and the records every run read (all the same, or it raises)."""
    times: dict[Sync, list[float]] = {_library: [], _flow: []}
    reads: set[int] = set()
    for repetition in range(REPETITIONS):
        order = (_library, _flow) if repetition % 2 == 0 else (_flow, _library)
        for sync in order:
            with served_org() as org, copied_world(stored, org) as world:
                seconds, read = _timed(sync, world)
            times[sync].append(seconds)
            reads.add(read)
    if len(reads) != 1:
        raise RuntimeError(f"the runs read different numbers of records: {sorted(reads)}")
    return times, reads.pop()


def _spread(times: list[float]) -> str:
    return f"{min(times):.2f}-{max(times):.2f} s (median {statistics.median(times):.2f})"


def run() -> list[dict[str, Any]]:
    from prefect.testing.utilities import prefect_test_harness

    with stored_company(customers=CUSTOMERS, invoices=INVOICES) as stored, \
            prefect_test_harness(server_startup_timeout=120):
        _warm_up(_library)
        _warm_up(_flow)
        times, read = _repeat(stored)
    library, flow = min(times[_library]), min(times[_flow])
    share = (flow - library) / flow
    pairs = [(f - lib) / f for lib, f in zip(times[_library], times[_flow], strict=True)]
    return [{"name": "prefect_overhead", "value": share, "unit": "share", "reference": 1.0,
             "ratio": share, "target": "<= 0.05",
             "detail": f"{read} QuickBooks records, fastest of {REPETITIONS} interleaved runs "
                       f"each: qb-to-zoho flow {flow:.2f} s, the same library call "
                       f"{library:.2f} s; flow runs {_spread(times[_flow])}, library runs "
                       f"{_spread(times[_library])}; the pairs' shares "
                       f"{min(pairs):.3f} to {max(pairs):.3f}"}]


if __name__ == "__main__":
    for entry in run():
        print(entry)

"""(a) Zoho fails about one call in ten -- 5xx, late answers, 429 with Retry-After, access
tokens expiring mid-batch -- during a first load and a later delta. Once the storm stops,
sessions and runs until quiet converge: no duplicates, no lost edits, nothing divergent, and
every injected failure left a retry or a failed run behind."""

from __future__ import annotations

import random

import pytest

from connector.sandbox.zoho.limits import Storm
from soap_bridge.app import create_app
from tests.bridge.conftest import LiveServer
from tests.sync.conftest import World

from .checker import FULL, RESULTS, Checker, Figures, chaos_seed


def _storm_run(world: World, *, customers: int, invoices: int, edits: int, rounds: int,
               name: str) -> Figures:
    seed = chaos_seed()
    rng = random.Random(seed)
    figures = Figures(name, seed)
    # Short client timeouts so a held answer is a timeout, and the retry is what saves it.
    world.settings = world.settings.model_copy(update={"zoho_timeout_seconds": 0.5})
    books = world.add_books("Acme", customers=customers, invoices=invoices, seed=seed % 1000)
    server = LiveServer(create_app(world.settings, db=world.db, clock=world.clock))
    storms: list[Storm] = []
    try:
        check = Checker(world, books, server.qbwc_url)
        storms.append(world.sim.faults.start_storm(0.1, seed, timeout_seconds=0.8))
        for _ in range(rounds):  # the first load, under the storm
            check.session()
            check.run()
        names = sorted(c.name for c in books.qb.company.records.values()
                       if c.kind == "Customer" and c.parent_id is None)
        for picked in rng.sample(names, min(edits, len(names))):  # the delta
            record = books.qb.company.modify_customer(
                picked, Phone=f"555-{rng.randrange(10000):04d}")
            check.edited.add(record.list_id)
        for _ in range(rounds):
            check.session()
            check.run()
        assert check.edited, "the delta edited nothing"
        world.sim.faults.stop_storm()
        failed_runs = check.failed_runs()
        retried = check.retried_in_audit()
        check.converge(figures)
        check.compare(figures)
    finally:
        world.sim.faults.stop_storm()
        server.stop()
    figures.injected = sum(len(s.injected) for s in storms)
    # Each injected fault must have left a retry counted in its run's audit unit, or a failed
    # run, behind.
    figures.invisible_failures = max(0, figures.injected - retried - failed_runs)
    RESULTS.append(figures)
    return figures


@pytest.mark.slow
def test_short_zoho_storm_converges(served_world: World) -> None:
    figures = _storm_run(served_world, customers=12, invoices=8, edits=4, rounds=2,
                         name="a: zoho storm (short)")
    assert figures.clean, figures.details[:20]


@pytest.mark.chaos
def test_zoho_storm_converges(served_world: World) -> None:
    figures = _storm_run(served_world, customers=60 if FULL else 25,
                         invoices=40 if FULL else 15, edits=15, rounds=4,
                         name="a: zoho storm")
    assert figures.clean, figures.details[:20]

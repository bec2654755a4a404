"""The bounds ``make bench`` measures the first load against, on hand-made call lists."""

from __future__ import annotations

from typing import Any

from bench.bench_sync import dependency_rounds, lower_bounds
from connector.zoho.limits import edition

PRO = edition("professional")


def _upserts(module: str, n: int) -> list[tuple[str, str, Any]]:
    return [("POST", f"/{module}/upsert", {"data": [{"x": i} for i in range(100)]})] * n


def test_dependency_rounds_count_the_chain_when_slots_are_free() -> None:
    calls = [("GET", "/org", None), *_upserts("Accounts", 1), *_upserts("Contacts", 1),
             *_upserts("Invoices", 1)]
    assert dependency_rounds(calls, PRO) == 4  # a read, then each level waiting for the last


def test_dependency_rounds_count_the_slots_when_calls_are_many() -> None:
    calls = _upserts("Accounts", 35)  # 35 heavy calls, 10 at once
    assert dependency_rounds(calls, PRO) == 1 + 4
    calls += _upserts("Deals", 5)  # the Deals fit beside the last Accounts
    assert dependency_rounds(calls, PRO) == 1 + 4
    calls += _upserts("Deals", 1)
    assert dependency_rounds(calls, PRO) == 1 + 5


def test_lower_bounds_count_upserts_and_relations() -> None:
    composite = {"__composite_requests": [
        {"uri": f"/crm/v8/Deals/{d}/Products", "body": {"data": [{"id": "9"}]}}
        for d in range(5)]}
    bounds = lower_bounds([*_upserts("Deals", 2), ("POST", "/__composite_requests", composite)])
    assert (bounds.issues, bounds.tight) == (2 + 40, 2 + 1)

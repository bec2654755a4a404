from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import pytest

from connector.store import Database, ZohoConnection
from connector.zoho.errors import CreditBudgetExceeded
from connector.zoho.limits import (
    ConcurrencyLimiter,
    StoredCreditMeter,
    coql_cost,
    credit_usage,
    edition,
    write_cost,
)

DAY = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _connection(db: Database) -> int:
    with db.session() as s:
        row = ZohoConnection(accounts_url="https://accounts.zoho.com", client_id="c",
                             refresh_token_enc="x")
        s.add(row)
        s.flush()
        assert row.id is not None
        return row.id


def _hammer(limiter: ConcurrencyLimiter, heavy: bool, threads: int) -> None:
    def work() -> None:
        with limiter.slot(heavy):
            time.sleep(0.01)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def test_limiter_never_exceeds_the_org_concurrency() -> None:
    limiter = ConcurrencyLimiter(4, sub_concurrency=10)
    _hammer(limiter, heavy=False, threads=20)
    assert limiter.max_in_flight == 4 and limiter.in_flight == 0


def test_heavy_calls_also_respect_sub_concurrency() -> None:
    limiter = ConcurrencyLimiter(15, sub_concurrency=3)
    _hammer(limiter, heavy=True, threads=12)
    assert limiter.max_in_flight == 3


def test_edition_table_and_unknown_editions_fall_back_to_free() -> None:
    assert [edition(e).concurrency for e in
            ("free", "standard", "professional", "enterprise", "ultimate")] == [5, 10, 15, 20, 25]
    assert edition("Zoho One").concurrency == 20
    assert edition("something new").key == "free"
    assert not edition("standard").has_invoices and edition("professional").has_invoices


def test_costs_follow_zohos_credit_table() -> None:
    assert write_cost(100).credits == 10 and write_cost(100).heavy
    assert write_cost(10).credits == 1 and not write_cost(10).heavy
    assert [coql_cost(n).credits for n in (200, 201, 1000, 2000)] == [1, 2, 2, 3]


def test_credit_meter_stops_before_the_budget_runs_out(sqlite_db: Database) -> None:
    meter = StoredCreditMeter(sqlite_db, _connection(sqlite_db), budget=25, clock=lambda: DAY,
                              block=10)
    for _ in range(2):
        meter.charge(10)
    with pytest.raises(CreditBudgetExceeded, match="25 Zoho API credits") as info:
        meter.charge(10)
    assert info.value.code == "CREDIT_BUDGET"
    meter.charge(5)  # exactly what is left still goes through


def test_credit_usage_is_shared_between_processes_through_the_store(db: Database) -> None:
    cid = _connection(db)
    first = StoredCreditMeter(db, cid, budget=30, clock=lambda: DAY, block=1)
    second = StoredCreditMeter(db, cid, budget=30, clock=lambda: DAY, block=1)
    first.charge(20)
    with pytest.raises(CreditBudgetExceeded):
        second.charge(11)
    second.charge(10)
    assert credit_usage(db, cid, date(2026, 3, 2)) == 30


def test_release_gives_back_reserved_but_unspent_credits(db: Database) -> None:
    cid = _connection(db)
    meter = StoredCreditMeter(db, cid, budget=1000, clock=lambda: DAY, block=100)
    meter.charge(3)
    assert credit_usage(db, cid, DAY.date()) == 100  # a block reserved ahead
    meter.release()
    assert credit_usage(db, cid, DAY.date()) == 3


def test_a_new_day_starts_a_new_budget(sqlite_db: Database) -> None:
    now = {"t": DAY}
    meter = StoredCreditMeter(sqlite_db, _connection(sqlite_db), budget=10,
                              clock=lambda: now["t"], block=1)
    meter.charge(10)
    now["t"] = DAY.replace(day=3)
    meter.charge(10)

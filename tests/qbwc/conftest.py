"""The QBWC service tests share one company file, clock, tuned settings and seeded QuickBooks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connector.config import Settings
from connector.qbwc import add_company
from connector.qbwc.service import QbwcService
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.store import Database
from tests.qbwc.driver import Clock

QBW = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Acme.qbw"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tuned(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_returned_customers": 7, "max_returned_invoices": 4,
                                       "max_returned_items": 50, "min_poll_seconds": 0})


@pytest.fixture
def service(db: Database, tuned: Settings, clock: Clock) -> QbwcService:
    add_company(db, "Acme", "acme", "pw", company_file=QBW)
    return QbwcService(db, tuned, clock=clock)


@pytest.fixture
def qb(clock: Clock) -> QuickBooksSimulator:
    sim = QuickBooksSimulator(QBW, clock=lambda: clock.now - timedelta(minutes=5))
    seed_company(sim, customers=20, invoices=9, lines_per_invoice=3, seed=7)
    return sim

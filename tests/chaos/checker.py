"""The chaos checker: drive both directions until quiet, then compare the two systems.

Figures: duplicates (a QBD key held by two Zoho records), lost edits (an edit made on one side
missing on the other), divergent fields (a mapped field differing), and failures not visible
(faults injected during the scenario that left no retry and no failed run behind).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import select

from connector import runs
from connector.mapping.accounts import map_account
from connector.mapping.deals import deal_name
from connector.mapping.keys import ACCOUNT, DEAL, company_scope, qbd_key
from connector.qbxml.builders import customer_query, invoice_query
from connector.qbxml.models import Customer, Invoice
from connector.qbxml.parse import iter_records
from connector.sandbox.webconnector import WebConnector
from connector.store import AuditRun
from connector.zoho.fields import QBD_KEY
from tests.sync.conftest import PASSWORD, Books, World

DEFAULT_SEED = 20261203
FULL = os.environ.get("MLC_CHAOS_SIZE") == "full"
RESULTS: list[Figures] = []


def chaos_seed() -> int:
    return int(os.environ.get("MLC_CHAOS_SEED", DEFAULT_SEED))


@dataclass
class Figures:
    scenario: str
    seed: int
    duplicates: int = 0
    lost_edits: int = 0
    divergent: int = 0
    invisible_failures: int = 0
    injected: int = 0
    rounds: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.lost_edits or self.divergent
                    or self.invisible_failures)


def figures_table(rows: list[Figures]) -> list[str]:
    """The figures of every scenario that ran, one line each, under a header."""
    lines = [f"chaos figures (seed {chaos_seed()}; MLC_CHAOS_SEED overrides):",
             (f"{'scenario':<34}{'seed':>10}{'injected':>10}{'rounds':>8}{'dupl':>6}"
              f"{'lost':>6}{'diverg':>8}{'invisible':>11}")]
    lines += [f"{f.scenario:<34}{f.seed:>10}{f.injected:>10}{f.rounds:>8}{f.duplicates:>6}"
              f"{f.lost_edits:>6}{f.divergent:>8}{f.invisible_failures:>11}" for f in rows]
    return lines


def _same(zoho: Any, expected: Any) -> bool:
    if expected in (None, "") and zoho in (None, "", []):
        return True
    if isinstance(expected, Decimal) or (isinstance(zoho, float | int) and not isinstance(
            zoho, bool)):
        try:
            return Decimal(str(zoho)) == Decimal(str(expected))
        except ArithmeticError:
            return False
    if isinstance(expected, dict) and isinstance(zoho, dict):
        return all(_same(zoho.get(k), v) for k, v in expected.items())
    return bool(zoho == expected)


class Checker:
    def __init__(self, world: World, books: Books, qbwc_url: str) -> None:
        self.world, self.books, self.qbwc_url = world, books, qbwc_url
        self.scope = company_scope(books.company.file_id)
        self.edited: set[str] = set()  # QuickBooks ids edited during the scenario

    # ---- driving ---------------------------------------------------------------------
    def connector(self) -> WebConnector:
        return WebConnector(self.qbwc_url, self.books.name.lower(), PASSWORD, self.books.qb)

    def session(self) -> None:
        with self.connector() as wc:
            wc.run_session()

    def run(self) -> runs.RunResult:
        return self.world.run(self.books.name)

    def converge(self, figures: Figures, *, max_rounds: int = 6) -> None:
        """Sessions and runs both ways until the systems agree (bounded)."""
        for round_ in range(1, max_rounds + 1):
            self.session()
            self.run()
            self.world.sim.wait_for_notifications()
            runs.sync_back(self.world.run_env(), "default", self.books.name)
            figures.rounds = round_
            if self.compare(Figures(figures.scenario, figures.seed)).clean and round_ > 1:
                return

    # ---- comparing -------------------------------------------------------------------
    def _query(self, request: str) -> list[Any]:
        qb = self.books.qb
        qb.begin_session()
        try:
            return list(iter_records(qb.handle(request)))
        finally:
            qb.end_session()

    def compare(self, figures: Figures) -> Figures:
        customers = [r for r in self._query(customer_query("1", iterator=False,
                                                           max_returned=100000))
                     if isinstance(r, Customer)]
        invoices = [r for r in self._query(invoice_query("1", iterator=False,
                                                         max_returned=100000))
                    if isinstance(r, Invoice)]
        accounts = self.world.records("Accounts")
        deals = self.world.records("Deals")
        by_key: dict[str, list[dict[str, Any]]] = {}
        for record in accounts + deals:
            if record.get(QBD_KEY):
                by_key.setdefault(str(record[QBD_KEY]), []).append(record)
        figures.duplicates += sum(len(v) - 1 for v in by_key.values() if len(v) > 1)
        for customer in customers:
            if customer.is_job:
                continue
            expected = map_account(customer, self.scope).payload
            self._one(figures, customer.list_id, expected,
                      by_key.get(qbd_key(self.scope, customer.list_id, ACCOUNT), []))
        for invoice in invoices:
            expected = {"Deal_Name": deal_name(invoice)}
            self._one(figures, invoice.txn_id, expected,
                      by_key.get(qbd_key(self.scope, invoice.txn_id, DEAL), []))
        return figures

    def _one(self, figures: Figures, qb_id: str, expected: dict[str, Any],
             found: list[dict[str, Any]]) -> None:
        if not found:
            figures.divergent += 1
            figures.lost_edits += qb_id in self.edited
            figures.details.append(f"{qb_id}: no Zoho record")
            return
        record = found[0]
        wrong = [name for name, value in expected.items()
                 if name != QBD_KEY and not _same(record.get(name), value)]
        figures.divergent += len(wrong)
        if wrong and qb_id in self.edited:
            figures.lost_edits += 1
        for name in wrong:
            figures.details.append(f"{qb_id}.{name}: Zoho {record.get(name)!r} "
                                   f"!= QuickBooks {expected[name]!r}")

    def retried_in_audit(self) -> int:
        """Zoho calls the runs tried again, as their audit units count them."""
        with self.world.db.session() as s:
            return sum(int(run.counts.get("retried", 0))
                       for run in s.exec(select(AuditRun)).all())

    def failed_runs(self) -> int:
        with self.world.db.session() as s:
            return sum(1 for run in s.exec(select(AuditRun)).all()
                       if run.status in ("failed", "completed_with_errors", "abandoned"))

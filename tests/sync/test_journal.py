"""What a run's journal says in the log about records written not exactly as QuickBooks has
them: the first few of each kind one by one, the rest as a count per chunk."""

from __future__ import annotations

import logging

import pytest

from connector.audit import AuditRecorder
from connector.mapping.keys import INVOICE
from connector.store import Database
from connector.sync.journal import NOTICES_LOGGED, Journal


def test_the_first_notices_of_each_kind_are_logged_and_the_rest_counted_per_chunk(
        db: Database, caplog: pytest.LogCaptureFixture) -> None:
    recorder = AuditRecorder(db, flow="qb_to_zoho", direction="qbd->zoho")
    journal = Journal(recorder, company="Acme", max_attempts=3)
    caplog.set_level(logging.INFO, logger="connector")
    for n in range(NOTICES_LOGGED + 3):
        journal.warning(INVOICE, f"1-{n}", "1", "z", "ADJUSTMENT", f"adjusted by {n}")
    journal.warning(INVOICE, "2-0", "1", "z", "TRUNCATED", "memo cut")
    journal.settle([], {})
    journal.warning(INVOICE, "1-9", "1", "z", "ADJUSTMENT", "adjusted by 9")
    journal.settle([], {})
    journal.settle([], {})

    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert lines == [
        *(f"company Acme: InvoiceDoc 1-{n}: [ADJUSTMENT] adjusted by {n}"
          for n in range(NOTICES_LOGGED)),
        "company Acme: InvoiceDoc 2-0: [TRUNCATED] memo cut",
        ("company Acme: 3 more record(s) written not exactly as QuickBooks has them "
         f"(ADJUSTMENT x3): `ml-connector audit show {recorder.run_id}` lists each"),
        ("company Acme: 1 more record(s) written not exactly as QuickBooks has them "
         f"(ADJUSTMENT x1): `ml-connector audit show {recorder.run_id}` lists each")]
    # The audit keeps every one.
    assert recorder.counts["warnings"] == NOTICES_LOGGED + 5

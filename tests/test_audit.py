from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from connector.audit import (
    _VALUE_CHARS,
    AuditRecorder,
    describe_error,
    list_runs,
    run_events,
    short_value,
)
from connector.qbwc import add_company
from connector.store import Database


def test_a_run_records_counts_events_and_status(db: Database) -> None:
    company = add_company(db, "Acme", "acme", "pw")
    audit = AuditRecorder(db, flow="qb_to_zoho", direction="qbd->zoho", company_id=company.id)
    audit.count("read", 3)
    audit.count("created")
    audit.event("created", qb_type="Customer", qb_id="80000001-1", edit_sequence="17",
                zoho_module="Accounts", zoho_id="z1", changed_fields=["Account_Name", "Phone"])
    audit.count("failed")
    audit.event("failed", qb_type="Invoice", qb_id="1A-1", error_code="INVALID_DATA",
                error_message="invalid data | Account_Name")
    summary = audit.finish()
    assert summary.status == "completed_with_errors"
    assert (
        summary.counts["read"] == 3
        and summary.counts["created"] == 1
        and summary.counts["conflicts"] == 0
    )
    assert [e.qb_id for e in summary.failures] == ["1A-1"]
    assert "| 3 | 1 | 0 | 0 | 0 | 0 | 1 |" in summary.markdown()
    assert "invalid data / Account_Name" in summary.markdown()
    events = run_events(db, summary.run_id)
    assert events[0].changed_fields == ["Account_Name", "Phone"] and events[0].zoho_id == "z1"


def test_a_failed_run_keeps_its_reason(db: Database) -> None:
    audit = AuditRecorder(db, flow="renew_channels", direction="zoho")
    summary = audit.finish(error="[INVALID_TOKEN] refresh token revoked")
    assert summary.status == "failed" and "refresh token revoked" in summary.markdown()


def test_runs_are_listed_newest_first_and_per_company(db: Database) -> None:
    a = add_company(db, "A", "a", "pw")
    b = add_company(db, "B", "b", "pw")
    for company in (a, b, a):
        AuditRecorder(db, flow="qb_to_zoho", direction="qbd->zoho", company_id=company.id).finish()
    runs = list_runs(db)
    assert [r.company for r in runs] == ["A", "B", "A"] and runs[0].run_id > runs[-1].run_id
    assert [r.company for r in list_runs(db, company_id=b.id)] == ["B"]


def test_many_events_are_flushed_in_batches(db: Database) -> None:
    audit = AuditRecorder(db, flow="backfill", direction="qbd->zoho")
    for i in range(1203):
        audit.event("unchanged", qb_type="Customer", qb_id=str(i))
    audit.finish()
    assert len(run_events(db, audit.run_id, limit=5000)) == 1203


@pytest.mark.parametrize(("value", "kept"), [
    ("Acme", "Acme"), ("x" * 300, "x" * (_VALUE_CHARS - 1) + "…"), (True, True), (3, 3),
    (None, None), ({"id": "1"}, '{"id": "1"}'), (Decimal("1.50"), '"1.50"')])
def test_the_audit_keeps_scalars_and_cuts_long_text(value: object, kept: object) -> None:
    assert short_value(value) == kept


def test_a_database_error_is_described_without_its_statement_or_data(db: Database) -> None:
    with pytest.raises(DBAPIError) as caught, db.session() as s:
        s.execute(text("INSERT INTO no_such_table VALUES (:name)"), {"name": "Dvořák Musik"})
    assert "Dvořák" not in str(caught.value)  # the engine hides parameters everywhere
    described = describe_error(caught.value)
    assert described.startswith(f"{type(caught.value).__name__}: ")
    assert "no_such_table" in described and "INSERT" not in described

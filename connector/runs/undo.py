"""``undo``: take back what one QuickBooks -> Zoho run wrote, as an audited run of its own,
holding the company's sync lease (no sync writes the same records meanwhile)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from connector.audit import AuditRecorder
from connector.runs.env import RunEnv, UseCase
from connector.runs.exclusive import run_exclusive
from connector.runs.result import RunResult
from connector.runs.usecases import company_connection
from connector.store import ZohoConnection
from connector.store.rows import require_id
from connector.undo import UndoPlan, apply_undo, mark_undo, plan_undo, undoable
from connector.zoho.client import ZohoClient
from connector.zoho.org_state import org_meta

__all__ = ["UndoResult", "plan_undo_run", "undo_run"]


@dataclass(frozen=True)
class UndoResult:
    run: RunResult
    plan: UndoPlan | None = None


def _plan(env: RunEnv, client: ZohoClient, connection: ZohoConnection, run_id: int) -> UndoPlan:
    meta = org_meta(env.db, client, require_id(connection), now=env.clock(),
                    max_age=env.settings.metadata_max_age)
    return plan_undo(env.db, client, run_id, modules=set(meta.modules))


def plan_undo_run(env: RunEnv, run_id: int) -> UndoPlan:
    """What undoing run ``run_id`` would do now (reads Zoho; writes nothing, audits nothing)."""
    _, company = undoable(env.db, run_id)
    connection = company_connection(env, company)
    with env.connect(connection.name) as client:
        return _plan(env, client, connection, run_id)


def undo_run(env: RunEnv, run_id: int) -> UndoResult:
    """Undo run ``run_id``: planned again under the lease, then done, step by step audited.
    A run that cannot be undone raises ``UndoRefused`` before any run is recorded."""
    _, company = undoable(env.db, run_id)
    company_id = require_id(company)
    made: list[UndoPlan] = []

    def body(audit: AuditRecorder, check: Callable[[], None]) -> None:
        mark_undo(env.db, audit, run_id)
        connection = company_connection(env, company)
        with env.connect(connection.name) as client:
            plan = _plan(env, client, connection, run_id)
            made.append(plan)
            check()
            apply_undo(env.db, client, plan, audit)

    result = run_exclusive(env, UseCase.UNDO, scope=f"company:{company_id}",
                           target=company.name, company_id=company_id, body=body)
    return UndoResult(result, made[0] if made else None)

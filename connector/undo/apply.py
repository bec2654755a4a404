"""Do what an undo plan says, each step audited: delete (to Zoho's recycle bin), restore,
forget links. A step Zoho refuses is recorded as failed and keeps its link, so undoing the
run again (allowed while no undo of it completed cleanly) tries it once more."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete as sql_delete
from sqlalchemy import update
from sqlmodel import col, select

from connector.audit import AuditRecorder
from connector.mapping.payload import content_hash, field_hashes
from connector.store import AuditRun, Database, RecordLink
from connector.undo.plan import DELETE_ORDER, UndoPlan, UndoStep
from connector.zoho.client import ZohoClient
from connector.zoho.records import RecordFailed, RecordResult

__all__ = ["apply_undo", "mark_undo"]


def mark_undo(db: Database, audit: AuditRecorder, run_id: int) -> None:
    """The audit run ``audit`` is the undo of ``run_id``."""
    with db.session() as s:
        s.execute(update(AuditRun).where(col(AuditRun.id) == audit.run_id)
                  .values(undoes_run_id=run_id))


def _event(audit: AuditRecorder, action: str, step: UndoStep, *,
           failed: RecordFailed | None = None) -> None:
    error = failed.error if failed is not None else None
    audit.event("failed" if error else action, qb_type=step.qb_type, qb_id=step.qb_id,
                qb_name=step.name, zoho_module=step.zoho_module, zoho_id=step.zoho_id,
                changed_fields=sorted(step.restore), values=step.restore or None,
                error_code=error.code if error else None,
                error_message=(f"{action}: {error.message}" if error else step.reason))


def _forget(db: Database, company_id: int, steps: Sequence[UndoStep]) -> None:
    """Remove the links the steps name, where they still point at the step's record."""
    with db.session() as s:
        for step in steps:
            for qb_type, qb_id in step.unlink:
                query = (sql_delete(RecordLink).where(col(RecordLink.company_id) == company_id)
                         .where(col(RecordLink.qb_type) == qb_type)
                         .where(col(RecordLink.qb_id) == qb_id))
                if qb_type != "Job" and step.zoho_id:
                    query = query.where(col(RecordLink.zoho_id) == step.zoho_id)
                s.execute(query)


def _relink(db: Database, company_id: int, steps: Sequence[UndoStep]) -> None:
    """An updated record given its old values back: its link says Zoho holds them now, so
    their echo is known for ours and a later QuickBooks change is compared with them."""
    with db.session() as s:
        for step in steps:
            if step.unlink or not step.qb_type or not step.restore:
                continue
            link = s.exec(select(RecordLink).where(RecordLink.company_id == company_id)
                          .where(RecordLink.qb_type == step.qb_type)
                          .where(RecordLink.qb_id == step.qb_id)).first()
            if link is None:
                continue
            hashes = {**link.field_hashes, **field_hashes(step.restore)}
            values = {**(link.field_values or {}), **step.restore}
            link.field_hashes, link.field_values = hashes, values
            link.content_hash = content_hash({}, hashes)
            s.add(link)


def _results(results: Sequence[RecordResult]) -> dict[int, RecordFailed]:
    return {r.index: r for r in results if isinstance(r, RecordFailed)}


def apply_undo(db: Database, client: ZohoClient, plan: UndoPlan, audit: AuditRecorder) -> None:
    """Carry out ``plan`` (made under the same lease, just before)."""
    done: list[UndoStep] = []
    deletes = plan.of("delete")
    for module in DELETE_ORDER + tuple(sorted({s.zoho_module for s in deletes}
                                              - set(DELETE_ORDER))):
        group = [s for s in deletes if s.zoho_module == module]
        if not group:
            continue
        failed = _results(client.delete(module, [s.zoho_id or "" for s in group]))
        for n, step in enumerate(group):
            _event(audit, "undo_deleted", step, failed=failed.get(n))
            audit.count("failed" if n in failed else "deleted")
            if n not in failed:
                done.append(step)
    restores = plan.of("restore")
    for module in sorted({s.zoho_module for s in restores}):
        group = [s for s in restores if s.zoho_module == module]
        failed = _results(client.update(module, [{**s.restore, "id": s.zoho_id}
                                                 for s in group]))
        for n, step in enumerate(group):
            _event(audit, "undo_restored", step, failed=failed.get(n))
            audit.count("failed" if n in failed else "updated")
            if n not in failed:
                done.append(step)
    for step in plan.of("unlink"):
        _event(audit, "undo_unlinked", step)
        done.append(step)
    for step in plan.of("skip"):
        _event(audit, "undo_skipped", step)
        audit.count("warnings")
    _forget(db, plan.company_id, done)
    _relink(db, plan.company_id, done)

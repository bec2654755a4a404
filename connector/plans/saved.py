"""Plans kept in the store: made, confirmed by a person (by id), applied by a sync."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from connector.errors import ConfigError
from connector.plans.compute import PlanReport
from connector.store import Database, PlanRow, PlanStatus, SyncPlan

__all__ = ["BACKFILL", "SYNC", "PlanRefused", "save_plan", "load_plan", "plan_rows",
           "confirm_plan", "confirmed_plan", "mark_applied"]

# What a plan previews (``SyncPlan.kind``): a sync, which a person's confirmation holds to the
# plan, or the re-sending of a backfill, which only shows what it would do.
SYNC, BACKFILL = "sync", "backfill"

_OPEN = (PlanStatus.PLANNED, PlanStatus.CONFIRMED)


class PlanRefused(ConfigError):
    """A plan that cannot be confirmed or used (unknown, of another company, replaced)."""


def save_plan(db: Database, report: PlanReport, *, kind: str, now: datetime) -> SyncPlan:
    """Store ``report`` as the company's newest plan; its older open plans of the same kind
    are superseded (a backfill's preview leaves a sync plan waiting for its person alone)."""
    with db.session() as s:
        for old in s.exec(select(SyncPlan).where(SyncPlan.company_id == report.company_id)
                          .where(SyncPlan.kind == kind)
                          .where(col(SyncPlan.status).in_(_OPEN))).all():
            old.status = PlanStatus.SUPERSEDED
            s.add(old)
        plan = SyncPlan(company_id=report.company_id, connection_id=report.connection_id,
                        kind=kind, created_at=now, totals=report.totals,
                        zoho_reads=report.zoho_reads, read_credits=report.read_credits,
                        write_calls=report.write_calls, write_credits=report.write_credits,
                        org_accounts=report.org_accounts)
        s.add(plan)
        s.flush()
        plan_id = plan.id
        assert plan_id is not None  # noqa: S101 - flushed rows have ids
        s.add_all(PlanRow(plan_id=plan_id, qb_type=e.qb_type, qb_id=e.qb_id,
                          edit_sequence=e.edit_sequence, name=e.name, action=e.action,
                          zoho_module=e.zoho_module, zoho_id=e.zoho_id, reason=e.reason,
                          candidates=list(e.candidates)) for e in report.entries)
    return plan


def load_plan(db: Database, plan_id: int) -> SyncPlan:
    with db.session() as s:
        plan = s.get(SyncPlan, plan_id)
    if plan is None:
        raise PlanRefused(f"no plan #{plan_id}; make one with `ml-connector sync --plan`")
    return plan


def plan_rows(db: Database, plan_id: int) -> list[PlanRow]:
    with db.session() as s:
        return list(s.exec(select(PlanRow).where(PlanRow.plan_id == plan_id)
                           .order_by(col(PlanRow.id))).all())


def confirm_plan(db: Database, plan_id: int, company_id: int, *, now: datetime) -> SyncPlan:
    """A person says: write what plan ``plan_id`` says."""
    with db.session() as s:
        plan = s.get(SyncPlan, plan_id)
        if plan is None or plan.company_id != company_id:
            raise PlanRefused(f"no plan #{plan_id} for this company; make one with "
                              "`ml-connector sync --plan`")
        if plan.kind == BACKFILL:
            # A backfill re-sends what it finds when it runs: there is nothing to hold it to.
            raise PlanRefused(f"plan #{plan_id} previews a backfill, which no confirmation "
                              "starts: run the backfill itself (`ml-connector backfill`, with "
                              "the same --company, --since and --until)")
        if plan.status == PlanStatus.SUPERSEDED:
            newer = s.exec(select(SyncPlan.id).where(SyncPlan.company_id == company_id)
                           .where(SyncPlan.kind == plan.kind)
                           .where(col(SyncPlan.id) > plan_id)
                           .order_by(col(SyncPlan.id).desc())).first()
            # A sync plan superseded by a backfill's preview (before kinds were kept apart)
            # has no newer plan of its kind.
            by = f"plan #{newer}" if newer is not None else "a newer plan"
            raise PlanRefused(f"plan #{plan_id} was replaced by {by}; confirm that one")
        if plan.status == PlanStatus.APPLIED:
            raise PlanRefused(f"plan #{plan_id} was already applied")
        plan.status, plan.confirmed_at = PlanStatus.CONFIRMED, now
        s.add(plan)
        return plan


def confirmed_plan(db: Database, company_id: int) -> SyncPlan | None:
    with db.session() as s:
        return s.exec(select(SyncPlan).where(SyncPlan.company_id == company_id)
                      .where(SyncPlan.status == PlanStatus.CONFIRMED)
                      .order_by(col(SyncPlan.id).desc())).first()


def mark_applied(db: Database, plan_id: int, run_id: int) -> None:
    with db.session() as s:
        plan = s.get(SyncPlan, plan_id)
        if plan is not None:
            plan.status, plan.applied_run_id = PlanStatus.APPLIED, run_id
            s.add(plan)

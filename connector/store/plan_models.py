"""Tables of sync plans: what a sync would do, kept so a person can confirm it by its id.

Written by ``connector.plans``; a confirmed plan is what the first load of a company into a
populated Zoho org writes (``ml-connector sync --confirm PLAN_ID``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from connector.store.types import UTCDateTime, utcnow

__all__ = ["SyncPlan", "PlanRow", "PlanStatus"]


class PlanStatus(StrEnum):
    PLANNED = "planned"  # made, nobody confirmed it yet
    CONFIRMED = "confirmed"  # confirmed: the next sync writes what it says
    APPLIED = "applied"  # a sync wrote it
    SUPERSEDED = "superseded"  # a newer plan of the same company replaced it


class SyncPlan(SQLModel, table=True):
    __tablename__ = "mlc_sync_plan"
    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="mlc_company.id", index=True)
    connection_id: int | None = None
    kind: str = "sync"  # or "backfill"
    status: str = PlanStatus.PLANNED
    created_at: datetime = Field(default_factory=utcnow,
                                 sa_column=Column(UTCDateTime(), nullable=False))
    confirmed_at: datetime | None = Field(default=None,
                                          sa_column=Column(UTCDateTime(), nullable=True))
    # action -> records
    totals: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What the plan itself read, and what the writes it plans will cost (estimated).
    zoho_reads: int = 0
    read_credits: int = 0
    write_calls: int = 0
    write_credits: int = 0
    # Unkeyed Accounts the org held when the plan was made (a populated org has some).
    org_accounts: int = 0
    applied_run_id: int | None = None


class PlanRow(SQLModel, table=True):
    __tablename__ = "mlc_plan_row"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="mlc_sync_plan.id", index=True)
    qb_type: str
    qb_id: str
    edit_sequence: str | None = None
    name: str | None = None
    action: str  # create, link, update, skip, review, defer, fail
    zoho_module: str
    zoho_id: str | None = None
    reason: str = ""
    candidates: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

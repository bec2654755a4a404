"""Tables of the run layer: who holds a company's work, and which work was asked for.

Written only by ``connector.runs`` (leases, requests); the bridge adds a ``SyncRequest`` through
``connector.runs.requests`` when a Web Connector session closes, never by calling Prefect.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from connector.store.types import UTCDateTime, utcnow

__all__ = ["Lease", "SyncRequest"]


class Lease(SQLModel, table=True):
    """One holder at a time per ``key`` (use case + company or connection), across processes
    and hosts. A holder renews it while it works; an expired lease may be taken over."""

    __tablename__ = "mlc_lease"
    key: str = Field(primary_key=True, max_length=200)
    holder: str = Field(max_length=200)
    # Who holds it, for the "skipped: held by ..." message: host, pid, flow run.
    holder_info: str = Field(default="", max_length=500)
    # The holder's process, where a process of this machine can tell it is gone: its pid and
    # the pid namespace it is a pid of (host name and namespace; None elsewhere).
    pid_space: str | None = Field(default=None, max_length=300)
    pid: int | None = None
    acquired_at: datetime = Field(default_factory=utcnow,
                                  sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SyncRequest(SQLModel, table=True):
    """A company asked for a QuickBooks -> Zoho sync (a Web Connector session closed with new
    responses). The flows take it; ``taken_at`` stays empty until a run has started on it."""

    __tablename__ = "mlc_sync_request"
    __table_args__ = (Index("ix_mlc_sync_request_open", "taken_at", "company_id"),)
    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="mlc_company.id")
    session_id: int | None = None
    requested_at: datetime = Field(default_factory=utcnow,
                                   sa_column=Column(UTCDateTime(), nullable=False))
    taken_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    audit_run_id: int | None = None

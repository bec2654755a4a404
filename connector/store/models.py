"""SQLModel tables: the database is the only channel between the bridge and the flows."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from connector.store.types import UTCDateTime, utcnow

__all__ = [
    "SchemaVersion", "Company", "QbwcSession", "QueuedRequest", "RawResponse", "Watermark",
    "RecordLink", "AuditRun", "AuditEvent", "ZohoConnection", "ZohoCreditUsage",
    "RequestKind", "RequestState", "SessionState", "ReviewStatus", "ReviewDecision",
    "ZohoChannel", "ZohoNotification", "WriteBack", "WriteBackState", "SyncBackPolicy",
    "ZohoBornPolicy", "ClosedDealPolicy", "WrittenInvoiceLines", "InvoiceLinesPolicy",
]


def _optional_ts() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


def _now_ts() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


# The enums below are StrEnums: their members are the very strings stored in the (plain
# string) columns, so rows written before they existed compare equal.


class RequestKind(StrEnum):
    """What a queued qbXML request is for; it decides its band and its fate at session end."""

    WRITE = "write"  # a Zoho -> QuickBooks change (Mod, void): survives the session
    QUERY = "query"  # a delta read; its iterator dies with the session
    CHECK = "check"  # which QuickBooks and company file are open
    REFRESH = "refresh"  # re-reads one record after a stale EditSequence (3200)


class RequestState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    ANSWERED = "answered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SessionState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ERROR = "error"
    EXPIRED = "expired"


class ReviewStatus(StrEnum):
    OPEN = "open"
    # A person decided (``review resolve``); the next sync applies it, then it is resolved.
    DECIDED = "decided"
    RESOLVED = "resolved"


class ReviewDecision(StrEnum):
    LINK = "link"  # adopt this existing Zoho record (it takes the QuickBooks key)
    CREATE = "create"  # none of the candidates: create a new record
    IGNORE = "ignore"  # seen; nothing for the sync to do (e.g. a money conflict settled)


class SchemaVersion(SQLModel, table=True):
    __tablename__ = "mlc_schema_version"
    id: int = Field(default=1, primary_key=True)
    version: int


class Company(SQLModel, table=True):
    """One QuickBooks company file with its own QBWC registration (.qwc file)."""

    __tablename__ = "mlc_company"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    qbwc_user: str = Field(unique=True, index=True)
    password_hash: str
    company_file: str | None = None
    # authenticate names company_file only when pinned: QBWC then opens exactly that path and
    # refuses a file it knows by another one (a mapped drive vs its UNC path). Unpinned, QBWC
    # works on the file open in QuickBooks and the bridge checks it is this company.
    pin_company_file: bool = False
    # Which QuickBooks company this is, learned from its CompanyQuery answer (SHA-256 of the
    # normalised company and legal names) and the name to show: a file reported under another
    # path is accepted when it is this same company.
    company_identity: str | None = None
    qb_company_name: str | None = None
    # The country of the company's address in QuickBooks: phone numbers typed without a
    # country code are read as this country's (MLC_PHONE_REGION overrides it).
    qb_country: str | None = None
    poll_minutes: int = 10
    active: bool = True
    # Stable GUIDs for the .qwc file: QBWC keys its registration on them.
    owner_id: str
    file_id: str
    zoho_connection_id: int | None = Field(default=None, foreign_key="mlc_zoho_connection.id")
    # Unused since schema 4, kept so older databases still load: failed logins are counted per
    # user name and address in LoginThrottle (connector.qbwc.throttle).
    failed_logins: int = 0
    locked_until: datetime | None = _optional_ts()
    # Lease that makes "busy" true across bridge processes: at most one live session.
    live_session_id: int | None = None
    live_until: datetime | None = _optional_ts()
    last_poll_at: datetime | None = _optional_ts()
    last_company_file_seen: str | None = None
    last_file_matched: bool | None = None
    # How far QuickBooks' clock (its TimeModified stamps) runs ahead of ours, in seconds,
    # measured on the stamps of our own writes (connector.qbwc.clock_offset), and when.
    qb_clock_offset_seconds: float | None = None
    qb_clock_measured_at: datetime | None = _optional_ts()
    created_at: datetime = _now_ts()


class QbwcSession(SQLModel, table=True):
    __tablename__ = "mlc_qbwc_session"
    id: int | None = Field(default=None, primary_key=True)
    # Only a SHA-256 of the ticket is kept: a leaked database must not hand out live sessions.
    ticket_hash: str = Field(unique=True, index=True)
    company_id: int = Field(foreign_key="mlc_company.id", index=True)
    state: str = SessionState.OPEN
    started_at: datetime = _now_ts()
    last_seen_at: datetime = _now_ts()
    ended_at: datetime | None = _optional_ts()
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    company_file: str | None = None
    client_version: str | None = None
    qbxml_version: str | None = None
    requests_planned: int = 0
    requests_sent: int = 0
    responses_received: int = 0
    # Reported progress never goes back, even when an iterator reveals more pages than planned.
    percent: int = 0
    summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class QueuedRequest(SQLModel, table=True):
    """One qbXML request for one company, handed out in (seq, id) order exactly once."""

    __tablename__ = "mlc_queued_request"
    __table_args__ = (Index("ix_mlc_queue_pick", "company_id", "state", "seq", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="mlc_company.id")
    session_id: int | None = Field(default=None, foreign_key="mlc_qbwc_session.id", index=True)
    seq: int = 0
    kind: str  # a RequestKind
    entity: str  # Customer, Item, Invoice, ListDeleted, TxnDeleted, Host, ...
    state: str = Field(default=RequestState.PENDING)
    qbxml: str = Field(sa_column=Column(Text, nullable=False))
    # Iterator pages continue their root query; the watermark moves when the root is complete.
    root_id: int | None = Field(default=None, index=True)
    page: int = 1
    # Iterator pages still expected after this one (from iteratorRemainingCount), for percent.
    pages_after: int = 0
    watermark_key: str | None = None
    watermark_to: datetime | None = _optional_ts()
    record_ref: str | None = None  # ListID/TxnID a write is about, for 3200 re-queries
    # A read queued for whichever session comes next (a backfill, a re-read after 3200), not
    # planned by one session: a session that dies holding it gives it back to the queue.
    standing: bool = False
    attempts: int = 0
    created_at: datetime = _now_ts()
    sent_at: datetime | None = _optional_ts()
    answered_at: datetime | None = _optional_ts()
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class RawResponse(SQLModel, table=True):
    """A response exactly as QuickBooks sent it; the sync flows consume unprocessed ones."""

    __tablename__ = "mlc_raw_response"
    __table_args__ = (Index("ix_mlc_raw_unprocessed", "company_id", "processed_at", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="mlc_queued_request.id", index=True)
    company_id: int = Field(foreign_key="mlc_company.id")
    session_id: int = Field(foreign_key="mlc_qbwc_session.id")
    entity: str
    received_at: datetime = _now_ts()
    status_code: int | None = None
    status_severity: str | None = None
    status_message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    iterator_remaining: int | None = None
    record_count: int = 0
    hresult: str | None = None
    body: str = Field(sa_column=Column(Text, nullable=False))
    processed_at: datetime | None = _optional_ts()


class Watermark(SQLModel, table=True):
    __tablename__ = "mlc_watermark"
    company_id: int = Field(foreign_key="mlc_company.id", primary_key=True)
    entity: str = Field(primary_key=True)
    value: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = _now_ts()


class RecordLink(SQLModel, table=True):
    """QBD ListID/TxnID <-> Zoho id, with what we last synced so repeats cost nothing."""

    __tablename__ = "mlc_record_link"
    __table_args__ = (UniqueConstraint("company_id", "qb_type", "qb_id"),)
    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="mlc_company.id", index=True)
    qb_type: str
    qb_id: str
    edit_sequence: str | None = None
    zoho_module: str
    zoho_id: str | None = Field(default=None, index=True)
    content_hash: str | None = None
    # A short hash per field we last wrote: tells which fields changed, and lets the Zoho ->
    # QuickBooks direction recognise its own echo.
    field_hashes: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=True)
    )
    # The values themselves (shortened as the audit keeps them): the "old" of the next
    # change's old -> new in the audit.
    field_values: dict[str, Any] | None = Field(default=None,
                                                sa_column=Column(JSON, nullable=True))
    deleted: bool = False
    last_synced_at: datetime | None = _optional_ts()


class ResponseSync(SQLModel, table=True):
    """How often the sync tried a stored response, and whether its records must be re-sent.

    Kept beside ``RawResponse`` (not in it) so databases made before the sync need no migration.
    """

    __tablename__ = "mlc_response_sync"
    response_id: int = Field(foreign_key="mlc_raw_response.id", primary_key=True)
    attempts: int = 0
    # A backfill re-sync sends every record again, even those the links call unchanged.
    force: bool = False
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ReviewItem(SQLModel, table=True):
    """A QuickBooks record the sync would not decide alone (e.g. several Zoho matches)."""

    __tablename__ = "mlc_review_item"
    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="mlc_company.id", index=True)
    qb_type: str
    qb_id: str
    qb_name: str | None = None
    reason: str
    zoho_module: str
    candidates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = ReviewStatus.OPEN
    created_at: datetime = _now_ts()
    resolved_at: datetime | None = _optional_ts()
    decision: str | None = None
    decision_zoho_id: str | None = None
    decided_at: datetime | None = _optional_ts()


class AuditRun(SQLModel, table=True):
    __tablename__ = "mlc_audit_run"
    id: int | None = Field(default=None, primary_key=True)
    company_id: int | None = Field(default=None, foreign_key="mlc_company.id", index=True)
    flow: str
    direction: str
    status: str = "running"
    started_at: datetime = _now_ts()
    ended_at: datetime | None = _optional_ts()
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    external_run_id: str | None = None
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The lease holder running it: a "running" row whose holder no longer holds its lease
    # belongs to a process that died, and is closed as abandoned.
    holder: str | None = None
    # Which try of the orchestrator's task this is (Prefect retries share one flow run id).
    attempt: int = 1
    # An undo run: the run whose Zoho writes it takes back (a run is undone once).
    undoes_run_id: int | None = Field(default=None, index=True)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "mlc_audit_event"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="mlc_audit_run.id", index=True)
    at: datetime = _now_ts()
    action: str
    qb_type: str | None = None
    qb_id: str | None = None
    qb_name: str | None = None
    edit_sequence: str | None = None
    zoho_module: str | None = None
    zoho_id: str | None = None
    changed_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The values written for the changed fields (shortened), so the audit says what, not only
    # which.
    values: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # What those fields held before, where known: the values last synced, or for an adopted
    # record what Zoho held before we wrote it (kept whole: an undo writes them back).
    old_values: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error_code: str | None = None
    error_message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ZohoConnection(SQLModel, table=True):
    """One Zoho org's OAuth connection; one or several QuickBooks companies use it."""

    __tablename__ = "mlc_zoho_connection"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="default", unique=True, index=True)
    region: str | None = None
    accounts_url: str
    api_domain: str | None = None
    client_id: str
    client_secret_enc: str | None = None
    # "authorization_code" (a refresh token mints access tokens) or "client_credentials" (a
    # Self Client's id and secret do, for ``org_id``; ``refresh_token_enc`` is then empty).
    auth_mode: str = "authorization_code"
    refresh_token_enc: str
    access_token_enc: str | None = None
    access_expires_at: datetime | None = _optional_ts()
    # Bumped on every refresh so processes racing to refresh can tell who won.
    token_version: int = 0
    scope: str | None = None
    org_id: str | None = None
    edition: str | None = None
    created_at: datetime = _now_ts()
    updated_at: datetime = _now_ts()


class ZohoCreditUsage(SQLModel, table=True):
    __tablename__ = "mlc_zoho_credit_usage"
    connection_id: int = Field(foreign_key="mlc_zoho_connection.id", primary_key=True)
    day: date = Field(primary_key=True)
    credits: int = 0
    calls: int = 0


# -- Zoho -> QuickBooks: notification channels, received notifications, write-backs ------------


class ZohoChannel(SQLModel, table=True):
    """A Zoho notification channel we opened. Only a SHA-256 of its token is kept: the token
    only has to be recognised, and a leaked database must not let anyone forge callbacks."""

    __tablename__ = "mlc_zoho_channel"
    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(unique=True, index=True)
    connection_id: int | None = Field(default=None, foreign_key="mlc_zoho_connection.id",
                                      index=True)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    notify_url: str = Field(sa_column=Column(Text, nullable=False))
    token_hash: str
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_at: datetime = _now_ts()
    renewed_at: datetime | None = _optional_ts()
    # Set when the channel was found lapsed: changes since then are fetched, then it is cleared.
    lapsed_at: datetime | None = _optional_ts()
    caught_up_at: datetime | None = _optional_ts()
    active: bool = True  # False once replaced by a newer channel or disabled
    # True while ``watch`` opens it (not active yet): Zoho may call back with its token before
    # its own answer reaches us, and that callback must count.
    opening: bool = False


class ZohoNotification(SQLModel, table=True):
    """One callback from Zoho (or one page of a catch-up after a lapse): ids only."""

    __tablename__ = "mlc_zoho_notification"
    __table_args__ = (Index("ix_mlc_notification_unprocessed", "processed_at", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(index=True)
    module: str
    operation: str  # insert | update | delete, Zoho's words
    ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Record id -> field API names Zoho says changed (empty for catch-up pages).
    affected_fields: dict[str, list[str]] = Field(default_factory=dict,
                                                  sa_column=Column(JSON, nullable=False))
    source: str = "callback"  # or "catch-up"
    received_at: datetime = _now_ts()
    processed_at: datetime | None = _optional_ts()
    # What makes a callback the same callback again (a replay, a retry by Zoho); unique, so
    # a duplicate is stored once even when two arrive at the same moment.
    dedupe_key: str | None = Field(default=None, unique=True, index=True)


class WriteBackState(StrEnum):
    QUEUED = "queued"  # the Mod waits in the QBWC queue (or was sent)
    STALE = "stale"  # QuickBooks answered 3200; a re-query is queued, the next run retries
    APPLIED = "applied"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # a newer Zoho change for the same record replaced it


class WriteBack(SQLModel, table=True):
    """One Zoho edit on its way into QuickBooks, kept until QuickBooks has answered."""

    __tablename__ = "mlc_write_back"
    __table_args__ = (Index("ix_mlc_write_back_open", "state", "company_id"),)
    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="mlc_company.id")
    link_id: int = Field(foreign_key="mlc_record_link.id", index=True)
    action: str  # CustomerMod | TxnVoid
    qb_type: str
    qb_id: str
    zoho_module: str
    zoho_id: str | None = None
    request_id: int | None = Field(default=None, foreign_key="mlc_queued_request.id")
    refresh_request_id: int | None = Field(default=None, foreign_key="mlc_queued_request.id")
    state: str = WriteBackState.QUEUED
    # The wanted QuickBooks values (CustomerInput fields), re-applied after a 3200.
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    base_edit_sequence: str | None = None
    zoho_modified_at: datetime | None = _optional_ts()
    attempts: int = 1
    created_at: datetime = _now_ts()
    updated_at: datetime = _now_ts()
    error_code: str | None = None
    error_message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ZohoBornPolicy(StrEnum):
    """What an Account created in Zoho (no QuickBooks customer behind it) becomes."""

    REVIEW = "review"  # an item in `review list`; a person decides
    CREATE = "create"  # a QuickBooks customer (CustomerAdd), linked to the Account
    IGNORE = "ignore"  # only audited


class ClosedDealPolicy(StrEnum):
    """What a Deal closed lost or deleted in Zoho does to its QuickBooks invoice."""

    REVIEW = "review"  # the invoice is kept and the office gets a review item
    VOID = "void"  # the invoice is voided (TxnVoid)
    IGNORE = "ignore"  # the invoice is kept; only audited


class InvoiceLinesPolicy(StrEnum):
    """What a Zoho Invoice's line edits do: money policy for invoice lines."""

    QUICKBOOKS = "quickbooks"  # QuickBooks owns them: restored, raised for review
    BOTH_WAYS = "both-ways"  # they become an InvoiceMod


class SyncBackPolicy(SQLModel, table=True):
    """Per company choices for Zoho -> QuickBooks; no row means every default."""

    __tablename__ = "mlc_sync_back_policy"
    company_id: int = Field(foreign_key="mlc_company.id", primary_key=True)
    zoho_born: str = ZohoBornPolicy.REVIEW
    # Replaces the bool ``void_closed_invoices`` of schema 13 (true became "void").
    closed_deals: str = ClosedDealPolicy.REVIEW
    invoice_lines: str = InvoiceLinesPolicy.QUICKBOOKS
    updated_at: datetime = _now_ts()


class WrittenInvoiceLines(SQLModel, table=True):
    """The ``Invoiced_Items`` rows the sync last wrote to a Zoho Invoice, each with the
    QuickBooks line it came from (TxnLineID, item): Zoho's rows carry no QuickBooks id, so
    this is how a row edited in Zoho is told apart from one added, and which line it is."""

    __tablename__ = "mlc_written_invoice_lines"
    company_id: int = Field(foreign_key="mlc_company.id", primary_key=True)
    txn_id: str = Field(primary_key=True)
    zoho_id: str
    edit_sequence: str | None = None
    rows: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    written_at: datetime = _now_ts()

"""Storage: SQLModel tables on SQLite (default) or PostgreSQL."""

from connector.store.born_models import CustomerAddState, ZohoBornCustomer
from connector.store.db import SCHEMA_VERSION, Database, SchemaTooNewError
from connector.store.login_models import LoginThrottle
from connector.store.models import (
    AuditEvent,
    AuditRun,
    ClosedDealPolicy,
    Company,
    InvoiceLinesPolicy,
    QbwcSession,
    QueuedRequest,
    RawResponse,
    RecordLink,
    RequestKind,
    RequestState,
    ResponseSync,
    ReviewDecision,
    ReviewItem,
    ReviewStatus,
    SchemaVersion,
    SessionState,
    SyncBackPolicy,
    Watermark,
    WriteBack,
    WriteBackState,
    WrittenInvoiceLines,
    ZohoBornPolicy,
    ZohoChannel,
    ZohoConnection,
    ZohoCreditUsage,
    ZohoNotification,
)
from connector.store.org_models import ZohoOrgMetadata, ZohoValueMapping
from connector.store.plan_models import PlanRow, PlanStatus, SyncPlan
from connector.store.qb_models import PaymentApplication
from connector.store.run_models import Lease, SyncRequest

__all__ = [
    "SCHEMA_VERSION", "Database", "SchemaTooNewError", "AuditEvent", "AuditRun", "Company",
    "QbwcSession", "QueuedRequest", "RawResponse", "RecordLink", "RequestState", "ResponseSync",
    "ReviewItem", "SchemaVersion", "SessionState", "Watermark", "ZohoConnection", "ZohoCreditUsage",
    "SyncBackPolicy", "WriteBack", "WriteBackState", "ZohoChannel", "ZohoNotification",
    "Lease", "SyncRequest", "RequestKind", "ReviewStatus", "ReviewDecision", "LoginThrottle",
    "ZohoOrgMetadata", "ZohoValueMapping", "PaymentApplication", "SyncPlan", "PlanRow",
    "PlanStatus", "ZohoBornPolicy", "ClosedDealPolicy", "WrittenInvoiceLines",
    "InvoiceLinesPolicy", "CustomerAddState", "ZohoBornCustomer",
]

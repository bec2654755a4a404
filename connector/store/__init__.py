"""Storage: SQLModel tables on SQLite (default) or PostgreSQL."""

from connector.store.db import SCHEMA_VERSION, Database, SchemaTooNewError
from connector.store.models import (
    AuditEvent,
    AuditRun,
    Company,
    QbwcSession,
    QueuedRequest,
    RawResponse,
    RecordLink,
    RequestState,
    ResponseSync,
    ReviewItem,
    SchemaVersion,
    SessionState,
    Watermark,
    ZohoConnection,
    ZohoCreditUsage,
)

__all__ = [
    "SCHEMA_VERSION", "Database", "SchemaTooNewError", "AuditEvent", "AuditRun", "Company",
    "QbwcSession", "QueuedRequest", "RawResponse", "RecordLink", "RequestState", "ResponseSync",
    "ReviewItem", "SchemaVersion", "SessionState", "Watermark", "ZohoConnection", "ZohoCreditUsage",
]

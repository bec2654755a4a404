"""The sync cycles. ``qb_to_zoho``: stored QuickBooks responses -> Zoho CRM records."""

from connector.sync.qb_to_zoho import Progress, SyncOptions, sync_company
from connector.sync.responses import pending_companies, pending_count

__all__ = ["Progress", "SyncOptions", "pending_companies", "pending_count", "sync_company"]

"""The sync cycles. ``qb_to_zoho``: stored QuickBooks responses -> Zoho CRM records."""

from connector.sync.qb_to_zoho import (
    DIRECTION,
    FLOW_NAME,
    ClientFactory,
    Progress,
    SyncOptions,
    client_factory,
    pending_companies,
    pending_count,
    run_company,
    sync_company,
)

__all__ = ["DIRECTION", "FLOW_NAME", "ClientFactory", "SyncOptions", "client_factory",
           "Progress", "pending_count", "pending_companies", "run_company", "sync_company"]

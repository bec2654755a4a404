"""Zoho CRM: OAuth connection, the API client, limits, and the errors boundary."""

from connector.zoho.auth import MemoryTokenStore, TokenState, TokenStore, ZohoAuth
from connector.zoho.client import ZohoClient
from connector.zoho.connection import (
    DbTokenStore,
    NewConnection,
    load_connection,
    open_client,
    save_connection,
)
from connector.zoho.errors import CreditBudgetExceeded
from connector.zoho.fields import (
    QBD_KEY,
    REQUIRED_CUSTOM_FIELDS,
    CustomField,
    FieldCheck,
    FieldInfo,
    OrgInfo,
    required_custom_fields,
)
from connector.zoho.invoices import InvoiceLine, invoiced_items
from connector.zoho.limits import EDITIONS, ConcurrencyLimiter, Edition, StoredCreditMeter, edition
from connector.zoho.notifications import Channel
from connector.zoho.oauth import DEFAULT_SCOPES, OAuthApp, TokenEndpoint, TokenGrant
from connector.zoho.records import RecordFailed, RecordResult, RecordSaved
from connector.zoho.regions import REGIONS, Region, accounts_url_for
from connector.zoho.related import SubRequest, SubResponse
from connector.zoho.retry import DEFAULT_RETRY, NO_RETRY, RetryPolicy

__all__ = [
    "MemoryTokenStore", "TokenState", "TokenStore", "ZohoAuth", "ZohoClient",
    "CreditBudgetExceeded", "QBD_KEY", "REQUIRED_CUSTOM_FIELDS", "CustomField", "FieldCheck",
    "FieldInfo", "OrgInfo", "required_custom_fields", "EDITIONS", "ConcurrencyLimiter",
    "Edition", "StoredCreditMeter", "edition", "Channel", "DEFAULT_SCOPES", "OAuthApp",
    "TokenEndpoint", "TokenGrant", "RecordFailed", "RecordResult", "RecordSaved", "REGIONS",
    "Region", "accounts_url_for", "SubRequest", "SubResponse", "DEFAULT_RETRY", "NO_RETRY",
    "RetryPolicy", "InvoiceLine", "invoiced_items", "DbTokenStore", "NewConnection",
    "load_connection", "open_client", "save_connection",
]

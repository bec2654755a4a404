"""QuickBooks records -> Zoho records: keys, field maps (as data), and one mapper per module.

The Zoho -> QuickBooks direction reads the same tables (``FIELD_MAPS``, ``Owner``) and keys.
"""

from connector.mapping.accounts import (
    deactivated_account,
    map_account,
    map_contact,
    primary_email,
    top_level_name,
)
from connector.mapping.conform import conform, missing_mandatory
from connector.mapping.currency import QB_CURRENCY_CODES, Conversion, OrgCurrency, conversion
from connector.mapping.deals import (
    DealContext,
    closed_deal,
    deal_name,
    invoice_state,
    map_deal,
)
from connector.mapping.fields import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    DEAL_FIELDS,
    FIELD_MAPS,
    INVOICE_FIELDS,
    PRODUCT_FIELDS,
    FieldRule,
    Kind,
    Owner,
    clip,
    map_fields,
    qb_value,
)
from connector.mapping.invoices import cancelled_invoice, map_invoice
from connector.mapping.keys import (
    ACCOUNT,
    CONTACT,
    DEAL,
    INVOICE,
    JOB,
    LINK_KINDS,
    PRODUCT,
    LinkKind,
    QbdKey,
    company_scope,
    parse_key,
    qbd_key,
)
from connector.mapping.payload import Mapped, Note, content_hash
from connector.mapping.products import (
    ITEM_ROLES,
    NON_PRODUCT_TYPES,
    ItemRole,
    deactivated_product,
    is_product,
    map_product,
    product_code,
)
from connector.mapping.values import (
    NO_VALUES,
    TARGETS,
    OrgValues,
    QbState,
    Resolution,
    Target,
    Unfed,
    lost_stages,
    resolve_values,
)

__all__ = [
    # keys
    "ACCOUNT", "CONTACT", "DEAL", "INVOICE", "JOB", "LINK_KINDS", "PRODUCT", "LinkKind",
    "QbdKey", "company_scope", "parse_key", "qbd_key",
    # field maps
    "ACCOUNT_FIELDS", "CONTACT_FIELDS", "DEAL_FIELDS", "FIELD_MAPS", "INVOICE_FIELDS",
    "PRODUCT_FIELDS", "FieldRule", "Kind", "Owner", "clip", "map_fields", "qb_value",
    # mappers
    "Mapped", "Note", "content_hash", "map_account", "map_contact", "primary_email",
    "top_level_name", "deactivated_account", "ITEM_ROLES", "ItemRole", "NON_PRODUCT_TYPES",
    "is_product", "product_code", "map_product",
    "deactivated_product", "DealContext", "closed_deal", "deal_name", "invoice_state",
    "map_deal", "cancelled_invoice", "map_invoice", "conform", "missing_mandatory",
    # the org's values
    "NO_VALUES", "TARGETS", "OrgValues", "QbState", "Resolution", "Target", "Unfed",
    "lost_stages", "resolve_values",
    # currency
    "QB_CURRENCY_CODES", "Conversion", "OrgCurrency", "conversion",
]

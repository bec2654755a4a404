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
from connector.mapping.currency import QB_CURRENCY_CODES, Conversion, OrgCurrency, conversion
from connector.mapping.deals import (
    DEFAULT_OPEN_STAGE,
    STAGES,
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
from connector.mapping.invoices import INVOICE_STATUS, cancelled_invoice, map_invoice
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
from connector.mapping.payload import Mapped, content_hash
from connector.mapping.products import (
    NON_PRODUCT_TYPES,
    deactivated_product,
    is_product,
    map_product,
)

__all__ = [
    # keys
    "ACCOUNT", "CONTACT", "DEAL", "INVOICE", "JOB", "LINK_KINDS", "PRODUCT", "LinkKind",
    "QbdKey", "company_scope", "parse_key", "qbd_key",
    # field maps
    "ACCOUNT_FIELDS", "CONTACT_FIELDS", "DEAL_FIELDS", "FIELD_MAPS", "INVOICE_FIELDS",
    "PRODUCT_FIELDS", "FieldRule", "Kind", "Owner", "clip", "map_fields", "qb_value",
    # mappers
    "Mapped", "content_hash", "map_account", "map_contact", "primary_email", "top_level_name",
    "deactivated_account", "NON_PRODUCT_TYPES", "is_product", "map_product",
    "deactivated_product", "DEFAULT_OPEN_STAGE", "STAGES", "DealContext", "closed_deal",
    "deal_name", "invoice_state", "map_deal", "INVOICE_STATUS", "cancelled_invoice",
    "map_invoice",
    # currency
    "QB_CURRENCY_CODES", "Conversion", "OrgCurrency", "conversion",
]

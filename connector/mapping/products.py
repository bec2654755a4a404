"""QuickBooks items -> Zoho Products.

Only what is sold becomes a Product. Discount, sales-tax, subtotal and payment items are
arithmetic on an invoice, not things a customer buys; they stay out of Products (the Deal's
amount still includes them).
"""

from __future__ import annotations

from typing import Any

from connector.mapping.fields import PRODUCT_FIELDS, map_fields
from connector.mapping.keys import PRODUCT, qbd_key
from connector.mapping.payload import Mapped
from connector.qbxml.models import Item
from connector.zoho.fields import QBD_KEY

__all__ = ["NON_PRODUCT_TYPES", "NON_TAXABLE_CODES", "is_product", "map_product",
           "deactivated_product"]

NON_PRODUCT_TYPES = frozenset({"Discount", "SalesTax", "SalesTaxGroup", "Subtotal", "Payment"})
# QuickBooks' built-in non-taxable sales-tax code; every other code taxes the item.
NON_TAXABLE_CODES = frozenset({"Non"})


def is_product(item: Item) -> bool:
    return item.item_type not in NON_PRODUCT_TYPES


def map_product(item: Item, scope: str) -> Mapped:
    if not is_product(item):
        raise ValueError(f"item {item.list_id} ({item.item_type}) is not a product")
    payload: dict[str, Any] = map_fields(item, PRODUCT_FIELDS)
    code = item.sales_tax_code.full_name if item.sales_tax_code else None
    payload["Taxable"] = None if code is None else code not in NON_TAXABLE_CODES
    payload[QBD_KEY] = qbd_key(scope, item.list_id, PRODUCT)
    return Mapped(PRODUCT, item.list_id, item.edit_sequence, payload, label=item.full_name)


def deactivated_product(zoho_id: str) -> dict[str, Any]:
    """The update for an item deleted in QuickBooks: the Product stays, inactive."""
    return {"id": zoho_id, "Product_Active": False}

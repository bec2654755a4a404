"""QuickBooks items -> Zoho Products, one rule per item type.

Only what a customer buys becomes a Product. Every other item type is arithmetic on an invoice
(a discount, sales tax, a subtotal, a payment received with the sale) or a container of other
items (a group): its lines are folded into the Deal's amount, which is always the invoice
total, and into the Zoho Invoice (discounts on the line above, tax spread over taxable rows,
the rest as the Adjustment; see ``lines``). ``ITEM_ROLES`` says which is which for every type
QuickBooks has; the README's table is this one.

A Product's code (``Product_Code``) is the item's SKU where QuickBooks keeps one: the
manufacturer's part number (inventory, assembly and non-inventory items), a custom field named
"SKU", or the bar code; else the item's own name, so every Product has a code a salesperson
can search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector.mapping.fields import PRODUCT_FIELDS, clip, map_fields
from connector.mapping.keys import PRODUCT, qbd_key
from connector.mapping.payload import Mapped
from connector.qbxml.models import Item
from connector.zoho.fields import QBD_KEY

__all__ = ["ItemRole", "ITEM_ROLES", "NON_PRODUCT_TYPES", "NON_TAXABLE_CODES", "SKU_FIELD",
           "is_product", "product_code", "map_product", "deactivated_product"]


@dataclass(frozen=True)
class ItemRole:
    product: bool
    becomes: str  # what an invoice line of this type becomes in Zoho (the README's words)


ITEM_ROLES: dict[str, ItemRole] = {
    "Service": ItemRole(True, "a Product; its lines are Invoice rows"),
    "Inventory": ItemRole(True, "a Product; its lines are Invoice rows"),
    "InventoryAssembly": ItemRole(True, "a Product; its lines are Invoice rows"),
    "NonInventory": ItemRole(True, "a Product; its lines are Invoice rows"),
    "OtherCharge": ItemRole(True, "a Product (a fee or charge that is sold, e.g. freight); "
                                  "its lines are Invoice rows"),
    "Group": ItemRole(False, "no Product: the group's member items are the Products, and its "
                             "member lines are Invoice rows"),
    "Discount": ItemRole(False, "no Product: folded into the Deal amount; the Invoice row "
                                "above carries the discount (else the Adjustment)"),
    "Subtotal": ItemRole(False, "no Product: QuickBooks' running total, nothing billed; a "
                                "discount below it goes into the Adjustment"),
    "SalesTax": ItemRole(False, "no Product: folded into the Deal amount; the Invoice's tax, "
                                "spread over its taxable rows"),
    "SalesTaxGroup": ItemRole(False, "no Product: as a sales-tax item"),
    "Payment": ItemRole(False, "no Product: a payment taken with the sale, folded into the "
                               "Deal amount (the invoice total) and the Adjustment"),
    "FixedAsset": ItemRole(False, "no Product: the business's own equipment sold once, not a "
                                  "catalogue item; folded into the Deal amount and the "
                                  "Adjustment"),
}
NON_PRODUCT_TYPES = frozenset(t for t, role in ITEM_ROLES.items() if not role.product)
# QuickBooks' built-in non-taxable sales-tax code; every other code taxes the item.
NON_TAXABLE_CODES = frozenset({"Non"})
# The custom field (DataExt) some companies keep a SKU in, compared without case.
SKU_FIELD = "sku"
_CODE = next(r for r in PRODUCT_FIELDS if r.zoho == "Product_Code")


def is_product(item: Item) -> bool:
    role = ITEM_ROLES.get(item.item_type)
    # A type from a newer qbXML that nobody decided on yet is not sold as a Product.
    return role is not None and role.product


def product_code(item: Item) -> str | None:
    """The item's SKU where QuickBooks keeps one, else its name."""
    custom = next((v for k, v in item.custom_fields.items()
                   if k.strip().lower() == SKU_FIELD and v and v.strip()), None)
    for candidate in (item.manufacturer_part_number, custom, item.bar_code_value,
                      item.full_name):
        if candidate and candidate.strip():
            return clip(candidate, _CODE.max_length)
    return None


def map_product(item: Item, scope: str) -> Mapped:
    if not is_product(item):
        raise ValueError(f"item {item.list_id} ({item.item_type}) is not a product")
    payload: dict[str, Any] = map_fields(item, PRODUCT_FIELDS)
    code = item.sales_tax_code.full_name if item.sales_tax_code else None
    payload["Taxable"] = None if code is None else code not in NON_TAXABLE_CODES
    payload["Product_Code"] = product_code(item)
    payload[QBD_KEY] = qbd_key(scope, item.list_id, PRODUCT)
    return Mapped(PRODUCT, item.list_id, item.edit_sequence, payload, label=item.full_name)


def deactivated_product(zoho_id: str) -> dict[str, Any]:
    """The update for an item deleted in QuickBooks: the Product stays, inactive."""
    return {"id": zoho_id, "Product_Active": False}

"""What a Zoho CRM org looks like: editions, modules and their fields, as data tables.

Field API names, data types and the system duplicate-check fields follow Zoho CRM v8. Only
the fields the connector and its tests care about are modelled; custom fields are added at
run time (``POST /settings/fields`` or ``ZohoSimulator.add_field``).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Edition",
    "EDITIONS",
    "Field",
    "ModuleDef",
    "MODULE_DEFS",
    "SUBFORMS",
    "DEALS_PRODUCTS_LIST",
    "INVENTORY_MODULES",
    "COMMON_FIELDS",
    "CURRENCY_FIELDS",
    "PicklistOption",
    "api_name_from_label",
]


@dataclass(frozen=True)
class Edition:
    name: str
    concurrency: int
    base_credits: int
    credits_per_user: int
    max_credits: int | None
    inventory: bool  # Quotes/Sales Orders/Invoices come with Professional and above


# Zoho's published limits: concurrency per edition and the 24-hour rolling credit allowance
# (50,000 + per-user share, capped per edition; Free is a flat 5,000).
EDITIONS: dict[str, Edition] = {
    "free": Edition("free", 5, 5_000, 0, 5_000, False),
    "standard": Edition("standard", 10, 50_000, 250, 100_000, False),
    "professional": Edition("professional", 15, 50_000, 500, 1_000_000, True),
    "enterprise": Edition("enterprise", 20, 50_000, 1_000, 2_000_000, True),
    "ultimate": Edition("ultimate", 25, 50_000, 2_000, None, True),
}

INVENTORY_MODULES = frozenset({"Invoices"})
DEALS_PRODUCTS_LIST = ("Deals", "Products")



@dataclass(frozen=True)
class PicklistOption:
    """One value of a picklist as ``GET /settings/fields`` describes it (OAS
    ``fields.json#/components/schemas/pick_list_values``). Records carry ``display``: Zoho's
    Kaizen #205 says to use the display value in create, update and upsert requests;
    ``actual`` is the reference value, kept when an admin renames the option."""

    display: str
    actual: str | None = None
    probability: int | None = None
    forecast_type: str | None = None  # Deals.Stage only: Open, Closed Won or Closed Lost
    forecast_category: str | None = None  # Deals.Stage only: Pipeline, Closed, Omitted, ...

    def meta(self, sequence: int, option_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "display_value": self.display, "actual_value": self.actual or self.display,
            "sequence_number": sequence, "id": option_id, "type": "used",
            "colour_code": None, "reference_value": self.actual or self.display,
        }
        if self.forecast_type is not None:
            out["forecast_type"] = self.forecast_type
        if self.forecast_category is not None:
            # Zoho's category ids are org-wide; the simulator derives one per name (a choice).
            out["forecast_category"] = {"name": self.forecast_category,
                                        "id": str(zlib.crc32(self.forecast_category.encode()))}
        if self.probability is not None:
            out["probability"] = self.probability
        return out


@dataclass(frozen=True)
class Field:
    api_name: str
    data_type: str
    label: str = ""
    mandatory: bool = False
    unique: bool = False
    case_sensitive: bool = False
    length: int = 255
    custom: bool = False
    read_only: bool = False
    lookup_module: str | None = None
    pick_list: tuple[PicklistOption, ...] = ()
    subform: str | None = None
    field_id: str = ""

    def meta(self) -> dict[str, Any]:
        """The field as ``GET /settings/fields`` shows it (the keys a client reads)."""
        out: dict[str, Any] = {
            "api_name": self.api_name,
            "field_label": self.label or self.api_name.replace("_", " "),
            "display_label": self.label or self.api_name.replace("_", " "),
            "data_type": self.data_type,
            "id": self.field_id,
            "custom_field": self.custom,
            "system_mandatory": self.mandatory,
            "read_only": self.read_only,
            "field_read_only": self.read_only,
            "length": self.length,
            "unique": {"casesensitive": str(self.case_sensitive).lower()} if self.unique else {},
            "lookup": {},
            "pick_list_values": [
                option.meta(n, f"{self.field_id}{n:03d}")
                for n, option in enumerate(self.pick_list, start=1)
            ],
        }
        if self.lookup_module:
            out["lookup"] = {"module": {"api_name": self.lookup_module}, "api_name": self.api_name}
        if self.subform:
            out["subform"] = {"module": self.subform}
        return out


def _f(api_name: str, data_type: str = "text", **kw: Any) -> Field:
    return Field(api_name=api_name, data_type=data_type, **kw)


@dataclass(frozen=True)
class ModuleDef:
    api_name: str
    singular: str
    display_field: str
    duplicate_check: str | None  # Zoho's system-defined duplicate check field for upsert
    fields: tuple[Field, ...] = field(default_factory=tuple)


# Fields every record has; they are computed by the store and never written by callers.
COMMON_FIELDS: tuple[Field, ...] = (
    _f("Owner", "ownerlookup"),
    _f("Created_Time", "datetime", read_only=True),
    _f("Modified_Time", "datetime", read_only=True),
    _f("Created_By", "ownerlookup", read_only=True),
    _f("Modified_By", "ownerlookup", read_only=True),
)
CURRENCY_FIELDS: tuple[Field, ...] = (
    _f("Currency", "picklist"),
    _f("Exchange_Rate", "double"),
)

_ADDRESS = ("Street", "City", "State", "Code", "Country")

MODULE_DEFS: dict[str, ModuleDef] = {
    "Accounts": ModuleDef("Accounts", "Account", "Account_Name", "Account_Name", (
        _f("Account_Name", mandatory=True, length=200),
        _f("Account_Number", length=40),
        _f("Phone", "phone", length=30),
        _f("Fax", "phone", length=30),
        _f("Website", "website"),
        _f("Account_Type", "picklist"),
        _f("Parent_Account", "lookup", lookup_module="Accounts"),
        *(_f(f"Billing_{part}") for part in _ADDRESS),
        *(_f(f"Shipping_{part}") for part in _ADDRESS),
        _f("Description", "textarea", length=32000),
    )),
    "Contacts": ModuleDef("Contacts", "Contact", "Full_Name", "Email", (
        _f("First_Name", length=40),
        _f("Last_Name", mandatory=True, length=80),
        _f("Full_Name", read_only=True),
        _f("Email", "email", length=100),
        _f("Phone", "phone", length=30),
        _f("Mobile", "phone", length=30),
        _f("Account_Name", "lookup", lookup_module="Accounts"),
        *(_f(f"Mailing_{part}") for part in _ADDRESS),
        _f("Description", "textarea", length=32000),
    )),
    "Deals": ModuleDef("Deals", "Deal", "Deal_Name", "Deal_Name", (
        _f("Deal_Name", mandatory=True, length=120),
        # The org's stages come from its profile (``profiles.py``): orgs customise them.
        _f("Stage", "picklist", mandatory=True),
        _f("Amount", "currency"),
        _f("Closing_Date", "date"),
        _f("Account_Name", "lookup", lookup_module="Accounts"),
        _f("Contact_Name", "lookup", lookup_module="Contacts"),
        _f("Type", "picklist"),
        _f("Description", "textarea", length=32000),
    )),
    "Products": ModuleDef("Products", "Product", "Product_Name", "Product_Name", (
        _f("Product_Name", mandatory=True, length=120),
        _f("Product_Code", length=40),
        _f("Unit_Price", "currency"),
        _f("Product_Active", "boolean"),
        _f("Taxable", "boolean"),
        _f("Description", "textarea", length=32000),
    )),
    "Invoices": ModuleDef("Invoices", "Invoice", "Subject", "Subject", (
        _f("Subject", mandatory=True, length=200),
        _f("Account_Name", "lookup", mandatory=True, lookup_module="Accounts"),
        _f("Deal_Name", "lookup", lookup_module="Deals"),
        _f("Contact_Name", "lookup", lookup_module="Contacts"),
        _f("Invoice_Date", "date"),
        _f("Due_Date", "date"),
        _f("Status", "picklist"),
        _f("Invoiced_Items", "subform", mandatory=True, subform="Invoiced_Items"),
        _f("Discount", "currency"),
        _f("Tax", "currency"),
        _f("Adjustment", "currency"),
        _f("Sub_Total", "currency", read_only=True),
        _f("Grand_Total", "currency", read_only=True),
        *(_f(f"Billing_{part}") for part in _ADDRESS),
        _f("Description", "textarea", length=32000),
    )),
}

# Line items of an inventory record: a subform whose product must exist in Products.
SUBFORMS: dict[str, tuple[Field, ...]] = {
    "Invoiced_Items": (
        _f("Product_Name", "lookup", mandatory=True, lookup_module="Products"),
        _f("Quantity", "double", mandatory=True),
        _f("List_Price", "currency"),
        _f("Discount", "currency"),
        _f("Tax", "currency"),
        _f("Description", "textarea", length=2000),
        _f("Total", "currency", read_only=True),
        _f("Net_Total", "currency", read_only=True),
    ),
}


def api_name_from_label(label: str) -> str:
    """Zoho derives a custom field's API name from its label: runs of non-alphanumerics → ``_``."""
    return re.sub(r"[^0-9A-Za-z]+", "_", label.strip()).strip("_")

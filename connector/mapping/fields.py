"""Field maps as data: which QuickBooks field feeds which Zoho field, how long it may be, and
which side owns it.

Ownership is what the Zoho -> QuickBooks direction reads when both sides changed a field:
``QBD`` fields (money, identity, item data) are QuickBooks' alone and a Zoho edit never goes
back; ``NEWER`` fields (contact details) go to whichever side changed last. ``qb`` names the
qbXML elements (``BillAddress/Addr1``) the value comes from, several joined into one Zoho text;
rules marked ``computed`` are filled by the mapper (names, amounts, stages, lookups) and are
listed here so the table shows every field ml-connector writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any

from pydantic import BaseModel

from connector.zoho.fields import QBD_ACTIVE

__all__ = [
    "Owner", "Kind", "FieldRule", "ACCOUNT_FIELDS", "CONTACT_FIELDS", "PRODUCT_FIELDS",
    "DEAL_FIELDS", "INVOICE_FIELDS", "FIELD_MAPS", "qb_value", "clip", "map_fields",
]


class Owner(StrEnum):
    QBD = "qbd"  # QuickBooks always wins (money, identity, item data)
    NEWER = "newer"  # the side that changed it last wins (contact details)
    # QuickBooks sets it when the record is created and when the invoice moves on (paid,
    # voided, deleted); in between it is Zoho's: a salesperson's stage survives QuickBooks
    # edits of the invoice.
    SALES = "sales"


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"
    BOOL = "bool"
    DATE = "date"


@dataclass(frozen=True)
class FieldRule:
    zoho: str
    qb: tuple[str, ...]
    owner: Owner
    kind: Kind = Kind.TEXT
    max_length: int | None = None
    computed: bool = False
    join: str = ", "


def _rule(zoho: str, *qb: str, owner: Owner = Owner.NEWER, kind: Kind = Kind.TEXT,
          max_length: int | None = None, computed: bool = False) -> FieldRule:
    return FieldRule(zoho, qb, owner, kind, max_length, computed)


_LINES = tuple(f"Addr{n}" for n in range(1, 6))
# Zoho's standard address fields: street 250 characters, the others 30.
_ADDRESS_PARTS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("Street", _LINES, 250), ("City", ("City",), 30), ("State", ("State",), 30),
    ("Code", ("PostalCode",), 30), ("Country", ("Country",), 30),
)


def _address(prefix: str, source: str) -> tuple[FieldRule, ...]:
    return tuple(_rule(f"{prefix}_{part}", *(f"{source}/{q}" for q in qb), max_length=length)
                 for part, qb, length in _ADDRESS_PARTS)


ACCOUNT_FIELDS: tuple[FieldRule, ...] = (
    # Names travel both ways (newer wins); QuickBooks refuses a name already in use (3100),
    # which the write-back records as a per-record failure.
    _rule("Account_Name", "Name", max_length=200),
    _rule("Account_Number", "AccountNumber", max_length=40),
    _rule("Phone", "Phone", max_length=30),
    _rule("Fax", "Fax", max_length=30),
    *_address("Billing", "BillAddress"),
    *_address("Shipping", "ShipAddress"),
    _rule("Description", "Notes", max_length=32000),
    _rule(QBD_ACTIVE, "IsActive", kind=Kind.BOOL),
)
CONTACT_FIELDS: tuple[FieldRule, ...] = (
    _rule("First_Name", "FirstName", max_length=40),
    _rule("Last_Name", "LastName", "Contact", "CompanyName", "Name", max_length=80,
          computed=True),
    _rule("Email", "Email", max_length=100, computed=True),
    _rule("Phone", "Phone", max_length=30),
    _rule("Mobile", "AltPhone", max_length=30),
    *_address("Mailing", "BillAddress"),
    _rule("Account_Name", "ListID", owner=Owner.QBD, computed=True),
)
PRODUCT_FIELDS: tuple[FieldRule, ...] = (
    _rule("Product_Name", "FullName", owner=Owner.QBD, max_length=120),
    # The SKU where QuickBooks keeps one, else the name (``products.product_code``).
    _rule("Product_Code", "ManufacturerPartNumber", "DataExtRet", "BarCodeValue", "FullName",
          owner=Owner.QBD, max_length=40, computed=True),
    # Item kinds keep price and description in different elements (SalesOrPurchase/Price,
    # SalesPrice, ...); the parsed Item already picked the right one.
    _rule("Unit_Price", "price", owner=Owner.QBD, kind=Kind.MONEY),
    _rule("Description", "description", owner=Owner.QBD, max_length=32000),
    _rule("Product_Active", "IsActive", owner=Owner.QBD, kind=Kind.BOOL),
    _rule("Taxable", "SalesTaxCodeRef/FullName", owner=Owner.QBD, kind=Kind.BOOL,
          computed=True),
)
DEAL_FIELDS: tuple[FieldRule, ...] = (
    _rule("Deal_Name", "RefNumber", "CustomerRef/FullName", owner=Owner.QBD, max_length=120,
          computed=True),
    _rule("Amount", "Subtotal", "SalesTaxTotal", owner=Owner.QBD, kind=Kind.MONEY,
          computed=True),
    _rule("Closing_Date", "TxnDate", owner=Owner.QBD, kind=Kind.DATE),
    _rule("Stage", "IsPaid", owner=Owner.SALES, computed=True),
    _rule("Account_Name", "CustomerRef/ListID", owner=Owner.QBD, computed=True),
    # The customer's primary Contact (the person of the top-level customer), when it has one.
    _rule("Contact_Name", "CustomerRef/ListID", owner=Owner.QBD, computed=True),
    _rule("Currency", "CurrencyRef/FullName", owner=Owner.QBD, computed=True),
    _rule("Exchange_Rate", "ExchangeRate", owner=Owner.QBD, kind=Kind.MONEY, computed=True),
    _rule("Description", "RefNumber", "PONumber", "Memo", owner=Owner.QBD, max_length=32000,
          computed=True),
)
INVOICE_FIELDS: tuple[FieldRule, ...] = (
    _rule("Subject", "RefNumber", owner=Owner.QBD, max_length=200, computed=True),
    _rule("Invoice_Date", "TxnDate", owner=Owner.QBD, kind=Kind.DATE),
    _rule("Due_Date", "DueDate", owner=Owner.QBD, kind=Kind.DATE),
    _rule("Status", "IsPaid", owner=Owner.SALES, computed=True),
    _rule("Account_Name", "CustomerRef/ListID", owner=Owner.QBD, computed=True),
    _rule("Contact_Name", "CustomerRef/ListID", owner=Owner.QBD, computed=True),
    _rule("Deal_Name", "TxnID", owner=Owner.QBD, computed=True),
    _rule("Invoiced_Items", "InvoiceLineRet", owner=Owner.QBD, computed=True),
    # Discount lines and sales tax go on the Invoiced_Items lines they belong to; the
    # invoice-level fields carry only what no line takes.
    _rule("Discount", "InvoiceLineRet/Amount", owner=Owner.QBD, kind=Kind.MONEY, computed=True),
    _rule("Tax", "SalesTaxTotal", owner=Owner.QBD, kind=Kind.MONEY, computed=True),
    _rule("Adjustment", "Subtotal", owner=Owner.QBD, kind=Kind.MONEY, computed=True),
    *_address("Billing", "BillAddress"),
)
FIELD_MAPS: dict[str, tuple[FieldRule, ...]] = {
    "Accounts": ACCOUNT_FIELDS, "Contacts": CONTACT_FIELDS, "Products": PRODUCT_FIELDS,
    "Deals": DEAL_FIELDS, "Invoices": INVOICE_FIELDS,
}


# (record type, qbXML element name) -> the attribute holding it; None: not a record.
_ATTRIBUTES: dict[tuple[type, str], str | None] = {}


def _attribute(model: type, name: str) -> str | None:
    key = (model, name)
    if key not in _ATTRIBUTES:
        _ATTRIBUTES[key] = (_aliases(model).get(name, name) if issubclass(model, BaseModel)
                            else None)
    return _ATTRIBUTES[key]


def _aliases(model: type[BaseModel]) -> dict[str, str]:
    return {info.alias: key for key, info in model.model_fields.items() if info.alias}


@cache
def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("/"))


def qb_value(record: BaseModel, path: str) -> Any:
    """The value at a qbXML element path (``BillAddress/City``) of a parsed record."""
    node: Any = record
    # Runs for every field of every record mapped: the attribute names are looked up once.
    for name in _parts(path):
        attribute = _attribute(type(node), name)
        if attribute is None:
            return None
        node = getattr(node, attribute, None)
    return node


def clip(text: str | None, max_length: int | None) -> str | None:
    """Trimmed text that fits the Zoho field; an ellipsis shows that it was cut."""
    if text is None:
        return None
    text = " ".join(text.split()) if "\n" in text or "\r" in text else text.strip()
    if not text:
        return None
    if max_length is not None and len(text) > max_length:
        return text[:max_length - 1].rstrip() + "…"
    return text


def _value(record: BaseModel, rule: FieldRule) -> Any:
    if rule.kind is Kind.TEXT:
        parts = (qb_value(record, path) for path in rule.qb)
        joined = rule.join.join(str(p).strip() for p in parts if p not in (None, ""))
        return clip(joined, rule.max_length)
    value = qb_value(record, rule.qb[0])
    if rule.kind is Kind.MONEY:
        return value if isinstance(value, Decimal) else None
    if rule.kind is Kind.DATE:
        return value.isoformat() if isinstance(value, date) else None
    return bool(value) if value is not None else None


def map_fields(record: BaseModel, rules: Iterable[FieldRule]) -> dict[str, Any]:
    """Every rule that is not computed, read from ``record``; absent values become None so a
    value cleared in QuickBooks is cleared in Zoho too."""
    return {rule.zoho: _value(record, rule) for rule in rules if not rule.computed}

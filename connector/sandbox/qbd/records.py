"""The records one simulated company file holds, and the tables that say how they relate.

Fields are kept under their qbXML element names (``fields["BillAddress"]["City"]``) with typed
values; a reference (``TermsRef``, ``ItemRef``…) is stored as the ListID it points to, so
renaming a record shows up in every response that refers to it, as in QuickBooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "ListRecord", "InvoiceLine", "Invoice", "Payment", "Deleted", "ITEM_KINDS", "FAMILY_OF_KIND",
    "REF_FAMILY", "REF_KINDS", "FAMILY_LABEL", "STATIC_LISTS", "family_of_ref",
]

ITEM_KINDS = ("ItemService", "ItemNonInventory", "ItemInventory", "ItemOtherCharge",
              "ItemDiscount", "ItemSalesTax")

# Names are unique within a family (QuickBooks: items share one list; customers share theirs
# with vendors, employees and other names, of which the simulator models customers).
FAMILY_OF_KIND: dict[str, str] = {
    "Customer": "Customer", **dict.fromkeys(ITEM_KINDS, "Item"),
    "StandardTerms": "Terms", "SalesTaxCode": "SalesTaxCode", "Account": "Account",
}

REF_FAMILY: dict[str, str] = {
    "CustomerRef": "Customer", "ItemRef": "Item", "ItemSalesTaxRef": "Item",
    "TermsRef": "Terms", "SalesTaxCodeRef": "SalesTaxCode",
    "CustomerSalesTaxCodeRef": "SalesTaxCode", "PurchaseTaxCodeRef": "SalesTaxCode",
    "AccountRef": "Account", "IncomeAccountRef": "Account", "ExpenseAccountRef": "Account",
    "COGSAccountRef": "Account", "AssetAccountRef": "Account", "ARAccountRef": "Account",
}

# References that accept only some kinds of their family (a sales-tax reference needs a tax item).
REF_KINDS: dict[str, tuple[str, ...]] = {"ItemSalesTaxRef": ("ItemSalesTax",)}

# How QuickBooks names each family in "invalid reference" messages.
FAMILY_LABEL: dict[str, str] = {
    "Customer": "Customer", "Item": "Item", "Terms": "Terms", "SalesTaxCode": "Sales Tax Code",
    "Account": "Account",
}

# Lists every company file has; the simulator does not let clients change them.
STATIC_LISTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("Account", "Accounts Receivable", {"AccountType": "AccountsReceivable"}),
    ("Account", "Sales", {"AccountType": "Income"}),
    ("Account", "Services", {"AccountType": "Income"}),
    ("Account", "Sales Tax Payable", {"AccountType": "OtherCurrentLiability"}),
    ("Account", "Cost of Goods Sold", {"AccountType": "CostOfGoodsSold"}),
    ("Account", "Inventory Asset", {"AccountType": "OtherCurrentAsset"}),
    ("Account", "Discounts Given", {"AccountType": "Income"}),
    ("StandardTerms", "Net 30", {"StdDueDays": 30}),
    ("StandardTerms", "Net 15", {"StdDueDays": 15}),
    ("StandardTerms", "Due on receipt", {"StdDueDays": 0}),
    ("SalesTaxCode", "Tax", {"IsTaxable": True}),
    ("SalesTaxCode", "Non", {"IsTaxable": False}),
)


def family_of_ref(ref: str, own_family: str) -> str:
    """The family a reference element points into (``ParentRef`` stays in the record's own)."""
    if ref == "ParentRef":
        return own_family
    return REF_FAMILY.get(ref, ref.removesuffix("Ref"))


@dataclass(slots=True)
class ListRecord:
    """A customer, item or static list entry."""

    kind: str
    list_id: str
    name: str
    time_created: datetime
    time_modified: datetime
    edit_sequence: int
    is_active: bool = True
    parent_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return FAMILY_OF_KIND[self.kind]


@dataclass(slots=True)
class InvoiceLine:
    """One invoice line; ``fields`` hold ItemRef, Desc, Quantity, Rate or RatePercent, Amount…"""

    txn_line_id: str
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def amount(self) -> Decimal:
        return self.fields.get("Amount", Decimal(0))


@dataclass(slots=True)
class CustomerTxn:
    """What an invoice and a payment share: a customer's transaction."""

    txn_id: str
    txn_number: int
    time_created: datetime
    time_modified: datetime
    edit_sequence: int
    customer_id: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Invoice(CustomerTxn):
    lines: list[InvoiceLine] = field(default_factory=list)
    applied_amount: Decimal = Decimal(0)


@dataclass(slots=True)
class Payment(CustomerTxn):
    """A received payment; ``applied`` is invoice TxnID -> amount applied to it."""

    applied: dict[str, Decimal] = field(default_factory=dict)


@dataclass(slots=True)
class Deleted:
    """An entry of ListDeletedQuery / TxnDeletedQuery: ``name`` is FullName or RefNumber."""

    del_type: str
    object_id: str
    time_created: datetime
    time_deleted: datetime
    name: str

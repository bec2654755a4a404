"""Typed records read from QuickBooks responses.

Field names are snake_case; each field's alias is the qbXML element it comes from, so a record
validates straight from the parser's element dicts and can also be built by name in code and
tests. Amounts are ``Decimal``; datetimes are always timezone-aware: QuickBooks writes local
time with an offset ("2026-01-05T10:11:12-08:00"), and a value without one is taken as UTC.
Unknown elements are ignored, so newer or hand-made responses still parse.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ITEM_TYPES",
    "QbDateTime",
    "QbModel",
    "Ref",
    "Address",
    "DataExt",
    "Customer",
    "Item",
    "InvoiceLine",
    "InvoiceLineGroup",
    "Invoice",
    "AppliedToTxn",
    "Payment",
    "DeletedListRecord",
    "DeletedTxnRecord",
    "HostInfo",
    "CompanyInfo",
]

# Item*Ret kinds QuickBooks returns from ItemQuery ("ItemServiceRet" -> "Service").
ITEM_TYPES: tuple[str, ...] = (
    "Service", "NonInventory", "Inventory", "InventoryAssembly", "OtherCharge", "Discount",
    "SalesTax", "SalesTaxGroup", "Subtotal", "Payment", "Group", "FixedAsset",
)


def _assume_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


QbDateTime = Annotated[datetime, AfterValidator(_assume_utc)]


def _f(alias: str, default: Any = None) -> Any:
    return Field(default, alias=alias)


class QbModel(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, extra="ignore",
                              frozen=True)


class Ref(QbModel):
    """A reference to another QuickBooks object (CustomerRef, ItemRef, ParentRef, ...)."""

    list_id: str | None = _f("ListID")
    full_name: str | None = _f("FullName")


class Address(QbModel):
    addr1: str | None = _f("Addr1")
    addr2: str | None = _f("Addr2")
    addr3: str | None = _f("Addr3")
    addr4: str | None = _f("Addr4")
    addr5: str | None = _f("Addr5")
    city: str | None = _f("City")
    state: str | None = _f("State")
    postal_code: str | None = _f("PostalCode")
    country: str | None = _f("Country")
    note: str | None = _f("Note")


class DataExt(QbModel):
    """A custom field value (returned only when the query asked for OwnerID 0)."""

    owner_id: str | None = _f("OwnerID")
    name: str = _f("DataExtName", ...)
    type: str | None = _f("DataExtType")
    value: str | None = _f("DataExtValue")


class _CustomFields(QbModel):
    data_ext: list[DataExt] = Field(default_factory=list, alias="DataExtRet")

    @property
    def custom_fields(self) -> dict[str, str | None]:
        return {ext.name: ext.value for ext in self.data_ext}


class _ListRecord(_CustomFields):
    """What every list entry (customer, item) carries; subitems and jobs have a parent."""

    list_id: str = _f("ListID", ...)
    edit_sequence: str = _f("EditSequence", ...)
    time_created: QbDateTime = _f("TimeCreated", ...)
    time_modified: QbDateTime = _f("TimeModified", ...)
    name: str = _f("Name", ...)
    full_name: str = _f("FullName", ...)
    is_active: bool = _f("IsActive", True)
    parent: Ref | None = _f("ParentRef")
    sublevel: int = _f("Sublevel", 0)


class Customer(_ListRecord):
    """A CustomerRet. Jobs are customers too: they carry ``parent`` and ``sublevel`` > 0."""

    company_name: str | None = _f("CompanyName")
    salutation: str | None = _f("Salutation")
    first_name: str | None = _f("FirstName")
    middle_name: str | None = _f("MiddleName")
    last_name: str | None = _f("LastName")
    job_title: str | None = _f("JobTitle")
    bill_address: Address | None = _f("BillAddress")
    ship_address: Address | None = _f("ShipAddress")
    phone: str | None = _f("Phone")
    alt_phone: str | None = _f("AltPhone")
    fax: str | None = _f("Fax")
    email: str | None = _f("Email")
    cc: str | None = _f("Cc")
    contact: str | None = _f("Contact")
    alt_contact: str | None = _f("AltContact")
    customer_type: Ref | None = _f("CustomerTypeRef")
    terms: Ref | None = _f("TermsRef")
    balance: Decimal | None = _f("Balance")
    total_balance: Decimal | None = _f("TotalBalance")
    account_number: str | None = _f("AccountNumber")
    job_status: str | None = _f("JobStatus")
    notes: str | None = _f("Notes")
    currency: Ref | None = _f("CurrencyRef")

    @property
    def is_job(self) -> bool:
        return self.parent is not None or self.sublevel > 0


# Where each item kind keeps its sales description and price, tried in order: services,
# non-inventory and other-charge items nest them in SalesOrPurchase (one account) or
# SalesAndPurchase (bought and sold); inventory items keep them at the top level; discount,
# sales-tax, subtotal, payment and group items use ItemDesc and their own rate elements.
_ITEM_SOURCES: dict[str, tuple[tuple[str, ...], ...]] = {
    "description": (("SalesOrPurchase", "Desc"), ("SalesAndPurchase", "SalesDesc"),
                    ("SalesDesc",), ("ItemDesc",)),
    "price": (("SalesOrPurchase", "Price"), ("SalesAndPurchase", "SalesPrice"),
              ("SalesPrice",), ("DiscountRate",)),
    "price_percent": (("SalesOrPurchase", "PricePercent"), ("DiscountRatePercent",),
                      ("TaxRate",)),
    "purchase_cost": (("SalesAndPurchase", "PurchaseCost"), ("PurchaseCost",)),
}


def _dig(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


class Item(_ListRecord):
    """Any Item*Ret; ``item_type`` says which ("Service", "Inventory", "Discount", ...)."""

    item_type: str = _f("ItemType", ...)
    description: str | None = None
    price: Decimal | None = None
    price_percent: Decimal | None = None
    purchase_cost: Decimal | None = None
    sales_tax_code: Ref | None = _f("SalesTaxCodeRef")
    quantity_on_hand: Decimal | None = _f("QuantityOnHand")
    # Inventory, assembly and non-inventory items only; every item type may carry a bar code.
    manufacturer_part_number: str | None = _f("ManufacturerPartNumber")
    bar_code_value: str | None = _f("BarCodeValue")

    @model_validator(mode="before")
    @classmethod
    def _flatten_prices(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "ListID" not in data:
            return data
        flat = dict(data)
        for field, paths in _ITEM_SOURCES.items():
            found = (_dig(data, p) for p in paths)
            flat.setdefault(field, next((v for v in found if v is not None), None))
        # ItemSalesTaxRet has no FullName: its Name is the whole name.
        flat.setdefault("FullName", data.get("Name"))
        return flat


class InvoiceLine(_CustomFields):
    """An InvoiceLineRet; ``group_line_id`` is the TxnLineID of its line group, if any."""

    txn_line_id: str = _f("TxnLineID", ...)
    item: Ref | None = _f("ItemRef")
    desc: str | None = _f("Desc")
    quantity: Decimal | None = _f("Quantity")
    unit_of_measure: str | None = _f("UnitOfMeasure")
    rate: Decimal | None = _f("Rate")
    rate_percent: Decimal | None = _f("RatePercent")
    amount: Decimal | None = _f("Amount")
    service_date: date | None = _f("ServiceDate")
    sales_tax_code: Ref | None = _f("SalesTaxCodeRef")
    other1: str | None = _f("Other1")
    other2: str | None = _f("Other2")
    group_line_id: str | None = None


class InvoiceLineGroup(QbModel):
    """An InvoiceLineGroupRet header; its lines are in ``Invoice.lines`` with ``group_line_id``."""

    txn_line_id: str = _f("TxnLineID", ...)
    item_group: Ref = _f("ItemGroupRef", ...)
    desc: str | None = _f("Desc")
    quantity: Decimal | None = _f("Quantity")
    is_print_items_in_group: bool | None = _f("IsPrintItemsInGroup")
    total_amount: Decimal | None = _f("TotalAmount")


# The parser files InvoiceLineRet and InvoiceLineGroupRet together, in document order, under
# this key, each tagged with its element name under LINE_KIND.
INVOICE_LINES_KEY = "InvoiceLines"
LINE_KIND = "_element"


def _split_lines(entries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    lines: list[dict[str, Any]] = []
    groups: list[Any] = []
    for entry in entries:
        if entry.get(LINE_KIND) != "InvoiceLineGroupRet":
            lines.append(entry)
            continue
        groups.append(entry)
        group_id = entry.get("TxnLineID")
        lines.extend({**sub, "group_line_id": group_id}
                     for sub in entry.get(INVOICE_LINES_KEY, []))
    return lines, groups


class _CustomerTxn(_CustomFields):
    """What every customer transaction (invoice, payment) carries."""

    txn_id: str = _f("TxnID", ...)
    time_created: QbDateTime = _f("TimeCreated", ...)
    time_modified: QbDateTime = _f("TimeModified", ...)
    edit_sequence: str = _f("EditSequence", ...)
    txn_number: int | None = _f("TxnNumber")
    customer: Ref = _f("CustomerRef", ...)


class Invoice(_CustomerTxn):
    """An InvoiceRet with its lines (group lines flattened, in order) and line groups."""

    txn_date: date = _f("TxnDate", ...)
    ref_number: str | None = _f("RefNumber")
    bill_address: Address | None = _f("BillAddress")
    ship_address: Address | None = _f("ShipAddress")
    is_pending: bool | None = _f("IsPending")
    po_number: str | None = _f("PONumber")
    terms: Ref | None = _f("TermsRef")
    due_date: date | None = _f("DueDate")
    ship_date: date | None = _f("ShipDate")
    subtotal: Decimal = _f("Subtotal", Decimal("0.00"))
    item_sales_tax: Ref | None = _f("ItemSalesTaxRef")
    sales_tax_percentage: Decimal | None = _f("SalesTaxPercentage")
    sales_tax_total: Decimal = _f("SalesTaxTotal", Decimal("0.00"))
    applied_amount: Decimal | None = _f("AppliedAmount")
    balance_remaining: Decimal | None = _f("BalanceRemaining")
    currency: Ref | None = _f("CurrencyRef")
    exchange_rate: Decimal | None = _f("ExchangeRate")
    balance_remaining_in_home_currency: Decimal | None = _f("BalanceRemainingInHomeCurrency")
    memo: str | None = _f("Memo")
    is_paid: bool | None = _f("IsPaid")
    other: str | None = _f("Other")
    lines: list[InvoiceLine] = Field(default_factory=list)
    groups: list[InvoiceLineGroup] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _collect_lines(cls, data: Any) -> Any:
        if not isinstance(data, dict) or INVOICE_LINES_KEY not in data:
            return data
        lines, groups = _split_lines(data[INVOICE_LINES_KEY])
        return {**data, "lines": lines, "groups": groups}

    @property
    def total(self) -> Decimal:
        """What the customer is billed: QuickBooks sends no total, only its two parts."""
        return self.subtotal + self.sales_tax_total


class AppliedToTxn(QbModel):
    """An AppliedToTxnRet: what a payment paid of one transaction (an invoice, usually)."""

    txn_id: str = _f("TxnID", ...)
    txn_type: str | None = _f("TxnType")
    ref_number: str | None = _f("RefNumber")
    balance_remaining: Decimal | None = _f("BalanceRemaining")
    amount: Decimal | None = _f("Amount")


class Payment(_CustomerTxn):
    """A ReceivePaymentRet with the transactions it is applied to."""

    txn_date: date | None = _f("TxnDate")
    ref_number: str | None = _f("RefNumber")
    total_amount: Decimal | None = _f("TotalAmount")
    unused_payment: Decimal | None = _f("UnusedPayment")
    applied_to: list[AppliedToTxn] = Field(default_factory=list, alias="AppliedToTxnRet")

    @property
    def invoice_ids(self) -> list[str]:
        return [a.txn_id for a in self.applied_to if a.txn_type in (None, "Invoice")]


class DeletedListRecord(QbModel):
    list_del_type: str = _f("ListDelType", ...)
    list_id: str = _f("ListID", ...)
    time_created: QbDateTime = _f("TimeCreated", ...)
    time_deleted: QbDateTime = _f("TimeDeleted", ...)
    full_name: str | None = _f("FullName")


class DeletedTxnRecord(QbModel):
    txn_del_type: str = _f("TxnDelType", ...)
    txn_id: str = _f("TxnID", ...)
    time_created: QbDateTime = _f("TimeCreated", ...)
    time_deleted: QbDateTime = _f("TimeDeleted", ...)
    ref_number: str | None = _f("RefNumber")


class HostInfo(QbModel):
    product_name: str = _f("ProductName", ...)
    major_version: str = _f("MajorVersion", ...)
    minor_version: str = _f("MinorVersion", ...)
    country: str | None = _f("Country")
    supported_qbxml_versions: list[str] = Field(default_factory=list,
                                                alias="SupportedQBXMLVersion")
    is_automatic_login: bool | None = _f("IsAutomaticLogin")
    qb_file_mode: str | None = _f("QBFileMode")


class CompanyInfo(_CustomFields):
    is_sample_company: bool | None = _f("IsSampleCompany")
    company_name: str | None = _f("CompanyName")
    legal_company_name: str | None = _f("LegalCompanyName")
    address: Address | None = _f("Address")
    phone: str | None = _f("Phone")
    fax: str | None = _f("Fax")
    email: str | None = _f("Email")
    company_web_site: str | None = _f("CompanyWebSite")

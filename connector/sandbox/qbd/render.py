"""Ret writers: records -> ``*Ret`` elements in the XSD's sequence order, values as QuickBooks
prints them.

Each writer gathers a record's values under their qbXML names; ``Writer.emit`` then walks the
element's children in schema order (``xsd.children``), so no writer can put an element out of
order, and references stored as ListIDs come out as ``ListID`` + current ``FullName``.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from lxml import etree

from connector.sandbox.qbd.company import Company
from connector.sandbox.qbd.records import Deleted, Invoice, ListRecord, Payment
from connector.sandbox.qbd.values import format_value
from connector.sandbox.qbd.xsd import is_list_ref, positions

__all__ = ["Writer", "HOST", "address_block"]

# What HostQuery reports: a US QuickBooks Pro 2023 in single-user mode.
HOST: dict[str, Any] = {
    "ProductName": "QuickBooks Pro 2023", "MajorVersion": "33", "MinorVersion": "0",
    "Country": "US",
    "SupportedQBXMLVersion": ["1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0",
                              "7.0", "8.0", "9.0", "10.0", "11.0", "12.0", "13.0", "14.0",
                              "15.0", "16.0"],
    "IsAutomaticLogin": False, "QBFileMode": "SingleUser",
}
_COMPANY_PROFILE: dict[str, Any] = {
    "IsSampleCompany": False,
    "Address": {"Addr1": "1 Market Street", "City": "San Francisco", "State": "CA",
                "PostalCode": "94105", "Country": "US"},
    "Phone": "415-555-0100", "Email": "office@example.com",
    "FirstMonthFiscalYear": "January", "FirstMonthIncomeTaxYear": "January",
    "CompanyType": "General Product-based Business", "EIN": "12-3456789",
}


def address_block(address: dict[str, str]) -> dict[str, str]:
    """The five printed lines QuickBooks derives from an address (``*AddressBlock``)."""
    lines = [address[k] for k in ("Addr1", "Addr2", "Addr3", "Addr4", "Addr5") if k in address]
    city = " ".join(p for p in (address.get("State"), address.get("PostalCode")) if p)
    place = ", ".join(p for p in (address.get("City"), city) if p)
    lines += [p for p in (place, address.get("Country")) if p]
    return {f"Addr{n}": line for n, line in enumerate(lines[:5], start=1)}


class Writer:
    """Writes Ret elements for one company."""

    def __init__(self, company: Company):
        self.company = company

    def emit(self, parent: etree._Element, tag: str, values: dict[str, Any],
             include: Collection[str] | None = None) -> etree._Element:
        """Append ``<tag>`` with ``values`` in schema order; ``include`` limits its children
        (IncludeRetElement)."""
        return self.fill(etree.SubElement(parent, tag), tag, values, include)

    def fill(self, element: etree._Element, spec: str, values: dict[str, Any],
             include: Collection[str] | None = None) -> etree._Element:
        """Write ``values`` into ``element`` in the order of ``spec`` (element or type name)."""
        slots = positions(spec)
        # Walk what is present (a few fields) rather than every child the schema allows (dozens).
        present = sorted((slots[name][0], name) for name, value in values.items()
                         if value is not None and name in slots
                         and (include is None or name in include))
        for _, name in present:
            child, value = slots[name][1], values[name]
            for each in value if child.repeats and isinstance(value, list) else (value,):
                if isinstance(each, dict):
                    self.emit(element, name, each)
                elif child.type is None and is_list_ref(name):
                    self.emit(element, name, self._ref(each))
                else:
                    etree.SubElement(element, name).text = format_value(
                        child.type, each, self.company.clock)
        return element

    def _ref(self, list_id: str) -> dict[str, str]:
        record = self.company.records[list_id]
        return {"ListID": list_id, "FullName": self.company.full_name(record)}

    # ---- one writer per Ret --------------------------------------------------------------
    def list_ret(self, parent: etree._Element, record: ListRecord,
                 include: Collection[str] | None = None) -> etree._Element:
        company = self.company
        values = dict(record.fields)
        values.update(ListID=record.list_id, TimeCreated=record.time_created,
                      TimeModified=record.time_modified, EditSequence=str(record.edit_sequence),
                      Name=record.name, FullName=company.full_name(record),
                      IsActive=record.is_active, ParentRef=record.parent_id,
                      Sublevel=company.sublevel(record))
        if record.kind == "Customer":
            own = company.balance(record)
            jobs = company.descendants(record)
            values.update(Balance=own, TotalBalance=own + sum(
                (company.balance(job) for job in jobs), Decimal(0)))
            values.setdefault("JobStatus", "None")
        _add_blocks(values)
        return self.emit(parent, f"{record.kind}Ret", values, include)

    def invoice_ret(self, parent: etree._Element, invoice: Invoice, *, lines: bool,
                    include: Collection[str] | None = None) -> etree._Element:
        totals = self.company.totals(invoice)
        values = dict(invoice.fields)
        values.update(
            TxnID=invoice.txn_id,
            TimeCreated=invoice.time_created,
            TimeModified=invoice.time_modified,
            EditSequence=str(invoice.edit_sequence),
            TxnNumber=invoice.txn_number,
            CustomerRef=invoice.customer_id,
            Subtotal=totals.subtotal,
            SalesTaxPercentage=totals.tax_percent,
            SalesTaxTotal=totals.tax_total,
            # QuickBooks shows payments applied as a negative amount.
            AppliedAmount=-invoice.applied_amount if invoice.applied_amount else Decimal(0),
            BalanceRemaining=totals.balance,
            IsPaid=totals.balance <= 0,
        )
        if lines:
            values["InvoiceLineRet"] = [{"TxnLineID": line.txn_line_id, **line.fields}
                                        for line in invoice.lines]
        _add_blocks(values)
        if include is not None and lines:
            include = {*include, "InvoiceLineRet"}
        return self.emit(parent, "InvoiceRet", values, include)

    def payment_ret(self, parent: etree._Element, payment: Payment,
                    include: Collection[str] | None = None) -> etree._Element:
        company = self.company
        values = dict(payment.fields)
        values.update(
            TxnID=payment.txn_id, TimeCreated=payment.time_created,
            TimeModified=payment.time_modified, EditSequence=str(payment.edit_sequence),
            TxnNumber=payment.txn_number, CustomerRef=payment.customer_id,
            UnusedPayment=company.unused(payment), UnusedCredits=Decimal(0),
        )
        # Sent whether or not the query asks for IncludeLineItems, as in the captured
        # ReceivePaymentQueryRs (qbwc/qbxml's receive_payment_query_rs.xml).
        values["AppliedToTxnRet"] = [self._applied(txn_id, amount)
                                     for txn_id, amount in payment.applied.items()]
        return self.emit(parent, "ReceivePaymentRet", values, include)

    def _applied(self, txn_id: str, amount: Decimal) -> dict[str, Any]:
        invoice = self.company.invoices.get(txn_id)
        if invoice is None:
            return {"TxnID": txn_id, "TxnType": "Invoice", "Amount": amount}
        return {"TxnID": txn_id, "TxnType": "Invoice", "TxnDate": invoice.fields.get("TxnDate"),
                "RefNumber": invoice.fields.get("RefNumber"),
                "BalanceRemaining": self.company.totals(invoice).balance, "Amount": amount}

    def deleted_ret(self, parent: etree._Element, entry: Deleted, *, txn: bool,
                    include: Collection[str] | None = None) -> etree._Element:
        values: dict[str, Any]
        if txn:
            values = {"TxnDelType": entry.del_type, "TxnID": entry.object_id,
                      "RefNumber": entry.name or None}
        else:
            values = {"ListDelType": entry.del_type, "ListID": entry.object_id,
                      "FullName": entry.name}
        values.update(TimeCreated=entry.time_created, TimeDeleted=entry.time_deleted)
        return self.emit(parent, "TxnDeletedRet" if txn else "ListDeletedRet", values, include)

    def host_ret(
        self, parent: etree._Element, include: Collection[str] | None = None
    ) -> etree._Element:
        return self.emit(parent, "HostRet", HOST, include)

    def company_ret(
        self, parent: etree._Element, include: Collection[str] | None = None
    ) -> etree._Element:
        name = self.company.company_name
        values = {**_COMPANY_PROFILE, "CompanyName": name, "LegalCompanyName": name}
        if self.company.address is not None:
            values["Address"] = self.company.address
        values["AddressBlock"] = address_block(values["Address"])
        return self.emit(parent, "CompanyRet", values, include)


def _add_blocks(values: dict[str, Any]) -> None:
    for key in ("BillAddress", "ShipAddress"):
        if key in values:
            values[f"{key}Block"] = address_block(values[key])

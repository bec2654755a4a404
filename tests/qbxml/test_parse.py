"""Responses are read tolerantly and safely; what cannot be read says where and why."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from connector.errors import RecordError
from connector.qbxml import (
    CompanyInfo,
    Customer,
    DeletedListRecord,
    DeletedTxnRecord,
    HostInfo,
    Invoice,
    Item,
    Payment,
    QbxmlParseError,
    ResponseStream,
    iter_records,
    read_statuses,
)
from tests.qbxml.conftest import QBXML_FIXTURES

# Every copied fixture and what reading it must give: the record types, and each *Rs as
# (name, statusCode, number of *Ret) -- or the start of the QbxmlParseError it must raise.
READABLE: dict[str, tuple[dict[str, int], list[tuple[str, int, int]]]] = {
    "billash-qbwc/accounts.xml": ({}, [("AccountQueryRs", 0, 116)]),
    "billash-qbwc/creditcards.xml": ({}, [("AccountQueryRs", 0, 2)]),
    "billash-qbwc/customers.xml": ({"Customer": 146}, [("CustomerQueryRs", 0, 146)]),
    "billash-qbwc/vendors.xml": ({}, [("VendorQueryRs", 0, 54)]),
    "flowlink/invoice_add_rs.xml": ({"Invoice": 1}, [("InvoiceAddRs", 0, 1)]),
    "flowlink/item_inventory_add_rs.xml": ({"Item": 1}, [("ItemInventoryAddRs", 0, 1)]),
    "flowlink/item_inventory_query_rs_raw.xml": ({"Item": 16},
                                                 [("ItemInventoryQueryRs", 0, 16)]),
    "flowlink/receive_payment_add_rs.xml": ({"Payment": 1}, [("ReceivePaymentAddRs", 0, 1)]),
    "flowlink/sales_order_add_rs_invalid_record_ref.xml": ({}, [("SalesOrderAddRs", 3140, 0)]),
    "flowlink/sales_order_add_rs_raw.xml": ({}, [
        ("ItemInventoryQueryRs", 1, 0), ("ItemInventoryQueryRs", 1, 0),
        ("SalesOrderAddRs", 0, 1), ("SalesOrderAddRs", 3140, 0)]),
    "hotglue-qbwc-common/account-add.response.xml": ({}, [("AccountAddRs", 0, 1)]),
    "hotglue-qbwc-common/customer-batch-mixed.response.xml": ({"Customer": 2}, [
        ("CustomerAddRs", 0, 1), ("CustomerAddRs", 3100, 0), ("CustomerAddRs", 3250, 0),
        ("CustomerAddRs", 3130, 0), ("CustomerAddRs", 0, 1)]),
    "landosaurus-qb-export-scripts/invoice_query_sample.xml": ({"Invoice": 2},
                                                               [("InvoiceQueryRs", 0, 2)]),
    "qbwc-qbxml/responses/account_query_rs.xml": ({}, [("AccountQueryRs", 0, 2)]),
    "qbwc-qbxml/responses/customer_add_rs.xml": ({"Customer": 1}, [("CustomerAddRs", 0, 1)]),
    "qbwc-qbxml/responses/customer_query_rs.xml": ({"Customer": 1},
                                                   [("CustomerQueryRs", 0, 1)]),
    "qbwc-qbxml/responses/customer_query_terator_rs.xml": ({"Customer": 1},
                                                           [("CustomerQueryRs", 0, 1)]),
    "qbwc-qbxml/responses/item_inventory_add_rs.xml": ({"Item": 1},
                                                       [("ItemInventoryAddRs", 0, 1)]),
    "qbwc-qbxml/responses/purchase_order_query_rs.xml": ({}, [("PurchaseOrderQueryRs", 0, 1)]),
    "qbwc-qbxml/responses/receive_payment_query_rs.xml": ({"Payment": 1},
                                                          [("ReceivePaymentQueryRs", 0, 1)]),
    "qbwc-qbxml/responses/sales_receipt_add_rs.xml": ({}, [("SalesReceiptAddRs", 0, 1)]),
    "handmade/item_query_mixed.xml": ({"Item": 7}, [("ItemQueryRs", 0, 8)]),
    "handmade/invoice_query_groups.xml": ({"Invoice": 1}, [("InvoiceQueryRs", 0, 1)]),
    "handmade/deleted_and_host.xml": (
        {"DeletedListRecord": 2, "DeletedTxnRecord": 1, "HostInfo": 1, "CompanyInfo": 1},
        [("ListDeletedQueryRs", 0, 2), ("TxnDeletedQueryRs", 0, 1), ("HostQueryRs", 0, 1),
         ("CompanyQueryRs", 0, 1)]),
    "handmade/status_batch.xml": ({}, [
        ("CustomerModRs", 3200, 0), ("CustomerModRs", 3180, 0), ("CustomerQueryRs", 1, 0),
        ("ItemQueryRs", 3391, 0), ("CustomerAddRs", 3100, 0), ("InvoiceQueryRs", 500, 0),
        ("CustomerAddRs", 3250, 0), ("CustomerQueryRs", 9999, 0)]),
}
# Malformed upstream on purpose, or templates rather than responses (see PROVENANCE.md).
UNREADABLE: dict[str, str] = {
    "flowlink/invoice_add_rq.xml": "no QBXMLMsgsRs element",
    "flowlink/item_inventory_query_rs.xml": "malformed XML: xmlns:xsi",
    "flowlink/item_inventory_query_rs_empty.xml": "malformed XML: XML declaration allowed",
    "flowlink/item_inventory_query_rs_multiple.xml": "malformed XML: XML declaration allowed",
    "flowlink/item_query_rs.xml": "malformed XML: XML declaration allowed",
    "flowlink/sales_order_add_rs.xml": "malformed XML: XML declaration allowed",
    "flowlink/sales_order_query_rs.xml": "no QBXMLMsgsRs element",
    "flowlink/sales_receipt_query_rs.xml": "no QBXMLMsgsRs element",
}
# Hand-made upstream with CustomerRets lacking EditSequence/TimeCreated/TimeModified.
INCOMPLETE_RECORDS = "hotglue-qbwc-common/customer-batch-valid.response.xml"
PACIFIC = timezone(timedelta(hours=-8))


def _read(name: str) -> tuple[list[object], ResponseStream]:
    stream = ResponseStream(QBXML_FIXTURES / name)
    return list(stream), stream


def test_every_copied_fixture_has_an_expected_outcome() -> None:
    files = {p.relative_to(QBXML_FIXTURES).as_posix() for p in QBXML_FIXTURES.rglob("*.xml")}
    assert files == set(READABLE) | set(UNREADABLE) | {INCOMPLETE_RECORDS}


@pytest.mark.parametrize("name", sorted(READABLE))
def test_every_well_formed_response_parses(name: str) -> None:
    records, stream = _read(name)
    kinds, statuses = READABLE[name]
    assert Counter(type(r).__name__ for r in records) == kinds
    assert [(s.rs_name, s.status_code, s.ret_count) for s in stream.statuses] == statuses
    assert stream.rejected == []


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_templates_and_malformed_files_give_a_clear_parse_error(name: str) -> None:
    with pytest.raises(QbxmlParseError) as caught:
        list(iter_records(QBXML_FIXTURES / name))
    assert str(caught.value).startswith(f"[qbxml-parse] {UNREADABLE[name]}")
    assert isinstance(caught.value, RecordError)


def test_malformed_xml_error_names_the_line() -> None:
    with pytest.raises(QbxmlParseError) as caught:
        read_statuses(QBXML_FIXTURES / "flowlink/item_inventory_query_rs_empty.xml")
    assert caught.value.line == 7 and "line 7" in str(caught.value)


def test_a_record_missing_required_fields_names_request_record_and_line() -> None:
    with pytest.raises(QbxmlParseError) as caught:
        list(iter_records(QBXML_FIXTURES / INCOMPLETE_RECORDS))
    error = caught.value
    assert (error.rs_name, error.request_id, error.line) == ("CustomerAddRs", "ext-ok-2", 20)
    assert "CustomerRet 80002748-1785964187" in str(error)
    assert "EditSequence: Field required" in str(error)


def test_lenient_reading_skips_bad_records_and_keeps_the_rest() -> None:
    stream = ResponseStream(QBXML_FIXTURES / INCOMPLETE_RECORDS, strict=False)
    records = list(stream)
    assert [r.name for r in records] == ["HG-BATCH-OK-1785964184-1"]  # type: ignore[union-attr]
    assert [e.request_id for e in stream.rejected] == [f"ext-ok-{n}" for n in (2, 3, 4, 5)]
    assert [s.ret_count for s in stream.statuses] == [1, 1, 1, 1, 1]


def test_out_of_order_invoice_reads_every_field() -> None:
    first, second = iter_records(QBXML_FIXTURES /
                                 "landosaurus-qb-export-scripts/invoice_query_sample.xml")
    assert isinstance(second, Invoice) and isinstance(first, Invoice)
    assert first.is_pending is False and first.lines == []
    assert second.customer.full_name == "Other Co" and second.customer.list_id is None
    assert [(ln.txn_line_id, ln.quantity, ln.rate, ln.amount) for ln in second.lines] == [
        ("L-1", Decimal("10"), Decimal("25.00"), Decimal("250.00")),
        ("L-2", Decimal("1"), Decimal("35.00"), Decimal("35.00"))]
    assert second.subtotal == second.total == Decimal("285.00")
    assert second.time_modified == datetime(2025, 5, 2, 18, 0, tzinfo=UTC)


def test_jobs_carry_their_parent_and_sublevel() -> None:
    customers = [r for r in iter_records(QBXML_FIXTURES / "billash-qbwc/customers.xml")
                 if isinstance(r, Customer)]
    job = next(c for c in customers if c.full_name == "Abercrombie, Kristy:Family Room")
    assert job.is_job and job.sublevel == 1
    assert job.parent is not None and job.parent.full_name == "Abercrombie, Kristy"
    top = next(c for c in customers if c.full_name == "Abercrombie, Kristy")
    assert not top.is_job and top.balance == Decimal("0.00")
    assert top.bill_address is not None and top.bill_address.city == "Bayshore"


def test_item_prices_are_found_wherever_each_item_kind_keeps_them() -> None:
    items = {i.item_type: i for i in iter_records(QBXML_FIXTURES /  # type: ignore[union-attr]
                                                  "handmade/item_query_mixed.xml")}
    assert all(isinstance(i, Item) for i in items.values())
    service, cable = items["Service"], items["NonInventory"]
    assert (service.description, service.price) == ("Hourly consulting", Decimal("150.00"))
    assert service.custom_fields == {"Zoho Product": "P-1"}
    assert service.parent is not None and service.sublevel == 1
    assert (cable.description, cable.price, cable.purchase_cost) == (
        "Câble réseau", Decimal("12.50"), Decimal("4.10"))
    assert cable.is_active is False
    assert (items["Inventory"].price, items["Inventory"].quantity_on_hand) == (
        Decimal("19.99"), Decimal("42"))
    assert items["OtherCharge"].price_percent == Decimal("2.5")
    assert items["Discount"].price_percent == Decimal("10.0")
    tax = items["SalesTax"]
    assert (tax.full_name, tax.price_percent, tax.description) == (
        "State Tax", Decimal("7.25"), "State sales tax")
    assert items["Subtotal"].price is None


def test_datetimes_without_offset_are_taken_as_utc() -> None:
    cable = next(i for i in iter_records(QBXML_FIXTURES / "handmade/item_query_mixed.xml")
                 if getattr(i, "item_type", None) == "NonInventory")
    assert cable.time_created == datetime(  # type: ignore[union-attr]
        2026, 1, 5, 10, 11, 12, tzinfo=UTC)


def test_invoice_line_groups_are_flattened_in_document_order() -> None:
    (invoice,) = iter_records(QBXML_FIXTURES / "handmade/invoice_query_groups.xml")
    assert isinstance(invoice, Invoice)
    assert [(ln.txn_line_id, ln.group_line_id) for ln in invoice.lines] == [
        ("1A2C-1700000100", None), ("1A2E-1700000100", "1A2D-1700000100"),
        ("1A2F-1700000100", "1A2D-1700000100"), ("1A30-1700000100", None)]
    (group,) = invoice.groups
    assert (group.item_group.full_name, group.total_amount) == ("Starter Kit", Decimal("480.00"))
    assert invoice.lines[3].rate_percent == Decimal("-1.8868")
    assert invoice.lines[0].service_date == date(2026, 1, 2)
    assert (invoice.currency.full_name, invoice.exchange_rate) == (  # type: ignore[union-attr]
        "Euro", Decimal("1.0825"))
    assert invoice.total == Decimal("1136.85") and invoice.applied_amount == Decimal("-100.00")
    assert invoice.memo == "Phase 1 — Rohbau" and invoice.custom_fields == {
        "Project": "P-2026-7"}


def test_deleted_records_host_and_company_are_typed() -> None:
    records = list(iter_records(QBXML_FIXTURES / "handmade/deleted_and_host.xml"))
    customer, item, invoice, host, company = records
    assert isinstance(customer, DeletedListRecord) and customer.list_del_type == "Customer"
    assert customer.time_deleted == datetime(2026, 1, 6, 17, 45, tzinfo=PACIFIC)
    assert isinstance(item, DeletedListRecord) and item.full_name is None
    assert isinstance(invoice, DeletedTxnRecord) and invoice.ref_number == "INV-0299"
    assert isinstance(host, HostInfo) and host.supported_qbxml_versions[-1] == "13.0"
    assert isinstance(company, CompanyInfo) and company.company_name == "Mountain Lumber Co."


def test_escaped_and_inlined_soap_envelopes_are_unwrapped() -> None:
    (invoice,) = iter_records(QBXML_FIXTURES / "flowlink/invoice_add_rs.xml")
    (item,) = iter_records(QBXML_FIXTURES / "flowlink/item_inventory_add_rs.xml")
    assert isinstance(invoice, Invoice) and invoice.txn_id == "C5-1417118624"
    assert isinstance(item, Item) and item.name == "SPREE-T-SHIRT-1"


def test_iterator_fields_are_read_from_the_response() -> None:
    (status,) = read_statuses(QBXML_FIXTURES / "qbwc-qbxml/responses/customer_query_terator_rs.xml")
    assert status.iterator_remaining == 18
    assert status.iterator_id == "{eb05f701-e727-472f-8ade-6753c4f67a46}"
    assert status.status_severity == "Info" and status.request_id == "1"


def test_read_statuses_accepts_the_text_the_bridge_receives() -> None:
    text = (QBXML_FIXTURES / "billash-qbwc/customers.xml").read_text(encoding="utf-8")
    (status,) = read_statuses(text)
    assert (status.rs_name, status.ret_count, status.status_message) == (
        "CustomerQueryRs", 146, "Status OK")


def test_current_tracks_the_rs_of_the_last_record() -> None:
    stream = ResponseStream(QBXML_FIXTURES / "handmade/deleted_and_host.xml")
    seen = [(type(r).__name__, stream.current.request_id) for r in stream]  # type: ignore[union-attr]
    assert seen[0] == ("DeletedListRecord", "del-1") and seen[-1] == ("CompanyInfo", "host-1")


def test_text_declaring_latin1_is_read_as_the_text_it_is() -> None:
    text = ('<?xml version="1.0" encoding="ISO-8859-1"?><QBXML><QBXMLMsgsRs>'
            '<CustomerAddRs requestID="1" statusCode="0"><CustomerRet><ListID>1</ListID>'
            '<TimeCreated>2026-01-05T10:11:12</TimeCreated>'
            '<TimeModified>2026-01-05T10:11:12</TimeModified><EditSequence>1</EditSequence>'
            '<Name>Zoë &#321;</Name><FullName>Zoë &#321;</FullName></CustomerRet>'
            '</CustomerAddRs></QBXMLMsgsRs></QBXML>')
    (customer,) = iter_records(text)
    assert customer.name == "Zoë Ł"  # type: ignore[union-attr]
    (same,) = iter_records(text.encode("latin-1", errors="xmlcharrefreplace"))
    assert same == customer


def test_paths_bytes_and_file_objects_give_the_same_records() -> None:
    path = QBXML_FIXTURES / "handmade/item_query_mixed.xml"
    from_path = list(iter_records(path))
    assert list(iter_records(path.read_bytes())) == from_path
    assert list(iter_records(io.BytesIO(path.read_bytes()))) == from_path


@pytest.mark.parametrize("attributes", ['statusCode="zero"', 'requestID="7"'])
def test_a_bad_or_missing_status_code_is_a_parse_error(attributes: str) -> None:
    xml = f"<QBXML><QBXMLMsgsRs><CustomerQueryRs {attributes}/></QBXMLMsgsRs></QBXML>"
    with pytest.raises(QbxmlParseError, match="status attribute"):
        read_statuses(xml)


def test_a_request_is_not_mistaken_for_a_response() -> None:
    with pytest.raises(QbxmlParseError, match="not a qbXML response"):
        read_statuses('<?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
                      '<HostQueryRq/></QBXMLMsgsRq></QBXML>')


def test_an_empty_escaped_soap_response_is_a_parse_error() -> None:
    envelope = ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
                '<soap:Body><receiveResponseXML xmlns="http://developer.intuit.com/">'
                '<ticket>t</ticket><response></response><hresult>0x80040400</hresult>'
                '</receiveResponseXML></soap:Body></soap:Envelope>')
    with pytest.raises(QbxmlParseError, match="malformed XML"):
        read_statuses(envelope)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE QBXML [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="1" statusCode="0"><CustomerRet>
<ListID>1</ListID><Name>&secret;</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE QBXML [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="1" statusCode="0">
<CustomerRet><Name>&d;</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"""


@pytest.mark.parametrize("document", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_documents_with_a_dtd_are_refused(document: bytes) -> None:
    for source in (document, document.decode("ascii")):
        with pytest.raises(QbxmlParseError, match="DOCTYPE/DTD are refused"):
            list(iter_records(source))
    with pytest.raises(QbxmlParseError, match="DOCTYPE/DTD are refused"):
        read_statuses(document)


def test_a_stream_read_twice_reports_each_status_once() -> None:
    stream = ResponseStream(QBXML_FIXTURES / "handmade/deleted_and_host.xml")
    first, second = list(stream), list(stream)
    assert first == second and len(stream.statuses) == 4


@pytest.mark.parametrize("count", [str(2**63), "-1", "1_000", "9" * 5000])
def test_an_iterator_count_no_company_file_could_hold_is_a_parse_error(count: str) -> None:
    xml = (f'<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" iteratorID="x" '
           f'iteratorRemainingCount="{count}"/></QBXMLMsgsRs></QBXML>')
    with pytest.raises(QbxmlParseError, match="iteratorRemainingCount"):
        read_statuses(xml)


def test_soap_responses_wrapped_in_each_other_are_refused_not_recursed() -> None:
    from xml.sax.saxutils import escape

    nested = '<QBXML><QBXMLMsgsRs><HostQueryRs statusCode="0"/></QBXMLMsgsRs></QBXML>'
    for _ in range(400):
        nested = f"<response>{escape(nested)}</response>"
    with pytest.raises(QbxmlParseError, match="nested"):
        read_statuses(nested)


def test_a_captured_payment_names_the_invoice_it_paid_and_its_balance() -> None:
    [payment], _ = _read("qbwc-qbxml/responses/receive_payment_query_rs.xml")
    assert isinstance(payment, Payment)
    assert (payment.txn_id, payment.edit_sequence, payment.customer.list_id) == (
        "2484-1263499231", "1286158535", "800002FB-1263497272")
    assert payment.total_amount == Decimal("112.35")
    assert payment.time_modified == datetime(2010, 10, 3, 19, 15, 35, tzinfo=PACIFIC)
    [applied] = payment.applied_to
    assert (applied.txn_id, applied.txn_type, applied.balance_remaining, applied.amount) == (
        "244B-1263497335", "Invoice", Decimal("0.00"), Decimal("112.35"))
    assert payment.invoice_ids == ["244B-1263497335"]


def test_a_captured_unapplied_payment_applies_to_nothing() -> None:
    [payment], _ = _read("flowlink/receive_payment_add_rs.xml")
    assert isinstance(payment, Payment)
    assert payment.unused_payment == Decimal("210.00") and payment.invoice_ids == []

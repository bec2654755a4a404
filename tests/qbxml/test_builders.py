"""Every request we build is complete, in schema order and valid against the qbXML 13.0 XSD."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from connector.qbxml import (
    DELETED_LIST_TYPES,
    TXN_DELETED_TYPES,
    Address,
    CustomerInput,
    InvoiceLineChange,
    QbxmlRequest,
    Ref,
    continue_iterator,
    customer_add,
    customer_mod,
    customer_query,
    customer_query_by_id,
    host_company_query,
    invoice_mod,
    invoice_query,
    invoice_query_by_id,
    invoice_query_by_ids,
    item_query,
    key_scan_query,
    list_deleted_query,
    receive_payment_query,
    txn_deleted_query,
    txn_void,
)
from connector.qbxml.schema import validate
from connector.qbxml.writes import NEW_LINE

PACIFIC = timezone(timedelta(hours=-8))
SINCE = datetime(2026, 1, 5, 10, 11, 12, tzinfo=PACIFIC)
FULL_CUSTOMER = CustomerInput(
    name="Müller GmbH", is_active=True, parent=Ref(full_name="Holding"),
    company_name="Müller GmbH", salutation="Frau", first_name="Jürgen", middle_name="K",
    last_name="Müller", job_title="Einkauf",
    bill_address=Address(addr1="Königstraße 1", addr2="Hof 2", city="Stuttgart",
                         state="BW", postal_code="70173", country="DE", note="Tor 3"),
    ship_address=Address(addr1="Lager", city="Esslingen"),
    phone="+49 711 000", alt_phone="+49 711 001", fax="+49 711 002",
    email="einkauf@mueller.example", cc="chef@mueller.example", contact="J. Müller",
    alt_contact="K. Müller", customer_type=Ref(full_name="Wholesale"),
    terms=Ref(list_id="10000-1"), account_number="A-77", notes="Zahlt pünktlich",
    currency=Ref(full_name="Euro"))


def _tree(xml: str) -> etree._Element:
    return etree.fromstring(xml.encode("utf-8"))


def _texts(xml: str, path: str) -> list[str | None]:
    return [el.text for el in _tree(xml).iterfind(path)]


def _mod(request_id: str, changes: CustomerInput) -> QbxmlRequest:
    return customer_mod(request_id, "80000001-1", "1700", changes)


BUILDS: dict[str, Callable[[], QbxmlRequest]] = {
    "customer_query": lambda: customer_query("c-1", from_modified=SINCE),
    "customer_query_plain": lambda: customer_query("c-2", iterator=False, max_returned=1),
    "customer_query_custom_fields": lambda: customer_query("c-3", custom_fields=True),
    "item_query": lambda: item_query("i-1", from_modified=SINCE, custom_fields=True),
    "invoice_query": lambda: invoice_query("v-1", from_modified=SINCE, custom_fields=True),
    "invoice_query_no_lines": lambda: invoice_query("v-2", include_line_items=False),
    "list_deleted_query": lambda: list_deleted_query("d-1", from_deleted=SINCE),
    "txn_deleted_query": lambda: txn_deleted_query("d-2", from_deleted=SINCE),
    "host_company_query": lambda: host_company_query("h-1"),
    "customer_query_by_id": lambda: customer_query_by_id("r-1", "80000001-1"),
    "invoice_query_by_id": lambda: invoice_query_by_id("r-2", "T-1"),
    "invoice_query_by_ids": lambda: invoice_query_by_ids("r-3", ["T-1", "T-2", "T-3"]),
    "receive_payment_query": lambda: receive_payment_query("p-1", from_modified=SINCE),
    "receive_payment_query_all": lambda: receive_payment_query("p-2"),
    "key_scan_customers": lambda: key_scan_query("k-1", "Customer"),
    "key_scan_items": lambda: key_scan_query("k-2", "Item", max_returned=5),
    "key_scan_invoices": lambda: key_scan_query("k-3", "Invoice"),
    "txn_deleted_query_payments": lambda: txn_deleted_query("d-3", types=TXN_DELETED_TYPES,
                                                            from_deleted=SINCE),
    "txn_void": lambda: txn_void("x-1", "T-1"),
    "continue_iterator": lambda: continue_iterator(
        invoice_query("v-1", from_modified=SINCE), iterator_id="{it}", request_id="v-1b"),
    "customer_add_full": lambda: customer_add("n-1", FULL_CUSTOMER),
    "customer_add_minimal": lambda: customer_add("n-2", CustomerInput(name="Walk-in Ltd")),
    "customer_mod_full": lambda: customer_mod("m-1", "80000001-1", "1700", FULL_CUSTOMER),
    "customer_mod_minimal": lambda: customer_mod("m-3", "80000001-1", "1700", CustomerInput()),
    "invoice_mod_lines": lambda: invoice_mod("i-1", "T-1", "1700", INVOICE_LINES),
    "customer_mod_tricky": lambda: customer_mod("m-2", "80000001-1", "1700", CustomerInput(
        name="Ł" * 42, email="", bill_address=Address(addr1="\u00e9" * 45))),
}

# A kept line (its id alone), an edited one, and an added one.
INVOICE_LINES = [
    InvoiceLineChange(txn_line_id="1A-1"),
    InvoiceLineChange(txn_line_id="1B-1", desc="Réglage & <test>", quantity=Decimal("2.50"),
                      rate=Decimal("90.00")),
    InvoiceLineChange(txn_line_id=NEW_LINE, item=Ref(list_id="80000002-1"),
                      quantity=Decimal(1), rate=Decimal("10")),
]


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_every_builder_output_is_a_complete_valid_document(name: str) -> None:
    xml = BUILDS[name]()
    assert isinstance(xml, str)
    assert xml.startswith('<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?>')
    root = _tree(xml)
    assert root.tag == "QBXML"
    assert root.find("QBXMLMsgsRq").get("onError") == "continueOnError"
    assert all(rq.get("requestID") for rq in root.find("QBXMLMsgsRq"))
    validate(xml)


def test_list_queries_ask_for_all_records_modified_since_with_offset() -> None:
    for xml in (customer_query("c-1", from_modified=SINCE), item_query("i-1",
                                                                       from_modified=SINCE)):
        rq = _tree(xml).find("QBXMLMsgsRq")[0]
        assert rq.get("iterator") == "Start"
        assert [(c.tag, c.text) for c in rq] == [
            ("MaxReturned", "500"), ("ActiveStatus", "All"),
            ("FromModifiedDate", "2026-01-05T10:11:12-08:00")]


def test_invoice_query_filters_on_modified_range_and_includes_lines() -> None:
    xml = invoice_query("v-1", from_modified=SINCE.astimezone(UTC))
    assert _texts(xml, ".//ModifiedDateRangeFilter/FromModifiedDate") == [
        "2026-01-05T18:11:12+00:00"]
    assert _texts(xml, ".//MaxReturned") == ["100"]
    assert _texts(xml, ".//IncludeLineItems") == ["true"]


def test_queries_without_a_start_date_omit_the_filter() -> None:
    assert _tree(invoice_query("v-1")).find(".//ModifiedDateRangeFilter") is None
    assert _tree(customer_query("c-1")).find(".//FromModifiedDate") is None


def test_iterator_false_sends_no_iterator_attribute() -> None:
    rq = _tree(customer_query("c-1", iterator=False)).find("QBXMLMsgsRq")[0]
    assert rq.get("iterator") is None and rq.get("requestID") == "c-1"


def test_custom_fields_are_requested_with_owner_id_zero() -> None:
    assert _texts(item_query("i-1", custom_fields=True), ".//OwnerID") == ["0"]
    assert _texts(item_query("i-1"), ".//OwnerID") == []


def test_naive_from_modified_is_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        customer_query("c-1", from_modified=datetime(2026, 1, 5))  # noqa: DTZ001


def test_max_returned_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="MaxReturned"):
        invoice_query("v-1", max_returned=0)


def test_empty_request_id_is_refused() -> None:
    with pytest.raises(ValueError, match="requestID"):
        customer_query("")


def test_list_deleted_query_covers_customers_and_every_item_kind() -> None:
    xml = list_deleted_query("d-1", from_deleted=SINCE)
    assert _texts(xml, ".//ListDelType") == list(DELETED_LIST_TYPES)
    assert "Customer" in DELETED_LIST_TYPES and "ItemService" in DELETED_LIST_TYPES
    assert _texts(xml, ".//DeletedDateRangeFilter/FromDeletedDate") == [
        "2026-01-05T10:11:12-08:00"]


def test_txn_deleted_query_asks_for_invoices_by_default() -> None:
    assert _texts(txn_deleted_query("d-2"), ".//TxnDelType") == ["Invoice"]


@pytest.mark.parametrize("types", [(), "Customer"])
def test_deleted_queries_need_a_sequence_of_types(types: object) -> None:
    with pytest.raises(ValueError, match="non-empty sequence"):
        list_deleted_query("d-1", types=types)  # type: ignore[arg-type]


def test_an_unknown_deleted_type_fails_schema_validation_before_sending() -> None:
    with pytest.raises(ValueError, match="ListDelType"):
        list_deleted_query("d-1", types=("Customer", "Spaceship"))


def test_host_company_query_holds_both_requests_with_the_request_id() -> None:
    messages = _tree(host_company_query("h-1")).find("QBXMLMsgsRq")
    assert [(rq.tag, rq.get("requestID")) for rq in messages] == [
        ("HostQueryRq", "h-1"), ("CompanyQueryRq", "h-1")]


def test_a_re_read_asks_for_exactly_one_record_by_its_id() -> None:
    customer = _tree(customer_query_by_id("r-1", "80000001-1")).find("QBXMLMsgsRq")[0]
    assert (customer.tag, customer.get("iterator")) == ("CustomerQueryRq", None)
    assert [(c.tag, c.text) for c in customer] == [("ListID", "80000001-1")]
    invoice = _tree(invoice_query_by_id("r-2", "T-1")).find("QBXMLMsgsRq")[0]
    assert [(c.tag, c.text) for c in invoice] == [("TxnID", "T-1"), ("IncludeLineItems", "true")]


def test_invoices_a_payment_paid_are_read_by_their_txn_ids_in_one_request() -> None:
    invoice = _tree(invoice_query_by_ids("r-3", ["T-1", "T-2"])).find("QBXMLMsgsRq")[0]
    assert (invoice.tag, invoice.get("iterator")) == ("InvoiceQueryRq", None)
    assert [(c.tag, c.text) for c in invoice] == [
        ("TxnID", "T-1"), ("TxnID", "T-2"), ("IncludeLineItems", "true")]


def test_payment_query_reads_changes_since_with_what_each_is_applied_to() -> None:
    rq = _tree(receive_payment_query("p-1", from_modified=SINCE)).find("QBXMLMsgsRq")[0]
    assert (rq.tag, rq.get("iterator")) == ("ReceivePaymentQueryRq", "Start")
    assert [(c.tag, c.text) for c in rq.iter() if c.text and c is not rq] == [
        ("MaxReturned", "100"), ("FromModifiedDate", "2026-01-05T10:11:12-08:00"),
        ("IncludeLineItems", "true")]


@pytest.mark.parametrize("txn_ids", [[], ["T-1", ""], "T-1"])
def test_a_txn_id_list_must_name_transactions(txn_ids: list[str]) -> None:
    with pytest.raises(ValueError, match="TxnIDs"):
        invoice_query_by_ids("r-3", txn_ids)


@pytest.mark.parametrize("build", [lambda: customer_query_by_id("r-1", ""),
                                   lambda: invoice_query_by_id("r-2", ""),
                                   lambda: txn_void("x-1", "")])
def test_a_request_about_one_record_needs_its_id(build: Callable[[], str]) -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        build()


def test_txn_void_names_the_transaction_type_and_id() -> None:
    rq = _tree(txn_void("x-1", "T-1")).find("QBXMLMsgsRq")[0]
    assert rq.tag == "TxnVoidRq"
    assert [(c.tag, c.text) for c in rq] == [("TxnVoidType", "Invoice"), ("TxnID", "T-1")]


def test_invoice_mod_names_every_kept_line_and_adds_new_ones_in_schema_order() -> None:
    mod = _tree(invoice_mod("i-1", "T-1", "1700", INVOICE_LINES)).find(
        "QBXMLMsgsRq/InvoiceModRq/InvoiceMod")
    assert [(c.tag, c.text) for c in mod[:2]] == [("TxnID", "T-1"), ("EditSequence", "1700")]
    assert [[c.tag for c in line] for line in mod[2:]] == [
        ["TxnLineID"], ["TxnLineID", "Desc", "Quantity", "Rate"],
        ["TxnLineID", "ItemRef", "Quantity", "Rate"]]
    assert [line.findtext("TxnLineID") for line in mod[2:]] == ["1A-1", "1B-1", "-1"]
    assert (mod[3].findtext("Quantity"), mod[3].findtext("Rate")) == ("2.5", "90")


def test_an_invoice_mod_without_lines_is_refused() -> None:
    # QuickBooks would delete every line of the invoice.
    with pytest.raises(ValueError, match="at least one line"):
        invoice_mod("i-1", "T-1", "1700", [])


def test_continue_iterator_keeps_every_filter_and_continues() -> None:
    original = invoice_query("v-1", from_modified=SINCE, max_returned=25, custom_fields=True)
    follow = continue_iterator(original, iterator_id="{5a7b}", request_id="v-2")
    before, after = _tree(original).find("QBXMLMsgsRq")[0], _tree(follow).find("QBXMLMsgsRq")[0]
    assert dict(after.attrib) == {"requestID": "v-2", "iterator": "Continue",
                                  "iteratorID": "{5a7b}"}
    assert etree.tostring(after[0]) == etree.tostring(before[0])
    assert [(c.tag, c.text) for c in after.iter()][1:] == [
        (c.tag, c.text) for c in before.iter()][1:]
    validate(follow)


def test_continue_iterator_can_continue_a_continuation() -> None:
    first = continue_iterator(customer_query("c-1"), iterator_id="{a}", request_id="c-2")
    second = continue_iterator(first, iterator_id="{a}", request_id="c-3")
    assert _tree(second).find("QBXMLMsgsRq")[0].get("requestID") == "c-3"


@pytest.mark.parametrize("request_xml", [host_company_query("h-1"), customer_query(
    "c-1", iterator=False), "<QBXML><oops"])
def test_continue_iterator_refuses_what_is_not_one_iterator_query(request_xml: str) -> None:
    with pytest.raises(ValueError, match="continue_iterator"):
        continue_iterator(request_xml, iterator_id="{a}", request_id="x")


def test_customer_mod_writes_every_field_in_schema_order() -> None:
    mod = _tree(_mod("m-1", FULL_CUSTOMER)).find(".//CustomerMod")
    assert [c.tag for c in mod] == [
        "ListID",
        "EditSequence",
        "Name",
        "IsActive",
        "ParentRef",
        "CompanyName",
        "Salutation",
        "FirstName",
        "MiddleName",
        "LastName",
        "JobTitle",
        "BillAddress",
        "ShipAddress",
        "Phone",
        "AltPhone",
        "Fax",
        "Email",
        "Cc",
        "Contact",
        "AltContact",
        "CustomerTypeRef",
        "TermsRef",
        "AccountNumber",
        "Notes",
        "CurrencyRef",
    ]
    assert [c.tag for c in mod.find("BillAddress")] == [
        "Addr1", "Addr2", "City", "State", "PostalCode", "Country", "Note"]


def test_customer_add_writes_the_fields_set_in_schema_order() -> None:
    add = _tree(customer_add("n-1", FULL_CUSTOMER)).find(".//CustomerAddRq/CustomerAdd")
    mod = _tree(_mod("m-1", FULL_CUSTOMER)).find(".//CustomerMod")
    assert [c.tag for c in add] == [c.tag for c in mod][2:]  # the Mod less ListID, EditSequence
    minimal = _tree(customer_add("n-2", CustomerInput(name="Walk-in Ltd", phone="555")))
    assert [(c.tag, c.text) for c in minimal.find(".//CustomerAdd")] == [
        ("Name", "Walk-in Ltd"), ("Phone", "555")]


@pytest.mark.parametrize("name", [None, "", "  "])
def test_customer_add_needs_a_name(name: str | None) -> None:
    with pytest.raises(ValueError, match="CustomerAdd: Name"):
        customer_add("n-1", CustomerInput(name=name, phone="555"))


def test_customer_mod_sends_only_the_changes() -> None:
    xml = _mod("m-1", CustomerInput(phone="555", is_active=False))
    mod = _tree(xml).find(".//CustomerMod")
    assert [(c.tag, c.text) for c in mod] == [
        ("ListID", "80000001-1"), ("EditSequence", "1700"), ("IsActive", "false"),
        ("Phone", "555")]


def test_customer_mod_empty_string_clears_a_field() -> None:
    xml = customer_mod("m-1", "80000001-1", "1700", CustomerInput(fax=""))
    assert _texts(xml, ".//CustomerMod/Fax") == [None]


def test_customer_mod_needs_list_id_and_edit_sequence() -> None:
    with pytest.raises(ValueError, match="EditSequence"):
        customer_mod("m-1", "80000001-1", "", CustomerInput(phone="1"))


def test_name_of_41_characters_is_sent_whole() -> None:
    xml = _mod("a-1", CustomerInput(name="N" * 41))
    assert _texts(xml, ".//Name") == ["N" * 41]
    assert xml.warnings == ()


def test_name_of_42_characters_is_truncated_with_a_recorded_warning() -> None:
    xml = _mod("a-1", CustomerInput(name="N" * 42, bill_address=Address(
        addr1="A" * 50)))
    assert _texts(xml, ".//Name") == ["N" * 41]
    assert _texts(xml, ".//Addr1") == ["A" * 41]
    assert [(w.field, w.kind) for w in xml.warnings] == [
        ("CustomerMod/Name", "truncated"), ("CustomerMod/BillAddress/Addr1", "truncated")]


def test_truncation_warnings_are_logged_with_the_request_id(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="connector.qbxml"):
        _mod("a-9", CustomerInput(name="N" * 42))
    assert any("a-9" in r.getMessage() and "truncated" in r.getMessage()
               for r in caplog.records)


def test_non_latin1_is_sent_as_character_references_and_latin1_kept() -> None:
    xml = _mod("a-1", CustomerInput(name="Łódź Zoë 😀"))
    assert "<Name>&#321;ód&#378; Zoë &#128512;</Name>" in xml
    assert _texts(xml, ".//Name") == ["Łódź Zoë 😀"]
    assert [w.kind for w in xml.warnings] == ["non_latin1"]


def test_reference_names_are_never_truncated() -> None:
    long_name = "Parent:" + "J" * 60
    xml = _mod("a-1", CustomerInput(name="Job", parent=Ref(full_name=long_name)))
    assert _texts(xml, ".//ParentRef/FullName") == [long_name]


def test_a_reference_needs_an_id_or_a_name() -> None:
    with pytest.raises(ValueError, match="ListID or a FullName"):
        _mod("a-1", CustomerInput(name="Job", parent=Ref()))


def test_control_characters_never_reach_the_document() -> None:
    xml = _mod("a-1", CustomerInput(name="Bad\x00Name", notes="line\x0bbreak"))
    assert _texts(xml, ".//Name") == ["BadName"]
    assert {w.kind for w in xml.warnings} == {"control_chars_removed"}


def test_a_key_scan_asks_every_live_record_for_its_id_only() -> None:
    customers = _tree(key_scan_query("k-1", "Customer")).find("QBXMLMsgsRq")[0]
    assert (customers.tag, customers.get("iterator")) == ("CustomerQueryRq", "Start")
    assert [(c.tag, c.text) for c in customers] == [
        ("MaxReturned", "1000"), ("ActiveStatus", "All"), ("IncludeRetElement", "ListID")]
    invoices = _tree(key_scan_query("k-3", "Invoice")).find("QBXMLMsgsRq")[0]
    assert [(c.tag, c.text) for c in invoices] == [
        ("MaxReturned", "1000"), ("IncludeRetElement", "TxnID")]
    with pytest.raises(ValueError, match="no key scan"):
        key_scan_query("k-4", "Vendor")

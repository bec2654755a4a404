"""Queries answer as QuickBooks does: filters, defaults, statuses, mixed item Rets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from connector.sandbox.qbd import Invoice, ListRecord, QuickBooksSimulator
from tests.sandbox_qbd.qbxml import ask, ask_one, names, status


@dataclass
class Shop:
    acme: ListRecord
    job: ListRecord
    gone: ListRecord
    zoe: ListRecord
    consulting: ListRecord
    invoice: Invoice


@pytest.fixture
def shop(qb: QuickBooksSimulator) -> Shop:
    c = qb.company
    acme = c.add_customer("Acme Corp", CompanyName="Acme Corp", Email="ap@acme.example",
                          BillAddress={"Addr1": "1 Main St", "City": "Springfield", "State": "IL",
                                       "PostalCode": "62701"}, TermsRef="Net 30",
                          SalesTaxCodeRef="Tax")
    job = c.add_customer("Roof repair", parent=acme.list_id)
    gone = c.add_customer("Old Client", is_active=False)
    zoe = c.add_customer("Zoë Ångström")
    c.add_item("ItemSalesTax", "State Tax", TaxRate=Decimal("6.25"))
    c.modify_customer(acme.list_id, ItemSalesTaxRef="State Tax")
    consulting = c.add_item("ItemService", "Consulting",
                            SalesOrPurchase={"Desc": "Hourly", "Price": Decimal("120"),
                                             "AccountRef": "Services"}, SalesTaxCodeRef="Non")
    c.add_item("ItemNonInventory", "Paint", SalesTaxCodeRef="Tax",
               SalesOrPurchase={"Price": Decimal("30"), "AccountRef": "Sales"})
    c.add_item("ItemInventory", "Panel", SalesPrice=Decimal("80"), IncomeAccountRef="Sales",
               COGSAccountRef="Cost of Goods Sold", AssetAccountRef="Inventory Asset")
    c.add_item(
        "ItemOtherCharge",
        "Freight",
        SalesOrPurchase={"Price": Decimal("25"), "AccountRef": "Sales"},
    )
    c.add_item("ItemDiscount", "Promo", DiscountRate=Decimal("15"), AccountRef="Discounts Given")
    invoice = c.add_invoice(acme.list_id, [{"ItemRef": "Consulting", "Quantity": Decimal(2)},
                                           {"ItemRef": "Paint", "Quantity": Decimal(3)},
                                           {"ItemRef": "Promo"}], RefNumber="1001")
    c.add_invoice(job.list_id, [{"ItemRef": "Freight"}], RefNumber="1002")
    return Shop(acme, job, gone, zoe, consulting, invoice)


def test_customer_query_defaults_to_active_customers_with_jobs_under_parents(qb, shop):
    reply = ask_one(qb, '<CustomerQueryRq requestID="7"/>')
    assert (reply.tag, reply.get("requestID"), status(reply)) == ("CustomerQueryRs", "7", 0)
    assert names(reply) == ["Acme Corp", "Acme Corp:Roof repair", "Zoë Ångström"]
    job = reply[1]
    assert job.findtext("ParentRef/ListID") == shop.acme.list_id
    assert job.findtext("Sublevel") == "1"


def test_active_status_all_includes_the_inactive_customer(qb, shop):
    reply = ask_one(qb, "<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>")
    assert "Old Client" in names(reply)
    inactive = ask_one(
        qb, "<CustomerQueryRq><ActiveStatus>InactiveOnly</ActiveStatus></CustomerQueryRq>"
    )
    assert names(inactive) == ["Old Client"]
    assert inactive[0].findtext("IsActive") == "false"


def test_query_matching_nothing_answers_status_1(qb, shop):
    reply = ask_one(qb, "<CustomerQueryRq><NameFilter><MatchCriterion>StartsWith</MatchCriterion>"
                        "<Name>Nobody</Name></NameFilter></CustomerQueryRq>")
    assert status(reply) == 1
    assert reply.get("statusSeverity") == "Info"
    assert (
        reply.get("statusMessage") == "A query request did not find a matching object in QuickBooks"
    )
    assert len(reply) == 0


def test_unknown_list_id_answers_500_with_the_records_that_exist(qb, shop):
    reply = ask_one(qb, f"<CustomerQueryRq><ListID>{shop.acme.list_id}</ListID>"
                        "<ListID>80000999-1700000000</ListID></CustomerQueryRq>")
    assert (status(reply), reply.get("statusSeverity")) == (500, "Warn")
    assert '"80000999-1700000000"' in reply.get("statusMessage", "")
    assert names(reply) == ["Acme Corp"]


def test_lookup_by_full_name_is_case_insensitive_and_finds_inactive_records(qb, shop):
    reply = ask_one(qb, "<CustomerQueryRq><FullName>acme corp:ROOF REPAIR</FullName>"
                        "<FullName>Old Client</FullName></CustomerQueryRq>")
    assert names(reply) == ["Acme Corp:Roof repair", "Old Client"]


def test_name_filter_matches_the_full_name(qb, shop):
    reply = ask_one(qb, "<CustomerQueryRq><NameFilter><MatchCriterion>Contains</MatchCriterion>"
                        "<Name>roof</Name></NameFilter></CustomerQueryRq>")
    assert names(reply) == ["Acme Corp:Roof repair"]


def test_customer_balance_counts_open_invoices_and_total_balance_adds_jobs(qb, shop):
    reply = ask_one(qb, f"<CustomerQueryRq><ListID>{shop.acme.list_id}</ListID></CustomerQueryRq>")
    # 2 h consulting (240, non-taxable) + 3 paint (90, taxable) - promo 15 = 315; tax 6.25 % of 90.
    assert reply[0].findtext("Balance") == "320.63"
    assert reply[0].findtext("TotalBalance") == "345.63"


def test_item_query_returns_every_item_kind_in_its_own_ret(qb, shop):
    reply = ask_one(qb, "<ItemQueryRq/>")
    kinds = {ret.findtext("Name"): ret.tag for ret in reply}
    assert kinds == {"Consulting": "ItemServiceRet", "Freight": "ItemOtherChargeRet",
                     "Paint": "ItemNonInventoryRet", "Panel": "ItemInventoryRet",
                     "Promo": "ItemDiscountRet", "State Tax": "ItemSalesTaxRet"}


def test_include_ret_element_limits_the_returned_fields(qb, shop):
    reply = ask_one(qb, "<CustomerQueryRq><MaxReturned>1</MaxReturned>"
                        "<IncludeRetElement>ListID</IncludeRetElement>"
                        "<IncludeRetElement>EditSequence</IncludeRetElement></CustomerQueryRq>")
    assert [child.tag for child in reply[0]] == ["ListID", "EditSequence"]


def test_invoice_query_by_ref_number_includes_lines_only_when_asked(qb, shop):
    plain = ask_one(qb, "<InvoiceQueryRq><RefNumber>1001</RefNumber></InvoiceQueryRq>")
    assert plain[0].find("InvoiceLineRet") is None
    full = ask_one(qb, "<InvoiceQueryRq><RefNumber>1001</RefNumber>"
                       "<IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>")
    invoice = full[0]
    lines = invoice.findall("InvoiceLineRet")
    assert [line.findtext("Amount") for line in lines] == ["240.00", "90.00", "-15.00"]
    assert lines[0].findtext("Desc") == "Hourly"
    assert (invoice.findtext("Subtotal"), invoice.findtext("SalesTaxTotal"),
            invoice.findtext("BalanceRemaining")) == ("315.00", "5.63", "320.63")
    assert invoice.findtext("TermsRef/FullName") == "Net 30"
    assert invoice.findtext("BillAddress/City") == "Springfield"


def test_invoice_query_by_txn_id_and_by_customer(qb, shop):
    by_id = ask_one(qb, f"<InvoiceQueryRq><TxnID>{shop.invoice.txn_id}</TxnID></InvoiceQueryRq>")
    assert [r.findtext("RefNumber") for r in by_id] == ["1001"]
    by_parent = ask_one(qb, "<InvoiceQueryRq><EntityFilter><FullNameWithChildren>Acme Corp"
                            "</FullNameWithChildren></EntityFilter></InvoiceQueryRq>")
    assert sorted(r.findtext("RefNumber") for r in by_parent) == ["1001", "1002"]
    only_parent = ask_one(qb, "<InvoiceQueryRq><EntityFilter><FullName>Acme Corp</FullName>"
                              "</EntityFilter></InvoiceQueryRq>")
    assert [r.findtext("RefNumber") for r in only_parent] == ["1001"]


def test_invoice_paid_status_follows_payments(qb, shop):
    qb.company.record_payment(shop.invoice.txn_id, Decimal("320.63"))
    paid = ask_one(qb, "<InvoiceQueryRq><PaidStatus>PaidOnly</PaidStatus></InvoiceQueryRq>")
    assert [r.findtext("RefNumber") for r in paid] == ["1001"]
    assert (paid[0].findtext("AppliedAmount"), paid[0].findtext("IsPaid")) == ("-320.63", "true")


def test_several_requests_in_one_message_set_each_get_their_own_response(qb, shop):
    replies = ask(qb, '<HostQueryRq requestID="1"/>', '<CompanyQueryRq requestID="2"/>',
                  '<ItemQueryRq requestID="3"><MaxReturned>2</MaxReturned></ItemQueryRq>')
    assert [(r.tag, r.get("requestID")) for r in replies] == [
        ("HostQueryRs", "1"), ("CompanyQueryRs", "2"), ("ItemQueryRs", "3")]
    assert replies[0].findtext("HostRet/Country") == "US"
    assert "13.0" in [v.text for v in replies[0].iterfind("HostRet/SupportedQBXMLVersion")]
    assert replies[1].findtext("CompanyRet/CompanyName") == "Sample Co"
    assert len(replies[2]) == 2


def test_request_types_the_simulator_does_not_model_answer_1030(qb):
    reply = ask_one(qb, '<VendorQueryRq requestID="9"/>')
    assert (status(reply), reply.get("statusSeverity")) == (1030, "Error")
    assert "VendorQueryRq" in reply.get("statusMessage", "")


def test_filters_over_unmodelled_lists_are_refused_not_ignored(qb, shop):
    reply = ask_one(qb, "<CustomerQueryRq><ClassFilter><FullName>West</FullName></ClassFilter>"
                        "</CustomerQueryRq>")
    assert status(reply) == 1030

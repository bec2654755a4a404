"""Add / Mod / Del requests follow QuickBooks' rules: EditSequence, unique names, references."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.sandbox.qbd import ListRecord, QbStatus, QuickBooksSimulator
from tests.sandbox_qbd.qbxml import ask, ask_one, status


@pytest.fixture
def acme(qb: QuickBooksSimulator) -> ListRecord:
    return qb.company.add_customer("Acme Corp", Email="ap@acme.example", Phone="555-0100")


def customer_mod(list_id: str, edit_sequence: str | int, body: str) -> str:
    return (f'<CustomerModRq requestID="m"><CustomerMod><ListID>{list_id}</ListID>'
            f"<EditSequence>{edit_sequence}</EditSequence>{body}</CustomerMod></CustomerModRq>")


def test_customer_add_returns_the_new_customer_with_list_id_and_edit_sequence(qb):
    reply = ask_one(
        qb,
        '<CustomerAddRq requestID="a1"><CustomerAdd><Name>Blue Harbor</Name>'
        "<CompanyName>Blue Harbor Marine</CompanyName><FirstName>Ana</FirstName>"
        "<BillAddress><Addr1>9 Pier Rd</Addr1><City>Bayshore</City></BillAddress>"
        "<Email>ana@blue.example</Email><TermsRef><FullName>Net 15</FullName></TermsRef>"
        "</CustomerAdd></CustomerAddRq>",
    )
    assert (status(reply), reply.get("requestID")) == (0, "a1")
    ret = reply[0]
    record = qb.company.customer(ret.findtext("ListID"))
    assert ret.findtext("EditSequence") == str(record.edit_sequence)
    assert (ret.findtext("TermsRef/FullName"), ret.findtext("BillAddressBlock/Addr2")) == (
        "Net 15",
        "Bayshore",
    )


def test_duplicate_customer_name_answers_3100_whatever_its_case(qb, acme):
    reply = ask_one(
        qb, "<CustomerAddRq><CustomerAdd><Name>ACME corp</Name></CustomerAdd></CustomerAddRq>"
    )
    assert (status(reply), reply.get("statusSeverity")) == (3100, "Error")
    assert (
        reply.get("statusMessage") == 'The name "ACME corp" of the list element is already in use.'
    )
    assert len([r for r in qb.company.records.values() if r.kind == "Customer"]) == 1


def test_a_job_may_share_its_name_with_a_customer(qb, acme):
    qb.company.add_customer("Kitchen")
    reply = ask_one(
        qb,
        "<CustomerAddRq><CustomerAdd><Name>Kitchen</Name><ParentRef><FullName>Acme Corp"
        "</FullName></ParentRef></CustomerAdd></CustomerAddRq>",
    )
    assert status(reply) == 0
    assert reply[0].findtext("FullName") == "Acme Corp:Kitchen"


def test_unknown_parent_answers_3130(qb):
    reply = ask_one(
        qb,
        "<CustomerAddRq><CustomerAdd><Name>Job</Name><ParentRef><FullName>Ghost</FullName>"
        "</ParentRef></CustomerAdd></CustomerAddRq>",
    )
    assert status(reply) == 3130
    assert 'parent "Ghost" in the Customers list' in reply.get("statusMessage", "")


def test_unknown_reference_answers_3140(qb):
    reply = ask_one(
        qb,
        "<CustomerAddRq><CustomerAdd><Name>New</Name><TermsRef><FullName>Net 99</FullName>"
        "</TermsRef></CustomerAdd></CustomerAddRq>",
    )
    assert status(reply) == 3140
    assert 'QuickBooks Terms "Net 99"' in reply.get("statusMessage", "")


def test_customer_mod_with_the_current_edit_sequence_changes_only_what_it_names(qb, acme, clock):
    before = acme.edit_sequence
    clock.advance(minutes=5)
    reply = ask_one(
        qb, customer_mod(acme.list_id, before, "<Phone>555-0199</Phone><Email></Email>")
    )
    ret = reply[0]
    assert (status(reply), ret.findtext("Phone"), ret.find("Email")) == (0, "555-0199", None)
    assert ret.findtext("Name") == "Acme Corp"
    assert int(ret.findtext("EditSequence")) > before
    assert ret.findtext("TimeCreated") == "2024-05-01T10:00:00-05:00"
    assert ret.findtext("TimeModified") == "2024-05-01T10:05:00-05:00"


def test_stale_edit_sequence_answers_3200_and_changes_nothing(qb, acme, clock):
    stale = acme.edit_sequence
    clock.advance(seconds=30)
    qb.company.modify_customer(acme.list_id, Phone="555-0111")
    reply = ask_one(qb, customer_mod(acme.list_id, stale, "<Phone>555-0222</Phone>"))
    assert (status(reply), reply.get("statusSeverity")) == (3200, "Error")
    assert reply.get("statusMessage") == f'The provided edit sequence "{stale}" is out-of-date. '
    assert qb.company.customer(acme.list_id).fields["Phone"] == "555-0111"


def test_mod_of_a_missing_record_answers_3120(qb):
    reply = ask_one(qb, customer_mod("80000999-1700000000", 1, "<Phone>1</Phone>"))
    assert status(reply) == 3120
    assert (
        reply.get("statusMessage")
        == 'Object "80000999-1700000000" specified in the request cannot be found.'
    )


def test_customer_mod_is_active_false_also_deactivates_its_jobs(qb, acme):
    job = qb.company.add_customer("Roof", parent=acme.list_id)
    reply = ask_one(
        qb, customer_mod(acme.list_id, acme.edit_sequence, "<IsActive>false</IsActive>")
    )
    assert reply[0].findtext("IsActive") == "false"
    assert qb.company.customer(job.list_id).is_active is False


def test_renaming_a_customer_renames_its_jobs_full_names(qb, acme):
    job = qb.company.add_customer("Roof", parent=acme.list_id)
    before = job.edit_sequence
    ask_one(qb, customer_mod(acme.list_id, acme.edit_sequence, "<Name>Acme Inc</Name>"))
    assert qb.company.full_name(job) == "Acme Inc:Roof"
    assert job.edit_sequence != before


def test_renaming_onto_another_customers_name_answers_3100(qb, acme):
    other = qb.company.add_customer("Other")
    reply = ask_one(qb, customer_mod(other.list_id, other.edit_sequence, "<Name>acme corp</Name>"))
    assert status(reply) == 3100
    assert qb.company.full_name(other) == "Other"


def test_names_longer_than_41_characters_answer_3070(qb):
    long_name = "N" * 42
    replies = ask(
        qb,
        f"<CustomerAddRq><CustomerAdd><Name>{long_name}</Name></CustomerAdd></CustomerAddRq>",
        "<CustomerAddRq><CustomerAdd><Name>Short</Name></CustomerAdd></CustomerAddRq>",
        on_error="continueOnError",
    )
    assert [status(r) for r in replies] == [3070, 0]
    assert (
        replies[0].get("statusMessage")
        == f'The string "{long_name}" in the field "Name" is too long.'
    )
    with pytest.raises(QbStatus) as refused:
        qb.company.add_customer("B" * 42)
    assert refused.value.code == 3070


def test_elements_the_simulator_does_not_model_answer_1030_instead_of_vanishing(qb):
    reply = ask_one(qb, "<CustomerAddRq><CustomerAdd><Name>With contact</Name><Contacts>"
                        "<FirstName>Kim</FirstName></Contacts></CustomerAdd></CustomerAddRq>")
    assert status(reply) == 1030
    assert "Contacts" in reply.get("statusMessage", "")


def test_item_service_add_creates_an_item_invoices_can_use(qb, acme):
    reply = ask_one(qb, "<ItemServiceAddRq><ItemServiceAdd><Name>Audit</Name><SalesOrPurchase>"
                        "<Desc>Yearly audit</Desc><Price>500</Price><AccountRef><FullName>Services"
                        "</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>")
    assert reply[0].findtext("SalesOrPurchase/Price") == "500.00"
    invoice = ask_one(qb, f"<InvoiceAddRq><InvoiceAdd><CustomerRef><ListID>{acme.list_id}</ListID>"
                          "</CustomerRef><InvoiceLineAdd><ItemRef><FullName>Audit</FullName></ItemRef>"
                          "</InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>")
    line = invoice[0].find("InvoiceLineRet")
    assert (line.findtext("Desc"), line.findtext("Rate"), line.findtext("Amount")) == (
        "Yearly audit", "500.00", "500.00")


def test_invoice_add_numbers_invoices_and_prices_lines(qb, acme):
    qb.company.add_invoice(acme.list_id, [{"Desc": "Old", "Amount": 5}], RefNumber="2040")
    reply = ask_one(
        qb,
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>"
        "<TxnDate>2024-04-02</TxnDate><Memo>April</Memo>"
        "<InvoiceLineAdd><Desc>Labour</Desc><Quantity>2.5</Quantity><Rate>80</Rate></InvoiceLineAdd>"
        "<InvoiceLineAdd><Desc>Fee</Desc><Amount>12.50</Amount></InvoiceLineAdd>"
        "</InvoiceAdd></InvoiceAddRq>",
    )
    ret = reply[0]
    assert (ret.findtext("RefNumber"), ret.findtext("TxnDate"), ret.findtext("TxnNumber")) == (
        "2041",
        "2024-04-02",
        "2",
    )
    assert [a.text for a in ret.iterfind("InvoiceLineRet/Amount")] == ["200.00", "12.50"]
    assert ret.findtext("Subtotal") == "212.50"


def test_invoice_for_an_unknown_customer_answers_3140(qb):
    reply = ask_one(
        qb,
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Ghost</FullName></CustomerRef>"
        "</InvoiceAdd></InvoiceAddRq>",
    )
    assert status(reply) == 3140
    assert 'QuickBooks Customer "Ghost" in the Invoice' in reply.get("statusMessage", "")
    assert qb.company.invoices == {}


def test_invoice_mod_keeps_named_lines_adds_new_ones_and_removes_the_rest(qb, acme):
    invoice = qb.company.add_invoice(
        acme.list_id,
        [{"Desc": "A", "Amount": 10}, {"Desc": "B", "Amount": 20}, {"Desc": "C", "Amount": 30}],
    )
    keep_b, drop_a = invoice.lines[1].txn_line_id, invoice.lines[0].txn_line_id
    reply = ask_one(qb, f"<InvoiceModRq><InvoiceMod><TxnID>{invoice.txn_id}</TxnID>"
                        f"<EditSequence>{invoice.edit_sequence}</EditSequence><Memo>revised</Memo>"
                        f"<InvoiceLineMod><TxnLineID>{keep_b}</TxnLineID><Quantity>2</Quantity>"
                        "<Rate>20</Rate></InvoiceLineMod>"
                        "<InvoiceLineMod><TxnLineID>-1</TxnLineID><Desc>D</Desc><Amount>5</Amount></InvoiceLineMod>"
                        "</InvoiceMod></InvoiceModRq>")
    lines = reply[0].findall("InvoiceLineRet")
    assert [(ln.findtext("Desc"), ln.findtext("Amount")) for ln in lines] == [
        ("B", "40.00"),
        ("D", "5.00"),
    ]
    assert lines[0].findtext("TxnLineID") == keep_b
    assert drop_a not in {ln.findtext("TxnLineID") for ln in lines}
    assert reply[0].findtext("Memo") == "revised"
    assert reply[0].findtext("Subtotal") == "45.00"


def test_invoice_mod_without_lines_leaves_the_lines_alone(qb, acme):
    invoice = qb.company.add_invoice(acme.list_id, [{"Desc": "A", "Amount": 10}])
    reply = ask_one(qb, f"<InvoiceModRq><InvoiceMod><TxnID>{invoice.txn_id}</TxnID>"
                        f"<EditSequence>{invoice.edit_sequence}</EditSequence><Memo>m</Memo>"
                        "</InvoiceMod></InvoiceModRq>")
    assert [ln.findtext("Desc") for ln in reply[0].iterfind("InvoiceLineRet")] == ["A"]


def test_invoice_mod_with_an_unknown_line_answers_3120_and_changes_nothing(qb, acme):
    invoice = qb.company.add_invoice(acme.list_id, [{"Desc": "A", "Amount": 10}])
    reply = ask_one(qb, f"<InvoiceModRq><InvoiceMod><TxnID>{invoice.txn_id}</TxnID>"
                        f"<EditSequence>{invoice.edit_sequence}</EditSequence><Memo>m</Memo>"
                        "<InvoiceLineMod><TxnLineID>FFFF-1</TxnLineID></InvoiceLineMod></InvoiceMod></InvoiceModRq>")
    assert status(reply) == 3120
    assert "Memo" not in qb.company.invoice(invoice.txn_id).fields


def test_stop_on_error_skips_the_rest_and_continue_on_error_does_not(qb, acme):
    dup = ("<CustomerAddRq requestID='1'><CustomerAdd><Name>Acme Corp</Name></CustomerAdd>"
           "</CustomerAddRq>")
    fresh = (
        "<CustomerAddRq requestID='2'><CustomerAdd><Name>Fresh</Name></CustomerAdd></CustomerAddRq>"
    )
    stopped = ask(qb, dup, fresh, on_error="stopOnError")
    assert [(r.get("requestID"), status(r)) for r in stopped] == [("1", 3100)]
    assert qb.company.find("Customer", "Fresh") is None
    went_on = ask(qb, dup, fresh, on_error="continueOnError")
    assert [(r.get("requestID"), status(r)) for r in went_on] == [("1", 3100), ("2", 0)]


def test_list_del_and_txn_del_remove_records(qb, acme):
    invoice = qb.company.add_invoice(
        acme.list_id, [{"Desc": "A", "Amount": Decimal(1)}], RefNumber="77"
    )
    refused = ask_one(
        qb,
        f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{acme.list_id}</ListID></ListDelRq>",
    )
    assert status(refused) == 3171
    txn = ask_one(
        qb, f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{invoice.txn_id}</TxnID></TxnDelRq>"
    )
    assert (status(txn), txn.findtext("RefNumber")) == (0, "77")
    listed = ask_one(
        qb,
        f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{acme.list_id}</ListID></ListDelRq>",
    )
    assert (status(listed), listed.findtext("FullName")) == (0, "Acme Corp")
    assert qb.company.find("Customer", acme.list_id) is None


def test_a_sales_tax_reference_must_name_a_sales_tax_item(qb):
    qb.company.add_item("ItemService", "Labour")
    reply = ask_one(
        qb,
        "<CustomerAddRq><CustomerAdd><Name>Taxed</Name><ItemSalesTaxRef><FullName>Labour"
        "</FullName></ItemSalesTaxRef></CustomerAdd></CustomerAddRq>",
    )
    assert status(reply) == 3140


def test_invoice_line_with_an_unknown_item_answers_3140_and_adds_nothing(qb, acme):
    reply = ask_one(
        qb,
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>"
        "<InvoiceLineAdd><ItemRef><FullName>Unobtainium</FullName></ItemRef></InvoiceLineAdd>"
        "</InvoiceAdd></InvoiceAddRq>",
    )
    assert status(reply) == 3140
    assert 'QuickBooks Item "Unobtainium" in the Invoice' in reply.get("statusMessage", "")
    assert qb.company.invoices == {}


def test_rollback_on_error_stops_like_stop_on_error(qb, acme):
    replies = ask(
        qb,
        "<CustomerAddRq><CustomerAdd><Name>First</Name></CustomerAdd></CustomerAddRq>",
        "<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>",
        "<CustomerAddRq><CustomerAdd><Name>Third</Name></CustomerAdd></CustomerAddRq>",
        on_error="rollbackOnError",
    )
    assert [status(r) for r in replies] == [0, 3100]
    assert qb.company.find("Customer", "First") is not None
    assert qb.company.find("Customer", "Third") is None

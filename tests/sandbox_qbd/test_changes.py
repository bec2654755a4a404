"""Finding changes: TimeModified filters, QuickBooks' skewed local clock, deletions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connector.sandbox.qbd import QbStatus, QuickBooksSimulator
from tests.sandbox_qbd.conftest import FakeClock
from tests.sandbox_qbd.qbxml import ask_one, names, status


def since(moment: str, query: str = "CustomerQueryRq") -> str:
    if query == "InvoiceQueryRq":
        return (f"<InvoiceQueryRq><ModifiedDateRangeFilter><FromModifiedDate>{moment}"
                "</FromModifiedDate></ModifiedDateRangeFilter></InvoiceQueryRq>")
    return f"<{query}><FromModifiedDate>{moment}</FromModifiedDate></{query}>"


def test_every_bookkeeper_edit_bumps_edit_sequence_and_time_modified(qb, clock):
    customer = qb.company.add_customer("Acme")
    first = (customer.edit_sequence, customer.time_modified)
    clock.advance(minutes=1)
    qb.company.modify_customer(customer.list_id, Phone="555-0100")
    assert customer.edit_sequence > first[0]
    assert customer.time_modified == first[1] + timedelta(minutes=1)
    same_second = customer.edit_sequence
    qb.company.modify_customer(customer.list_id, Phone="555-0101")
    assert customer.edit_sequence == same_second + 1


def test_from_modified_date_returns_only_records_changed_since(qb, clock):
    qb.company.add_customer("Before")
    clock.advance(hours=1)
    qb.company.add_customer("After")
    reply = ask_one(qb, since("2024-05-01T10:30:00-05:00"))
    assert names(reply) == ["After"]


def test_from_modified_date_without_offset_is_read_in_the_pcs_local_zone(qb, clock):
    qb.company.add_customer("At ten")  # 15:00Z is 10:00 at UTC-05:00
    assert names(ask_one(qb, since("2024-05-01T10:00:00"))) == ["At ten"]
    assert status(ask_one(qb, since("2024-05-01T10:00:01"))) == 1


def test_to_modified_date_given_as_a_date_covers_that_whole_day(qb, clock):
    qb.company.add_customer("Late that day")
    reply = ask_one(
        qb, "<CustomerQueryRq><ToModifiedDate>2024-05-01</ToModifiedDate></CustomerQueryRq>"
    )
    assert names(reply) == ["Late that day"]


def test_invoice_modified_date_range_filter(qb, clock):
    customer = qb.company.add_customer("Acme")
    old = qb.company.add_invoice(customer.list_id, [{"Desc": "x", "Amount": 1}], RefNumber="1")
    clock.advance(days=2)
    qb.company.add_invoice(customer.list_id, [{"Desc": "y", "Amount": 2}], RefNumber="2")
    qb.company.modify_invoice(old.txn_id, Memo="edited")
    reply = ask_one(qb, since("2024-05-02", "InvoiceQueryRq"))
    assert sorted(r.findtext("RefNumber") for r in reply) == ["1", "2"]


def poll(qb: QuickBooksSimulator, from_modified: str) -> list[str]:
    return names(ask_one(qb, since(from_modified)))


def test_quickbooks_clock_skew_hides_changes_from_a_poll_without_overlap(clock: FakeClock):
    # QuickBooks stamps local time with the wrong DST offset: its TimeModified reads an hour
    # earlier than the change really happened.
    qb = QuickBooksSimulator(clock=clock, local_time_offset=timedelta(hours=-1))
    customer = qb.company.add_customer("Acme")
    watermark = clock.now  # the connector polled at 15:00Z and saw everything up to now
    clock.advance(minutes=10)
    qb.company.modify_customer(customer.list_id, Phone="555-0100")
    clock.advance(minutes=10)
    stamp = qb.company.customer(customer.list_id).time_modified
    assert stamp == watermark - timedelta(minutes=50)
    assert poll(qb, qb.clock.format(watermark)) == []
    overlap = timedelta(hours=2)
    assert poll(qb, qb.clock.format(watermark - overlap)) == ["Acme"]


def test_time_modified_is_printed_with_the_skew_applied(clock: FakeClock):
    qb = QuickBooksSimulator(clock=clock, local_time_offset=timedelta(hours=1))
    qb.company.add_customer("Acme")
    reply = ask_one(qb, "<CustomerQueryRq/>")
    assert reply[0].findtext("TimeModified") == "2024-05-01T11:00:00-05:00"


def test_deleted_customers_and_items_appear_in_list_deleted_query(qb, clock):
    customer = qb.company.add_customer("Short-lived")
    item = qb.company.add_item("ItemService", "Old service")
    qb.company.add_customer("Stays")
    clock.advance(hours=1)
    qb.company.delete_customer(customer.list_id)
    qb.company.delete_item(item.list_id)
    reply = ask_one(qb, "<ListDeletedQueryRq><ListDelType>Customer</ListDelType>"
                        "<ListDelType>ItemService</ListDelType></ListDeletedQueryRq>")
    entries = {
        (r.findtext("ListDelType"), r.findtext("ListID"), r.findtext("FullName")) for r in reply
    }
    assert entries == {("Customer", customer.list_id, "Short-lived"),
                       ("ItemService", item.list_id, "Old service")}
    assert reply[0].findtext("TimeDeleted") == "2024-05-01T11:00:00-05:00"
    assert (
        status(
            ask_one(
                qb, "<ListDeletedQueryRq><ListDelType>Vendor</ListDelType></ListDeletedQueryRq>"
            )
        )
        == 1
    )


def test_deleted_date_range_filter_limits_the_deletions(qb, clock):
    early = qb.company.add_customer("Early")
    late = qb.company.add_customer("Late")
    qb.company.delete_customer(early.list_id)
    clock.advance(days=1)
    qb.company.delete_customer(late.list_id)
    reply = ask_one(
        qb,
        "<ListDeletedQueryRq><ListDelType>Customer</ListDelType><DeletedDateRangeFilter>"
        "<FromDeletedDate>2024-05-02</FromDeletedDate></DeletedDateRangeFilter>"
        "</ListDeletedQueryRq>",
    )
    assert [r.findtext("FullName") for r in reply] == ["Late"]


def test_deleted_invoices_appear_in_txn_deleted_query(qb, clock):
    customer = qb.company.add_customer("Acme")
    invoice = qb.company.add_invoice(
        customer.list_id, [{"Desc": "x", "Amount": 1}], RefNumber="5001"
    )
    qb.company.delete_invoice(invoice.txn_id)
    reply = ask_one(qb, "<TxnDeletedQueryRq><TxnDelType>Invoice</TxnDelType></TxnDeletedQueryRq>")
    assert [(r.findtext("TxnID"), r.findtext("RefNumber")) for r in reply] == [
        (invoice.txn_id, "5001")
    ]
    assert (
        status(ask_one(qb, f"<InvoiceQueryRq><TxnID>{invoice.txn_id}</TxnID></InvoiceQueryRq>"))
        == 500
    )


def test_a_customer_with_invoices_or_jobs_cannot_be_deleted(qb):
    parent = qb.company.add_customer("Parent")
    qb.company.add_customer("Job", parent=parent.list_id)
    billed = qb.company.add_customer("Billed")
    qb.company.add_invoice(billed.list_id, [{"Desc": "x", "Amount": 1}])
    for record in (parent, billed):
        with pytest.raises(QbStatus) as refused:
            qb.company.delete_customer(record.list_id)
        assert refused.value.code == 3171
    assert qb.company.deleted_lists == []


def test_single_digit_offsets_allowed_by_the_schema_are_read(qb, clock):
    qb.company.add_customer("At fifteen UTC")
    assert names(ask_one(qb, since("2024-05-01T15:00:00+0:0"))) == ["At fifteen UTC"]
    assert status(ask_one(qb, since("2024-05-01T16:00:00+0:0"))) == 1


def test_deletions_older_than_the_retention_window_are_no_longer_listed(clock: FakeClock):
    qb = QuickBooksSimulator(clock=clock, deleted_retention=timedelta(days=90))
    gone = qb.company.add_customer("Gone early")
    qb.company.delete_customer(gone.list_id)
    clock.advance(days=60)
    late = qb.company.add_customer("Gone late")
    qb.company.delete_customer(late.list_id)
    deleted = "<ListDeletedQueryRq><ListDelType>Customer</ListDelType></ListDeletedQueryRq>"
    assert [r.findtext("ListID") for r in ask_one(qb, deleted)] == [gone.list_id, late.list_id]
    clock.advance(days=31)
    assert [r.findtext("ListID") for r in ask_one(qb, deleted)] == [late.list_id]
    forever = QuickBooksSimulator(clock=clock, deleted_retention=None)
    kept = forever.company.add_customer("Kept")
    forever.company.delete_customer(kept.list_id)
    clock.advance(days=400)
    assert [r.findtext("ListID") for r in ask_one(forever, deleted)] == [kept.list_id]

"""QuickBooks writes control characters pasted into text fields; one of them must not cost
the page: free text is cleaned (and the record named), an unreadable record is set aside."""

from __future__ import annotations

import pytest

from connector.qbxml import Customer, Invoice, ResponseStream, read_statuses
from connector.xmlsafe import MARK


def _customer(list_id: str, notes: str = "Call first", *, modified: str = "2026-01-05T10:11:12",
              sequence: str = "1") -> str:
    return (f"<CustomerRet><ListID>{list_id}</ListID><TimeCreated>2026-01-05T10:11:12"
            f"</TimeCreated><TimeModified>{modified}</TimeModified>"
            f"<EditSequence>{sequence}</EditSequence><Name>Cust {list_id}</Name>"
            f"<FullName>Cust {list_id}</FullName><BillAddress><Addr1>1 Main St</Addr1>"
            f"</BillAddress><Notes>{notes}</Notes></CustomerRet>")


def _page(*records: str) -> str:
    return ('<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="7" '
            'statusCode="0" statusSeverity="Info" statusMessage="Status OK" '
            'iteratorRemainingCount="3" iteratorID="{it}">' + "".join(records)
            + "</CustomerQueryRs></QBXMLMsgsRs></QBXML>")


@pytest.mark.parametrize("dirt", ["\x0b", "\x1f\x00", "&#xB;", "&#11;", "&#x0;", "&#xFFFE;",
                                  MARK])
@pytest.mark.parametrize("as_bytes", [False, True], ids=["text", "bytes"])
def test_control_characters_in_free_text_are_removed_and_the_record_named(
        dirt: str, as_bytes: bool) -> None:
    page = _page(_customer("10-1"), _customer("10-2", f"Call{dirt} first"), _customer("10-3"))
    stream = ResponseStream(page.encode("utf-8") if as_bytes else page, strict=False)
    records = list(stream)
    assert [r.list_id for r in records if isinstance(r, Customer)] == ["10-1", "10-2", "10-3"]
    assert all(r.notes == "Call first" for r in records if isinstance(r, Customer))
    [fixed] = stream.repaired
    assert (fixed.qb_type, fixed.record_id, fixed.fields) == ("Customer", "10-2", ("Notes",))
    assert stream.rejected == []


def test_a_control_character_in_an_address_line_is_found_by_its_path() -> None:
    page = _page(_customer("10-1").replace("1 Main St", "1 Main\x0b St"))
    stream = ResponseStream(page)
    [customer] = list(stream)
    assert isinstance(customer, Customer) and customer.bill_address is not None
    assert customer.bill_address.addr1 == "1 Main St"
    assert stream.repaired[0].fields == ("BillAddress/Addr1",)


@pytest.mark.parametrize("broken", [{"modified": "2026-01-05T10:\x0b11:12"},
                                    {"sequence": "16\x0b7"}])
def test_a_record_whose_own_values_are_damaged_is_set_aside_and_the_page_goes_on(
        broken: dict[str, str]) -> None:
    page = _page(_customer("10-1"), _customer("10-2", **broken), _customer("10-3"))
    stream = ResponseStream(page, strict=False)
    assert [r.list_id for r in stream if isinstance(r, Customer)] == ["10-1", "10-3"]
    [rejected] = stream.rejected
    assert (rejected.qb_type, rejected.record_id) == ("Customer", "10-2")
    assert "characters XML cannot carry" in rejected.message
    [status] = stream.statuses
    assert (status.ret_count, status.iterator_remaining) == (3, 3)


def test_the_status_of_a_dirty_page_reads_as_it_is_so_its_iterator_goes_on() -> None:
    page = _page(_customer("10-1", "a\x0bb"), _customer("10-2", "c\x00d"))
    [status] = read_statuses(page)
    assert (status.status_code, status.ret_count, status.iterator_id) == (0, 2, "{it}")


def test_an_invoice_memo_and_line_description_are_cleaned() -> None:
    invoice = ("<InvoiceRet><TxnID>77-1</TxnID><TimeCreated>2026-01-05T10:11:12</TimeCreated>"
               "<TimeModified>2026-01-05T10:11:12</TimeModified><EditSequence>1</EditSequence>"
               "<TxnNumber>1</TxnNumber><CustomerRef><ListID>10-1</ListID></CustomerRef>"
               "<TxnDate>2026-01-05</TxnDate><RefNumber>1</RefNumber>"
               "<Memo>Thanks\x1b!</Memo><InvoiceLineRet><TxnLineID>1</TxnLineID>"
               "<Desc>Lab\x0bour</Desc><Amount>10.00</Amount></InvoiceLineRet></InvoiceRet>")
    page = ('<QBXML><QBXMLMsgsRs><InvoiceQueryRs requestID="1" statusCode="0">' + invoice
            + "</InvoiceQueryRs></QBXMLMsgsRs></QBXML>")
    stream = ResponseStream(page)
    [record] = list(stream)
    assert isinstance(record, Invoice) and record.memo == "Thanks!"
    assert record.lines[0].desc == "Labour"  # type: ignore[union-attr]
    assert stream.repaired[0].fields == ("Memo", "InvoiceLineRet[1]/Desc")

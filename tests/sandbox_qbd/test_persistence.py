"""A company kept in a state file survives the simulator being restarted."""

from __future__ import annotations

import pytest

from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from tests.sandbox_qbd.conftest import FakeClock
from tests.sandbox_qbd.qbxml import document

EVERYTHING = document(
    "<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>",
    "<ItemQueryRq/>",
    "<InvoiceQueryRq><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>",
    "<ListDeletedQueryRq><ListDelType>Customer</ListDelType></ListDeletedQueryRq>",
    "<TxnDeletedQueryRq><TxnDelType>Invoice</TxnDelType></TxnDeletedQueryRq>",
    on_error="continueOnError",
)


def test_a_saved_company_answers_exactly_as_before(tmp_path, clock: FakeClock):
    state = tmp_path / "company.json"
    qb = QuickBooksSimulator(clock=clock, state_file=state, company_name="Kept Co")
    seed_company(qb, customers=12, invoices=8, lines_per_invoice=4)
    doomed = qb.company.add_customer("Doomed")
    qb.company.delete_customer(doomed.list_id)
    qb.company.delete_invoice(next(iter(qb.company.invoices)))
    qb.begin_session()
    qb.end_session()
    before = qb.handle(EVERYTHING)
    again = QuickBooksSimulator(clock=clock, state_file=state)
    assert again.handle(EVERYTHING) == before
    assert again.company.company_name == "Kept Co"


def test_numbering_continues_after_a_restart(tmp_path, clock: FakeClock):
    state = tmp_path / "company.json"
    qb = QuickBooksSimulator(clock=clock, state_file=state)
    first = qb.company.add_customer("First")
    qb.company.add_invoice(first.list_id, [{"Desc": "x", "Amount": 1}])
    qb.save()
    again = QuickBooksSimulator(clock=clock, state_file=state)
    second = again.company.add_customer("Second")
    invoice = again.company.add_invoice(second.list_id, [{"Desc": "y", "Amount": 2}])
    assert second.list_id != first.list_id
    assert (invoice.txn_number, invoice.fields["RefNumber"]) == (2, "2")


def test_end_session_saves_only_when_something_changed(tmp_path, clock: FakeClock):
    state = tmp_path / "company.json"
    qb = QuickBooksSimulator(clock=clock, state_file=state)
    qb.end_session()
    assert not state.exists()
    qb.company.add_customer("Changed")
    qb.end_session()
    assert state.exists()


def test_a_damaged_state_file_is_reported_clearly(tmp_path):
    state = tmp_path / "company.json"
    state.write_text("{not json")
    with pytest.raises(ValueError, match="cannot read the simulated company file"):
        QuickBooksSimulator(state_file=state)


def test_save_without_a_state_file_is_an_error():
    with pytest.raises(ValueError, match="state_file"):
        QuickBooksSimulator().save()

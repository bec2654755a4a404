"""Iterators page through a query and live only inside one Web Connector session."""

from __future__ import annotations

import re

import pytest

from connector.sandbox.qbd import QuickBooksSimulator
from tests.sandbox_qbd.qbxml import ask_one, names, status

START = ('<CustomerQueryRq requestID="1" iterator="Start"><MaxReturned>{n}</MaxReturned>'
         "</CustomerQueryRq>")
CONTINUE = ('<CustomerQueryRq requestID="1" iterator="Continue" iteratorID="{id}">'
            "<MaxReturned>{n}</MaxReturned></CustomerQueryRq>")


@pytest.fixture
def seven(qb: QuickBooksSimulator) -> list[str]:
    return [qb.company.add_customer(f"Customer {n}").name for n in range(7)]


def test_iterator_pages_through_every_record_once(qb, seven):
    qb.begin_session()
    first = ask_one(qb, START.format(n=3))
    iterator_id = first.get("iteratorID", "")
    assert re.fullmatch(r"\{[0-9a-f-]{36}\}", iterator_id)
    assert (first.get("iteratorRemainingCount"), len(first)) == ("4", 3)
    second = ask_one(qb, CONTINUE.format(id=iterator_id, n=3))
    third = ask_one(qb, CONTINUE.format(id=iterator_id, n=3))
    assert (second.get("iteratorRemainingCount"), third.get("iteratorRemainingCount")) == ("1", "0")
    assert second.get("iteratorID") == third.get("iteratorID") == iterator_id
    assert names(first) + names(second) + names(third) == sorted(seven)


def test_iterator_attributes_follow_the_status_attributes_as_quickbooks_writes_them(qb, seven):
    reply = ask_one(qb, START.format(n=2))
    assert list(reply.attrib) == ["requestID", "statusCode", "statusSeverity", "statusMessage",
                                  "iteratorRemainingCount", "iteratorID"]


def test_continue_after_the_session_ended_answers_3391(qb, seven):
    qb.begin_session()
    first = ask_one(qb, START.format(n=2))
    qb.end_session()
    qb.begin_session()
    late = ask_one(qb, CONTINUE.format(id=first.get("iteratorID"), n=2))
    assert (status(late), late.get("statusSeverity")) == (3391, "Error")
    assert late.get("statusMessage") == f'The iteratorID "{first.get("iteratorID")}" is not valid.'
    assert len(late) == 0


def test_an_exhausted_iterator_is_released(qb, seven):
    first = ask_one(qb, START.format(n=10))
    assert (first.get("iteratorRemainingCount"), len(first)) == ("0", 7)
    again = ask_one(qb, CONTINUE.format(id=first.get("iteratorID"), n=10))
    assert status(again) == 3391


def test_an_iterator_belongs_to_the_query_type_that_started_it(qb, seven):
    first = ask_one(qb, START.format(n=2))
    wrong = ask_one(
        qb, f'<ItemQueryRq iterator="Continue" iteratorID="{first.get("iteratorID")}"/>'
    )
    assert status(wrong) == 3391


def test_records_changed_while_iterating_come_back_in_their_current_state(qb, seven):
    first = ask_one(qb, START.format(n=4))
    last = qb.company.customer("Customer 6")
    qb.company.modify_customer(last.list_id, Email="new@example.com")
    rest = ask_one(qb, CONTINUE.format(id=first.get("iteratorID"), n=4))
    assert rest[-1].findtext("Email") == "new@example.com"


def test_records_added_after_start_are_not_in_the_running_iterator(qb, seven):
    first = ask_one(qb, START.format(n=4))
    qb.company.add_customer("Customer 99")
    rest = ask_one(qb, CONTINUE.format(id=first.get("iteratorID"), n=10))
    assert "Customer 99" not in names(rest)
    assert len(first) + len(rest) == 7


def test_stop_releases_the_iterator(qb, seven):
    first = ask_one(qb, START.format(n=2))
    stopped = ask_one(
        qb, f'<CustomerQueryRq iterator="Stop" iteratorID="{first.get("iteratorID")}"/>'
    )
    assert status(stopped) == 0
    assert status(ask_one(qb, CONTINUE.format(id=first.get("iteratorID"), n=2))) == 3391


def test_iterator_ids_are_deterministic_per_company_file(clock):
    ids = []
    for _ in range(2):
        qb = QuickBooksSimulator("C:\\Data\\Acme.qbw", clock=clock)
        qb.company.add_customer("A")
        qb.company.add_customer("B")
        ids.append(ask_one(qb, START.format(n=1)).get("iteratorID"))
    other = QuickBooksSimulator("C:\\Data\\Other.qbw", clock=clock)
    other.company.add_customer("A")
    other.company.add_customer("B")
    assert ids[0] == ids[1] != ask_one(other, START.format(n=1)).get("iteratorID")


def test_invoice_iterator_keeps_include_line_items_across_pages(qb):
    customer = qb.company.add_customer("Lines Inc")
    for n in range(3):
        qb.company.add_invoice(customer.list_id, [{"Desc": f"Work {n}", "Amount": 10}],
                               RefNumber=f"L{n}")
    first = ask_one(qb, '<InvoiceQueryRq iterator="Start"><MaxReturned>2</MaxReturned>'
                        "<IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>")
    rest = ask_one(
        qb,
        f'<InvoiceQueryRq iterator="Continue" iteratorID="{first.get("iteratorID")}">'
        "<MaxReturned>2</MaxReturned></InvoiceQueryRq>",
    )
    assert [r.findtext("InvoiceLineRet/Desc") for r in [*first, *rest]] == [
        "Work 0",
        "Work 1",
        "Work 2",
    ]

"""seed_company makes realistic data deterministically, and everything it leads to validates."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest

from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from tests.sandbox_qbd.conftest import FakeClock
from tests.sandbox_qbd.qbxml import ask, ask_one, document, read, status

EVERYTHING = ("<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>",
              "<ItemQueryRq><ActiveStatus>All</ActiveStatus></ItemQueryRq>",
              "<InvoiceQueryRq><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>")


def seeded(seed: int = 0, **counts: int) -> QuickBooksSimulator:
    qb = QuickBooksSimulator(clock=FakeClock(datetime(2024, 5, 1, 15, 0, tzinfo=UTC)))
    seed_company(
        qb, **({"customers": 40, "invoices": 30, "lines_per_invoice": 5} | counts), seed=seed
    )
    return qb


@pytest.fixture(scope="module")
def company() -> QuickBooksSimulator:
    return seeded()


def test_same_seed_gives_identical_responses():
    first, second = seeded(seed=7), seeded(seed=7)
    for request in EVERYTHING:
        assert first.handle(document(request)) == second.handle(document(request))


def test_another_seed_gives_other_data():
    request = document(EVERYTHING[2])
    assert seeded(seed=1).handle(request) != seeded(seed=2).handle(request)


def test_seeded_customers_hold_the_cases_real_files_have(company):
    customers = ask_one(company, EVERYTHING[0])
    assert len(customers) == 40
    rets = list(customers)
    assert any(r.findtext("Sublevel") == "1" and r.find("ParentRef") is not None for r in rets)
    assert [r.findtext("IsActive") for r in rets].count("false") == 1
    assert all("@" in (r.findtext("Email") or "@") for r in rets)
    assert any(r.findtext("Phone") for r in rets)
    latin1 = [
        r.findtext("Name") for r in rets if any(ord(ch) > 127 for ch in r.findtext("Name") or "")
    ]
    beyond = [name for name in latin1 if any(ord(ch) > 255 for ch in name)]
    assert latin1 and beyond
    assert any(ord(ch) > 127 for r in rets for ch in r.findtext("BillAddress/City") or "")
    assert all(len(r.findtext("Name") or "") <= 41 for r in rets)


def test_seeded_invoices_have_exact_line_counts_with_discount_and_tax_lines(company):
    invoices = list(ask_one(company, EVERYTHING[2]))
    assert len(invoices) == 30
    assert all(len(inv.findall("InvoiceLineRet")) == 5 for inv in invoices)
    items = {r.findtext("ListID"): r.tag for r in ask_one(company, EVERYTHING[1])}
    line_kinds = {items[line.findtext("ItemRef/ListID")] for inv in invoices
                  for line in inv.iterfind("InvoiceLineRet")}
    assert {
        "ItemDiscountRet",
        "ItemSalesTaxRet",
        "ItemServiceRet",
        "ItemInventoryRet",
    } <= line_kinds
    assert any(
        Decimal(line.findtext("Amount") or "0") < 0
        for inv in invoices
        for line in inv.iterfind("InvoiceLineRet")
    )
    assert any(inv.findtext("IsPaid") == "true" for inv in invoices)
    assert any(Decimal(inv.findtext("SalesTaxTotal") or "0") > 0 for inv in invoices)
    for inv in invoices:
        lines = sum(Decimal(a.text or "0") for a in inv.iterfind("InvoiceLineRet/Amount"))
        total = Decimal(inv.findtext("Subtotal") or "0") + Decimal(
            inv.findtext("SalesTaxTotal") or "0"
        )
        assert lines == Decimal(inv.findtext("Subtotal") or "0")
        assert total + Decimal(inv.findtext("AppliedAmount") or "0") == Decimal(
            inv.findtext("BalanceRemaining") or ""
        )


def test_seeded_history_lies_in_the_year_before_the_clock(company):
    times = [r.findtext("TimeCreated") or "" for r in ask_one(company, EVERYTHING[0])]
    assert min(times) >= "2023-05-01" and max(times) < "2024-05-01T10:00"


def test_items_count_sellable_items_plus_a_discount_and_two_sales_tax_items():
    qb = seeded(customers=2, invoices=0, lines_per_invoice=0, items=12)
    assert len(ask_one(qb, EVERYTHING[1])) == 15


def test_bad_counts_are_refused():
    qb = QuickBooksSimulator()
    with pytest.raises(ValueError):
        seed_company(qb, customers=0, invoices=3, lines_per_invoice=2)


def test_every_response_over_a_seeded_company_validates():
    qb = seeded(customers=60, invoices=40, lines_per_invoice=6, seed=3)
    rng = random.Random(3)
    customers = list(ask_one(qb, EVERYTHING[0]))
    invoices = list(ask_one(qb, EVERYTHING[2]))
    checked = 3
    for ret in customers:
        ask_one(qb, f"<CustomerQueryRq><ListID>{ret.findtext('ListID')}</ListID></CustomerQueryRq>")
        change = rng.choice(
            [
                "<Phone>555-0000</Phone>",
                "<IsActive>false</IsActive>",
                "<BillAddress><Addr2>Suite &#8470; 5</Addr2></BillAddress>",
                "<Notes>n</Notes>",
            ]
        )
        ask_one(qb, f"<CustomerModRq><CustomerMod><ListID>{ret.findtext('ListID')}</ListID>"
                    f"<EditSequence>{ret.findtext('EditSequence')}</EditSequence>{change}</CustomerMod></CustomerModRq>")
        checked += 2
    for inv in invoices:
        first_line = inv.findtext("InvoiceLineRet/TxnLineID")
        ask_one(qb, f"<InvoiceModRq><InvoiceMod><TxnID>{inv.findtext('TxnID')}</TxnID>"
                    f"<EditSequence>{inv.findtext('EditSequence')}</EditSequence><Memo>checked</Memo>"
                    f"<InvoiceLineMod><TxnLineID>{first_line}</TxnLineID><Quantity>3</Quantity></InvoiceLineMod>"
                    "</InvoiceMod></InvoiceModRq>")
        checked += 1
    start = ask_one(qb, '<InvoiceQueryRq iterator="Start"><MaxReturned>7</MaxReturned>'
                        "<IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>")
    while start.get("iteratorRemainingCount") != "0":
        start = ask_one(
            qb,
            f'<InvoiceQueryRq iterator="Continue" iteratorID="{start.get("iteratorID")}">'
            "<MaxReturned>7</MaxReturned></InvoiceQueryRq>",
        )
        checked += 1
    ask(qb, *EVERYTHING, "<HostQueryRq/>", "<CompanyQueryRq/>",
        "<ListDeletedQueryRq><ListDelType>Customer</ListDelType></ListDeletedQueryRq>",
        "<TxnDeletedQueryRq><TxnDelType>Invoice</TxnDelType></TxnDeletedQueryRq>")
    assert checked > 150


def random_name(rng: random.Random) -> str:
    alphabet = "abcdeé ñøÆ&<>\"'ŁřőЖ€–—"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 41))).strip() or "x"


def test_random_names_and_addresses_round_trip_exactly():
    qb = QuickBooksSimulator()
    rng = random.Random(11)
    for n in range(120):
        name, city = f"{n} {random_name(rng)}"[:41], random_name(rng)[:31]  # QuickBooks' limits
        encoded = "".join(ch if ord(ch) < 128 else f"&#{ord(ch)};" for ch in escape(name))
        reply = ask_one(qb, f"<CustomerAddRq><CustomerAdd><Name>{encoded}</Name><BillAddress>"
                            f"<City>{escape(city)}</City></BillAddress></CustomerAdd></CustomerAddRq>")
        assert status(reply) == 0, reply.get("statusMessage")
        fetched = read(
            qb.handle(
                document(
                    f"<CustomerQueryRq><ListID>{reply.findtext('CustomerRet/ListID')}"
                    "</ListID></CustomerQueryRq>"
                )
            )
        )[0]
        assert (
            fetched.findtext("CustomerRet/Name"),
            fetched.findtext("CustomerRet/BillAddress/City"),
        ) == (name, city)

"""The QuickBooks simulator answering small requests, so it never bottlenecks end-to-end runs.

A seeded company (500 customers, 2,000 invoices x 4 lines) answers a rotating mix of small
request documents, each validated against the qbXML XSD as every request is: CustomerQuery by
ListID, CustomerQuery with MaxReturned=1, InvoiceQuery by TxnID (without lines). The value is
documents answered per second over about three seconds; the reference is the 2,000 req/s the
issue asks for.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from connector.sandbox.qbd import QuickBooksSimulator, seed_company

BOUND = 2000.0
DURATION = 3.0


def _document(body: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'
            f'<QBXMLMsgsRq onError="stopOnError">{body}</QBXMLMsgsRq></QBXML>')


def _requests(qb: QuickBooksSimulator) -> list[str]:
    customers = [r.list_id for r in qb.company.listed("Customer")][:50]
    invoices = list(qb.company.invoices)[:50]
    small = []
    for n, (customer, invoice) in enumerate(zip(customers, invoices, strict=True)):
        small.append(
            _document(
                f'<CustomerQueryRq requestID="{n}"><ListID>{customer}</ListID></CustomerQueryRq>'
            )
        )
        small.append(
            _document(
                f'<CustomerQueryRq requestID="{n}"><MaxReturned>1</MaxReturned></CustomerQueryRq>'
            )
        )
        small.append(
            _document(f'<InvoiceQueryRq requestID="{n}"><TxnID>{invoice}</TxnID></InvoiceQueryRq>')
        )
    return small


def run() -> list[dict[str, Any]]:
    qb = QuickBooksSimulator(clock=lambda: datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    seed_company(qb, customers=500, invoices=2000, lines_per_invoice=4, seed=1)
    requests = _requests(qb)
    for request in requests:  # warm caches (schema, XSD order tables)
        qb.handle(request)
    answered = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < DURATION:
        for request in requests:
            qb.handle(request)
        answered += len(requests)
    rate = answered / elapsed
    return [{"name": "qbd_simulator_small_requests", "value": rate, "unit": "req/s",
             "reference": BOUND, "ratio": rate / BOUND, "target": ">= 1.0"}]


if __name__ == "__main__":
    for entry in run():
        print(entry)

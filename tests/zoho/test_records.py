"""Writes, reads and deletions against the simulated org, in-process."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.sandbox.zoho import ZohoSimulator
from connector.zoho import (
    InvoiceLine,
    RecordFailed,
    RecordResult,
    RecordSaved,
    ZohoClient,
    invoiced_items,
)
from connector.zoho.fields import QBD_KEY

from .conftest import FakeClock


def _accounts(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"Account_Name": f"Customer {i}", QBD_KEY: f"1:{i:06d}"} for i in range(start, start + n)
    ]


def _ids(results: list[RecordResult]) -> list[str]:
    """The ids of a write that must have saved every record."""
    assert all(isinstance(r, RecordSaved) for r in results), results
    return [r.id for r in results if isinstance(r, RecordSaved)]


def test_upsert_inserts_then_updates_by_our_key_not_by_name(client: ZohoClient,
                                                            sim: ZohoSimulator) -> None:
    first = client.upsert("Accounts", [{"Account_Name": "Acme", QBD_KEY: "1:A"},
                                       {"Account_Name": "Acme", QBD_KEY: "2:A"}],
                          duplicate_check_fields=[QBD_KEY])
    assert [r.action for r in first if isinstance(r, RecordSaved)] == ["insert", "insert"]
    again = client.upsert("Accounts", [{"Account_Name": "Acme Ltd", QBD_KEY: "1:A"}],
                          duplicate_check_fields=[QBD_KEY])
    assert isinstance(again[0], RecordSaved) and again[0].action == "update"
    assert again[0].id == _ids(first)[0] and again[0].duplicate_field == QBD_KEY
    assert len(sim.records("Accounts")) == 2  # same-named customers stay apart


def test_upsert_refuses_to_run_without_our_dedupe_fields(client: ZohoClient) -> None:
    with pytest.raises(ValueError, match="merge different customers"):
        client.upsert("Accounts", _accounts(1), duplicate_check_fields=[])


def test_writes_switch_zoho_workflows_off(client: ZohoClient, sim: ZohoSimulator) -> None:
    client.upsert("Accounts", _accounts(3), duplicate_check_fields=[QBD_KEY])
    assert sim.workflow_runs == []


def test_more_than_100_records_go_in_batches_with_results_in_input_order(
        client: ZohoClient, sim: ZohoSimulator) -> None:
    results = client.upsert("Accounts", _accounts(250), duplicate_check_fields=[QBD_KEY])
    assert [r.index for r in results] == list(range(250))
    assert all(r.ok for r in results)
    assert sim.call_count("POST", "/Accounts/upsert") == 3
    assert len({r.id for r in results if isinstance(r, RecordSaved)}) == 250


def test_a_bad_record_fails_alone_and_the_batch_goes_on(client: ZohoClient,
                                                         sim: ZohoSimulator) -> None:
    client.upsert("Accounts", [{"Account_Name": "Taken", QBD_KEY: "1:T"}],
                  duplicate_check_fields=[QBD_KEY])
    batch: list[dict[str, Any]] = [
        {"Account_Name": "Fine", QBD_KEY: "1:F"},
        {QBD_KEY: "1:N"},                                    # Account_Name is mandatory
        {"Account_Name": "No key"},                          # never sent: no dedupe key
        {"Account_Name": "Bad phone", QBD_KEY: "1:P", "Phone": 5},
    ]
    results = client.upsert("Accounts", batch, duplicate_check_fields=[QBD_KEY])
    assert [r.ok for r in results] == [True, False, False, False]
    failed = [r.error for r in results if isinstance(r, RecordFailed)]
    assert [e.code for e in failed] == ["MANDATORY_NOT_FOUND", "MISSING_KEY", "INVALID_DATA"]
    assert failed[0].details == {"api_name": "Account_Name", "json_path": "$.data[1].Account_Name"}
    assert {r["Account_Name"] for r in sim.records("Accounts")} == {"Taken", "Fine"}


def test_insert_reports_duplicate_of_a_unique_key_per_record(client: ZohoClient) -> None:
    client.insert("Products", [{"Product_Name": "Widget", QBD_KEY: "1:W"}])
    results = client.insert("Products", [{"Product_Name": "Widget 2", QBD_KEY: "1:W"},
                                         {"Product_Name": "Gadget", QBD_KEY: "1:G"}])
    assert isinstance(results[0], RecordFailed) and results[0].error.code == "DUPLICATE_DATA"
    assert isinstance(results[1], RecordSaved) and results[1].action == "insert"


def test_update_needs_ids_and_reports_each(client: ZohoClient) -> None:
    first = _ids(client.upsert("Accounts", _accounts(2), duplicate_check_fields=[QBD_KEY]))[0]
    results = client.update("Accounts", [{"id": first, "Phone": "555-0101"},
                                         {"Phone": "555-0102"}])
    assert results[0].ok and not results[1].ok
    assert client.get_records("Accounts", [first], ["Phone"])[0]["Phone"] == "555-0101"


def test_listing_goes_past_2000_records_with_page_token(client: ZohoClient,
                                                        sim: ZohoSimulator) -> None:
    client.upsert("Accounts", _accounts(2150), duplicate_check_fields=[QBD_KEY])
    seen = [r["id"] for r in client.iter_records("Accounts", ["Account_Name", QBD_KEY])]
    assert len(seen) == 2150 == len(set(seen))
    listing = [p for m, p, _ in sim.calls if m == "GET" and p == "/crm/v8/Accounts"]
    assert len(listing) == 11  # ten pages of 200, then one by page_token


def test_listing_with_if_modified_since_returns_only_changes(client: ZohoClient,
                                                             sim: ZohoSimulator,
                                                             clock: FakeClock) -> None:
    saved = _ids(client.upsert("Accounts", _accounts(5), duplicate_check_fields=[QBD_KEY]))
    mark = clock()
    clock.advance(minutes=5)
    sim.edit_record("Accounts", saved[3], Phone="555-0199")
    changed = list(client.iter_records("Accounts", ["Phone"], modified_since=mark))
    assert [r["id"] for r in changed] == [saved[3]]
    clock.advance(minutes=5)
    assert list(client.iter_records("Accounts", ["Phone"], modified_since=clock())) == []


def test_too_many_fields_are_refused_before_any_call(client: ZohoClient) -> None:
    with pytest.raises(ValueError, match="at most 50"):
        list(client.iter_records("Accounts", [f"F{i}" for i in range(51)]))


def test_delete_and_deleted_records(client: ZohoClient, sim: ZohoSimulator) -> None:
    ids = _ids(client.upsert("Accounts", _accounts(3), duplicate_check_fields=[QBD_KEY]))
    results = client.delete("Accounts", [ids[0], "999"])
    assert [r.ok for r in results] == [True, False]
    assert isinstance(results[0], RecordSaved) and results[0].action == "delete"
    assert [d["id"] for d in client.iter_deleted("Accounts")] == [ids[0]]
    assert len(sim.records("Accounts")) == 2


def test_invoice_with_invoiced_items_keeps_exact_amounts(client: ZohoClient,
                                                         sim: ZohoSimulator) -> None:
    account = _ids(client.upsert("Accounts", _accounts(1), duplicate_check_fields=[QBD_KEY]))[0]
    product = _ids(client.upsert("Products", [{"Product_Name": "Widget", QBD_KEY: "1:W"}],
                                 duplicate_check_fields=[QBD_KEY]))[0]
    lines = [InvoiceLine(product, Decimal("3"), Decimal("19.99")),
             InvoiceLine(product, Decimal("1"), Decimal("0.03"), description="rounding")]
    invoice = {"Subject": "INV-1001", QBD_KEY: "1:T-1001", "Account_Name": {"id": account},
               **invoiced_items(lines)}
    saved = client.upsert("Invoices", [invoice], duplicate_check_fields=[QBD_KEY])[0]
    assert isinstance(saved, RecordSaved)
    stored = sim.record("Invoices", saved.id)
    assert Decimal(str(stored["Grand_Total"])) == Decimal("60.00")
    read = client.get_records("Invoices", [saved.id], ["Grand_Total", "Invoiced_Items"])[0]
    assert read["Grand_Total"] == Decimal("60.0")  # read back as Decimal, never float
    assert [i["Quantity"] for i in read["Invoiced_Items"]] == [Decimal("3.0"), Decimal("1.0")]


def test_invoice_lines_refuse_float_money() -> None:
    with pytest.raises(TypeError, match="must be a Decimal"):
        InvoiceLine("1", Decimal("1"), 19.99)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one line"):
        invoiced_items([])


def test_deleted_records_page_past_2000_without_page_tokens(client: ZohoClient) -> None:
    ids = _ids(client.upsert("Accounts", _accounts(2050), duplicate_check_fields=[QBD_KEY]))
    assert all(r.ok for r in client.delete("Accounts", ids))
    assert sorted(d["id"] for d in client.iter_deleted("Accounts")) == sorted(ids)

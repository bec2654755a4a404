"""Insert, update, upsert and delete: per-record answers, batch rules, Zoho's traps."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connector.sandbox.zoho import ZohoSimulator

from .helpers import ManualClock, insert


def _items(reply: httpx.Response) -> list[dict[str, Any]]:
    return list(reply.json()["data"])


def test_insert_answers_201_with_record_details(api: httpx.Client, sim: ZohoSimulator) -> None:
    reply = api.post("/crm/v8/Accounts", json={"data": [{"Account_Name": "Acme"}]})
    assert reply.status_code == 201
    item = _items(reply)[0]
    assert (item["code"], item["status"], item["message"]) == ("SUCCESS", "success",
                                                               "record added")
    assert sim.record("Accounts", item["details"]["id"])["Account_Name"] == "Acme"


def test_more_than_100_records_is_refused_whole(api: httpx.Client, sim: ZohoSimulator) -> None:
    rows = [{"Account_Name": f"A{i}"} for i in range(101)]
    reply = api.post("/crm/v8/Accounts/upsert", json={"data": rows})
    assert reply.status_code == 400
    assert reply.json()["code"] == "LIMIT_EXCEEDED"
    assert sim.records("Accounts") == []


def test_mixed_batch_answers_207_and_saves_the_good_records(
        api: httpx.Client, sim: ZohoSimulator) -> None:
    reply = api.post("/crm/v8/Contacts", json={"data": [
        {"Last_Name": "Good"}, {"First_Name": "No last name"}]})
    assert reply.status_code == 207
    good, bad = _items(reply)
    assert good["status"] == "success"
    assert bad == {"code": "MANDATORY_NOT_FOUND", "status": "error",
                   "message": "required field not found",
                   "details": {"api_name": "Last_Name", "json_path": "$.data[1].Last_Name"}}
    assert [c["Last_Name"] for c in sim.records("Contacts")] == ["Good"]


def test_all_records_failing_answers_400(api: httpx.Client) -> None:
    reply = api.post("/crm/v8/Deals", json={"data": [{"Deal_Name": "No stage"}]})
    assert reply.status_code == 400
    assert _items(reply)[0]["details"]["api_name"] == "Stage"


@pytest.mark.parametrize(("module", "row", "missing"), [
    ("Accounts", {"Phone": "1"}, "Account_Name"),
    ("Contacts", {"First_Name": "Ann"}, "Last_Name"),
    ("Deals", {"Stage": "Qualification"}, "Deal_Name"),
    ("Products", {"Unit_Price": 2}, "Product_Name"),
    ("Invoices", {"Subject": "INV-1"}, "Account_Name"),
])
def test_mandatory_fields_per_module(api: httpx.Client, module: str, row: dict[str, Any],
                                     missing: str) -> None:
    item = _items(api.post(f"/crm/v8/{module}", json={"data": [row]}))[0]
    assert (item["code"], item["details"]["api_name"]) == ("MANDATORY_NOT_FOUND", missing)


def test_lookup_must_name_an_existing_record(api: httpx.Client) -> None:
    reply = api.post("/crm/v8/Deals", json={"data": [{
        "Deal_Name": "D", "Stage": "Qualification", "Account_Name": {"id": "111111"}}]})
    item = _items(reply)[0]
    assert item["code"] == "INVALID_DATA"
    assert item["details"] == {"api_name": "Account_Name", "json_path": "$.data[0].Account_Name",
                               "id": "111111"}


def test_lookup_renders_with_the_target_name(api: httpx.Client, sim: ZohoSimulator) -> None:
    [account] = insert(api, "Accounts", {"Account_Name": "Acme"})
    [deal] = insert(api, "Deals", {"Deal_Name": "D", "Stage": "Qualification",
                                   "Account_Name": {"id": account}})
    assert sim.record("Deals", deal)["Account_Name"] == {"name": "Acme", "id": account}


def test_wrong_type_names_the_expected_type(api: httpx.Client) -> None:
    item = _items(api.post("/crm/v8/Deals", json={"data": [
        {"Deal_Name": "D", "Stage": "Qualification", "Amount": "lots"}]}))[0]
    assert item["details"]["expected_data_type"] == "double"


def test_picklist_refuses_unknown_stage(api: httpx.Client) -> None:
    item = _items(api.post("/crm/v8/Deals", json={"data": [
        {"Deal_Name": "D", "Stage": "Won-ish"}]}))[0]
    assert (item["code"], item["details"]["api_name"]) == ("INVALID_DATA", "Stage")


def test_unknown_fields_are_silently_ignored(api: httpx.Client, sim: ZohoSimulator) -> None:
    [account] = insert(api, "Accounts", {"Account_Name": "Acme", "Acount_Phone": "555"})
    assert "Acount_Phone" not in sim.record("Accounts", account)


def test_unique_field_refuses_duplicates_with_the_other_record(
        api: httpx.Client, sim: ZohoSimulator) -> None:
    sim.add_field("Accounts", "QBD_Key", unique=True)
    [first] = insert(api, "Accounts", {"Account_Name": "A", "QBD_Key": "1:80000001"})
    item = _items(api.post("/crm/v8/Accounts", json={"data": [
        {"Account_Name": "B", "QBD_Key": "1:80000001"}]}))[0]
    assert item["code"] == "DUPLICATE_DATA"
    assert item["details"]["api_name"] == "QBD_Key"
    assert item["details"]["duplicate_record"]["id"] == first


def test_upsert_without_duplicate_check_fields_merges_same_named_accounts(
        api: httpx.Client, sim: ZohoSimulator) -> None:
    """The trap: Zoho's default matching is by Account_Name, so two customers merge."""
    sim.add_field("Accounts", "QBD_Key", unique=True)
    api.post("/crm/v8/Accounts/upsert", json={"data": [
        {"Account_Name": "Smith Plumbing", "QBD_Key": "1:A"}]})
    reply = api.post("/crm/v8/Accounts/upsert", json={"data": [
        {"Account_Name": "Smith Plumbing", "Phone": "555-0199"}]})
    item = _items(reply)[0]
    assert (item["action"], item["duplicate_field"]) == ("update", "Account_Name")
    assert len(sim.records("Accounts")) == 1


def test_upsert_on_our_key_keeps_same_named_customers_apart(
        api: httpx.Client, sim: ZohoSimulator) -> None:
    sim.add_field("Accounts", "QBD_Key", unique=True)
    for key in ("1:A", "2:A"):
        reply = api.post("/crm/v8/Accounts/upsert", json={
            "data": [{"Account_Name": "Smith Plumbing", "QBD_Key": key}],
            "duplicate_check_fields": ["QBD_Key"]})
        assert _items(reply)[0]["action"] == "insert"
    again = api.post("/crm/v8/Accounts/upsert", json={
        "data": [{"Account_Name": "Smith Plumbing Ltd", "QBD_Key": "2:A"}],
        "duplicate_check_fields": ["QBD_Key"]})
    assert (_items(again)[0]["action"], _items(again)[0]["duplicate_field"]) == ("update",
                                                                                 "QBD_Key")
    assert sorted(a["Account_Name"] for a in sim.records("Accounts")) == [
        "Smith Plumbing", "Smith Plumbing Ltd"]


def test_duplicate_check_on_a_non_unique_field_is_refused(api: httpx.Client) -> None:
    reply = api.post("/crm/v8/Accounts/upsert", json={
        "data": [{"Account_Name": "A"}], "duplicate_check_fields": ["Phone"]})
    assert reply.status_code == 400 and reply.json()["code"] == "INVALID_DATA"


def test_update_needs_an_existing_id(api: httpx.Client) -> None:
    reply = api.put("/crm/v8/Accounts", json={"data": [{"Phone": "1"}, {"id": "42",
                                                                         "Phone": "2"}]})
    missing, unknown = _items(reply)
    assert (missing["code"], missing["details"]["api_name"]) == ("MANDATORY_NOT_FOUND", "id")
    assert (unknown["code"], unknown["message"]) == ("INVALID_DATA",
                                                     "the id given seems to be invalid")


def test_update_bumps_modified_time(api: httpx.Client, sim: ZohoSimulator,
                                    clock: ManualClock) -> None:
    [account] = insert(api, "Accounts", {"Account_Name": "Acme"})
    before = sim.record("Accounts", account)["Modified_Time"]
    clock.advance(minutes=5)
    reply = api.put(f"/crm/v8/Accounts/{account}", json={"data": [{"Phone": "555"}]})
    assert reply.status_code == 200
    after = sim.record("Accounts", account)
    assert after["Modified_Time"] > before and after["Phone"] == "555"
    assert after["Modified_By"]["name"] == "Sandbox Admin"


def test_writes_run_workflows_unless_trigger_is_empty(
        api: httpx.Client, sim: ZohoSimulator) -> None:
    api.post("/crm/v8/Accounts", json={"data": [{"Account_Name": "Quiet"}], "trigger": []})
    assert sim.workflow_runs == []
    reply = api.post("/crm/v8/Accounts", json={"data": [{"Account_Name": "Loud"}]})
    assert sim.workflow_runs == [("Accounts", "insert", _items(reply)[0]["details"]["id"])]


def test_delete_answers_per_id_and_lists_deleted(api: httpx.Client, clock: ManualClock) -> None:
    [account] = insert(api, "Accounts", {"Account_Name": "Gone"})
    since = clock.now.isoformat()
    clock.advance(minutes=1)
    reply = api.delete("/crm/v8/Accounts", params={"ids": f"{account},999"})
    assert reply.status_code == 207
    assert [i["status"] for i in _items(reply)] == ["success", "error"]
    deleted = api.get("/crm/v8/Accounts/deleted", params={"type": "all"},
                      headers={"If-Modified-Since": since})
    [entry] = deleted.json()["data"]
    assert (entry["id"], entry["display_name"], entry["type"]) == (account, "Gone", "recycle")
    later = api.get("/crm/v8/Accounts/deleted", headers={"If-Modified-Since":
                                                         clock.now.isoformat()})
    assert later.status_code == 304


def test_get_by_id_of_a_deleted_record_is_no_content(api: httpx.Client) -> None:
    [account] = insert(api, "Accounts", {"Account_Name": "Gone"})
    api.delete(f"/crm/v8/Accounts/{account}")
    assert api.get(f"/crm/v8/Accounts/{account}").status_code == 204


def test_renamed_account_matches_upsert_by_its_new_name_only(
        api: httpx.Client, sim: ZohoSimulator) -> None:
    [account] = insert(api, "Accounts", {"Account_Name": "Old Name"})
    sim.edit_record("Accounts", account, Account_Name="New Name")
    reply = api.post("/crm/v8/Accounts/upsert", json={"data": [
        {"Account_Name": "new name", "Phone": "1"}, {"Account_Name": "Old Name"}]})
    assert [(i["action"], i["details"]["id"] == account) for i in _items(reply)] == [
        ("update", True), ("insert", False)]

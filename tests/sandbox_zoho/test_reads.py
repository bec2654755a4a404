"""Reading: fields rules, page vs page_token, If-Modified-Since, search quirks, COQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connector.sandbox.zoho import ZohoSimulator

from .helpers import ManualClock, insert


def _bulk_accounts(api: httpx.Client, count: int) -> None:
    for start in range(0, count, 100):
        stop = min(count, start + 100)
        rows = [{"Account_Name": f"Customer {i:05d}"} for i in range(start, stop)]
        assert api.post("/crm/v8/Accounts", json={"data": rows}).status_code == 201


def _coql(api: httpx.Client, query: str) -> httpx.Response:
    return api.post("/crm/v8/coql", json={"select_query": query})


def test_listing_requires_fields(api: httpx.Client) -> None:
    reply = api.get("/crm/v8/Accounts")
    assert reply.status_code == 400
    assert reply.json()["code"] == "REQUIRED_PARAM_MISSING"
    assert reply.json()["details"] == {"param_name": "fields"}


def test_listing_allows_at_most_50_fields(api: httpx.Client, sim: ZohoSimulator) -> None:
    names = [f"Extra_{i}" for i in range(51)]
    for name in names:
        sim.add_field("Accounts", name)
    reply = api.get("/crm/v8/Accounts", params={"fields": ",".join(names)})
    assert (reply.status_code, reply.json()["code"]) == (400, "LIMIT_EXCEEDED")


def test_per_page_above_200_is_refused(api: httpx.Client) -> None:
    reply = api.get("/crm/v8/Accounts", params={"fields": "Account_Name", "per_page": 201})
    assert reply.status_code == 400


def test_empty_module_answers_no_content(api: httpx.Client) -> None:
    assert api.get("/crm/v8/Accounts", params={"fields": "Account_Name"}).status_code == 204


def test_page_reaches_2000_records_then_page_token_takes_over(api: httpx.Client) -> None:
    _bulk_accounts(api, 2150)
    params: dict[str, Any] = {"fields": "Account_Name", "per_page": 200, "sort_order": "asc"}
    tenth = api.get("/crm/v8/Accounts", params={**params, "page": 10})
    assert tenth.status_code == 200 and tenth.json()["info"]["more_records"]
    beyond = api.get("/crm/v8/Accounts", params={**params, "page": 11})
    assert (beyond.status_code, beyond.json()["code"]) == (400,
                                                           "DISCRETE_PAGINATION_LIMIT_EXCEEDED")
    seen: list[str] = []
    reply = api.get("/crm/v8/Accounts", params=params)
    while True:
        body = reply.json()
        seen += [r["Account_Name"] for r in body["data"]]
        if not body["info"]["more_records"]:
            break
        reply = api.get("/crm/v8/Accounts", params={
            "fields": "Account_Name", "per_page": 200,
            "page_token": body["info"]["next_page_token"]})
    assert seen == [f"Customer {i:05d}" for i in range(2150)]


def test_unknown_page_token_is_refused(api: httpx.Client) -> None:
    reply = api.get("/crm/v8/Accounts", params={"fields": "Account_Name", "page_token": "nope"})
    assert reply.status_code == 400


def test_if_modified_since_answers_304_when_nothing_changed(
        api: httpx.Client, sim: ZohoSimulator, clock: ManualClock) -> None:
    [first] = insert(api, "Accounts", {"Account_Name": "Old"})
    clock.advance(minutes=10)
    mark = clock.now.isoformat()
    params = {"fields": "Account_Name"}
    assert api.get("/crm/v8/Accounts", params=params,
                   headers={"If-Modified-Since": mark}).status_code == 304
    clock.advance(minutes=1)
    sim.edit_record("Accounts", first, Phone="555")
    changed = api.get("/crm/v8/Accounts", params=params, headers={"If-Modified-Since": mark})
    assert [r["id"] for r in changed.json()["data"]] == [first]


def test_get_by_ids_returns_only_existing(api: httpx.Client) -> None:
    ids = insert(api, "Accounts", {"Account_Name": "A"}, {"Account_Name": "B"})
    reply = api.get("/crm/v8/Accounts", params={"ids": f"{ids[1]},12345",
                                                 "fields": "Account_Name"})
    assert [r["Account_Name"] for r in reply.json()["data"]] == ["B"]


def test_search_equals_behaves_like_word_match(api: httpx.Client, clock: ManualClock) -> None:
    insert(api, "Accounts", {"Account_Name": "Acme"}, {"Account_Name": "Acme Holdings"},
           {"Account_Name": "Acmeville Supply"}, {"Account_Name": "Other"})
    clock.advance(minutes=5)
    reply = api.get("/crm/v8/Accounts/search",
                    params={"criteria": "(Account_Name:equals:Acme)"})
    assert sorted(r["Account_Name"] for r in reply.json()["data"]) == [
        "Acme", "Acme Holdings", "Acmeville Supply"]


def test_search_lags_behind_writes(api: httpx.Client, sim: ZohoSimulator,
                                   clock: ManualClock) -> None:
    [account] = insert(api, "Accounts", {"Account_Name": "Fresh Co"})
    params = {"criteria": "(Account_Name:starts_with:Fresh)"}
    assert api.get("/crm/v8/Accounts/search", params=params).status_code == 204
    clock.advance(seconds=31)
    assert api.get("/crm/v8/Accounts/search", params=params).json()["data"][0]["id"] == account
    sim.edit_record("Accounts", account, Account_Name="Renamed Co")
    stale = api.get("/crm/v8/Accounts/search", params=params).json()["data"][0]
    assert stale["Account_Name"] == "Renamed Co"  # found by the old name, shown as it is now


def test_search_criteria_grouping_and_errors(api: httpx.Client, clock: ManualClock) -> None:
    insert(api, "Accounts", {"Account_Name": "Alpha (East)", "Phone": "1"},
           {"Account_Name": "Beta", "Phone": "2"})
    clock.advance(minutes=1)
    both = api.get("/crm/v8/Accounts/search", params={
        "criteria": r"((Account_Name:starts_with:Alpha \(East\))or(Phone:equals:2))"})
    assert len(both.json()["data"]) == 2
    bad = api.get("/crm/v8/Accounts/search", params={"criteria": "(Nope:equals:x)"})
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_QUERY")


def test_search_by_email_parameter(api: httpx.Client, clock: ManualClock) -> None:
    insert(api, "Contacts", {"Last_Name": "Ng", "Email": "ng@example.com"})
    clock.advance(minutes=1)
    reply = api.get("/crm/v8/Contacts/search", params={"email": "ng@example.com"})
    assert reply.json()["data"][0]["Last_Name"] == "Ng"


def test_coql_matches_exactly_and_immediately(api: httpx.Client) -> None:
    insert(api, "Accounts", {"Account_Name": "Acme"}, {"Account_Name": "Acme Holdings"})
    reply = _coql(api, "select Account_Name from Accounts where Account_Name = 'acme'")
    assert reply.status_code == 200
    assert [r["Account_Name"] for r in reply.json()["data"]] == ["Acme"]


def test_coql_through_a_lookup_and_in_list(api: httpx.Client, sim: ZohoSimulator) -> None:
    sim.add_field("Accounts", "QBD_Key", unique=True)
    [acme] = insert(api, "Accounts", {"Account_Name": "Acme", "QBD_Key": "1:A"})
    insert(api, "Deals", {"Deal_Name": "D1", "Stage": "Qualification",
                          "Account_Name": {"id": acme}},
           {"Deal_Name": "D2", "Stage": "Closed Won"})
    reply = _coql(api, "select Deal_Name, Account_Name, Account_Name.QBD_Key from Deals "
                       "where (Account_Name.QBD_Key = '1:A' and Stage in ('Qualification', "
                       "'Closed Won'))")
    [row] = reply.json()["data"]
    assert row["Account_Name"] == {"id": acme} and row["Account_Name.QBD_Key"] == "1:A"


def test_coql_limit_offset_and_more_records(api: httpx.Client) -> None:
    _bulk_accounts(api, 30)
    reply = _coql(api, "select Account_Name from Accounts where Account_Name like 'Customer%' "
                       "order by Account_Name asc limit 10, 5")
    body = reply.json()
    assert [r["Account_Name"] for r in body["data"]] == [f"Customer {i:05d}" for i in range(10, 15)]
    assert body["info"] == {"count": 5, "more_records": True}


@pytest.mark.parametrize(("query", "code"), [
    ("select Account_Name from Accounts", "SYNTAX_ERROR"),
    (("select Account_Name from Accounts where Account_Name = 'a' and Phone = '1' "
      "and Website = 'w'"), "SYNTAX_ERROR"),
    ("select Nope from Accounts where Account_Name = 'a'", "INVALID_QUERY"),
    ("select Account_Name from Accounts where Account_Name = 'a' limit 2001", "LIMIT_EXCEEDED"),
    ("select id from Accounts where Phone in ("
     + ", ".join(f"'{i}'" for i in range(101)) + ")", "LIMIT_EXCEEDED"),
    ("select id from Accounts where " + "(" * 25 + "Phone = '0'"
     + "".join(f" or Phone = '{i}')" for i in range(1, 26)), "LIMIT_EXCEEDED"),
])
def test_coql_refusals(api: httpx.Client, query: str, code: str) -> None:
    reply = _coql(api, query)
    assert (reply.status_code, reply.json()["code"]) == (400, code)


def test_coql_doubled_quote_escapes_a_quote(api: httpx.Client) -> None:
    insert(api, "Accounts", {"Account_Name": "O'Brien"})
    reply = _coql(api, "select Account_Name from Accounts where Account_Name = 'O''Brien'")
    assert reply.json()["data"][0]["Account_Name"] == "O'Brien"


def test_coql_without_matches_is_no_content(api: httpx.Client) -> None:
    assert _coql(api, "select id from Accounts where id is not null").status_code == 204

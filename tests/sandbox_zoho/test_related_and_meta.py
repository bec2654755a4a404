"""Deals ↔ Products, Invoices with Invoiced_Items, metadata, editions, scopes, composite."""

from __future__ import annotations

import httpx

from connector.sandbox.zoho import ZohoSimulator

from .helpers import CLIENT_ID, REDIRECT, SECRET, ManualClock, api_client, insert


def _deal_with_products(api: httpx.Client) -> tuple[str, list[str]]:
    [account] = insert(api, "Accounts", {"Account_Name": "Acme"})
    [deal] = insert(api, "Deals", {"Deal_Name": "INV 1001", "Stage": "Closed Won",
                                   "Account_Name": {"id": account}})
    products = insert(api, "Products", {"Product_Name": "Widget", "Unit_Price": 2.5},
                      {"Product_Name": "Gadget", "Unit_Price": 10})
    return deal, products


def test_relating_products_to_a_deal_ignores_quantity(api: httpx.Client,
                                                      sim: ZohoSimulator) -> None:
    deal, products = _deal_with_products(api)
    reply = api.put(f"/crm/v8/Deals/{deal}/Products", json={"data": [
        {"id": products[0], "Quantity": 3}, {"id": products[1]}, {"id": "404"}]})
    assert reply.status_code == 207
    assert [i["status"] for i in reply.json()["data"]] == ["success", "success", "error"]
    assert sim.related_products(deal) == products
    listed = api.get(f"/crm/v8/Deals/{deal}/Products", params={"fields": "Product_Name"})
    assert [p["Product_Name"] for p in listed.json()["data"]] == ["Widget", "Gadget"]
    assert "Quantity" not in listed.json()["data"][0]


def test_unlinking_and_the_reverse_view(api: httpx.Client, sim: ZohoSimulator) -> None:
    deal, products = _deal_with_products(api)
    api.put(f"/crm/v8/Deals/{deal}/Products", json={"data": [{"id": p} for p in products]})
    back = api.get(f"/crm/v8/Products/{products[0]}/Deals", params={"fields": "Deal_Name"})
    assert back.json()["data"][0]["id"] == deal
    api.delete(f"/crm/v8/Deals/{deal}/Products", params={"ids": products[0]})
    assert sim.related_products(deal) == products[1:]


def test_related_list_takes_at_most_100_ids(api: httpx.Client) -> None:
    deal, _ = _deal_with_products(api)
    reply = api.put(f"/crm/v8/Deals/{deal}/Products",
                    json={"data": [{"id": str(i)} for i in range(101)]})
    assert (reply.status_code, reply.json()["code"]) == (400, "LIMIT_EXCEEDED")


def test_invoice_lines_compute_totals_and_default_list_price(
        api: httpx.Client, sim: ZohoSimulator) -> None:
    deal, products = _deal_with_products(api)
    account = sim.record("Deals", deal)["Account_Name"]["id"]
    [invoice] = insert(api, "Invoices", {
        "Subject": "INV 1001", "Account_Name": {"id": account}, "Deal_Name": {"id": deal},
        "Invoiced_Items": [{"Product_Name": {"id": products[0]}, "Quantity": 4},
                           {"Product_Name": {"id": products[1]}, "Quantity": 1,
                            "List_Price": 9.99, "Discount": 1}]})
    saved = sim.record("Invoices", invoice)
    lines = saved["Invoiced_Items"]
    assert lines[0]["Product_Name"] == {"name": "Widget", "id": products[0]}
    assert (lines[0]["List_Price"], lines[0]["Total"]) == (2.5, 10.0)
    assert (lines[1]["Net_Total"], saved["Grand_Total"]) == (8.99, 18.99)
    assert saved["Deal_Name"]["id"] == deal


def test_invoice_line_must_name_an_existing_product(api: httpx.Client) -> None:
    [account] = insert(api, "Accounts", {"Account_Name": "Acme"})
    reply = api.post("/crm/v8/Invoices", json={"data": [{
        "Subject": "INV", "Account_Name": {"id": account},
        "Invoiced_Items": [{"Product_Name": {"id": "777"}, "Quantity": 1}]}]})
    item = reply.json()["data"][0]
    assert item["code"] == "INVALID_DATA"
    assert item["details"]["json_path"] == "$.data[0].Invoiced_Items[0].Product_Name"
    assert item["details"]["parent_api_name"] == "Invoiced_Items"


def test_invoice_needs_lines_with_quantity(api: httpx.Client) -> None:
    [account] = insert(api, "Accounts", {"Account_Name": "Acme"})
    [product] = insert(api, "Products", {"Product_Name": "Widget"})
    none = api.post("/crm/v8/Invoices", json={"data": [{
        "Subject": "INV", "Account_Name": {"id": account}}]}).json()["data"][0]
    assert none["details"]["api_name"] == "Invoiced_Items"
    no_qty = api.post("/crm/v8/Invoices", json={"data": [{
        "Subject": "INV", "Account_Name": {"id": account},
        "Invoiced_Items": [{"Product_Name": {"id": product}}]}]}).json()["data"][0]
    assert (no_qty["code"], no_qty["details"]["api_name"]) == ("MANDATORY_NOT_FOUND", "Quantity")


def test_standard_edition_has_no_invoices(clock: ManualClock) -> None:
    sim = ZohoSimulator(edition="standard", clock=clock)
    sim.register_client(CLIENT_ID, SECRET, REDIRECT)
    with api_client(sim) as api:
        reply = api.get("/crm/v8/Invoices", params={"fields": "Subject"})
        assert (reply.status_code, reply.json()["code"]) == (400, "INVALID_MODULE")
        modules = [m["api_name"] for m in api.get("/crm/v8/settings/modules").json()["modules"]]
        assert "Invoices" not in modules and "Deals" in modules
        org = api.get("/crm/v8/org").json()["org"][0]
        assert org["license_details"]["paid_type"] == "standard"


def test_org_reports_edition_currency_and_multi_currency(clock: ManualClock) -> None:
    sim = ZohoSimulator(edition="enterprise", clock=clock, currency="EUR", multi_currency=True,
                        org_name="Plumbing Co")
    sim.register_client(CLIENT_ID, SECRET, REDIRECT)
    with api_client(sim) as api:
        org = api.get("/crm/v8/org").json()["org"][0]
        fields = api.get("/crm/v8/settings/fields", params={"module": "Deals"}).json()["fields"]
    assert (org["company_name"], org["currency"], org["mc_status"]) == ("Plumbing Co", "EUR",
                                                                        True)
    assert org["license_details"]["paid_type"] == "enterprise"
    assert {"Currency", "Exchange_Rate"} <= {f["api_name"] for f in fields}


def test_creating_a_unique_custom_field(api: httpx.Client) -> None:
    reply = api.post("/crm/v8/settings/fields", params={"module": "Accounts"}, json={"fields": [
        {"field_label": "QBD Key", "data_type": "text", "length": 60,
         "unique": {"casesensitive": "false"}}]})
    assert reply.status_code == 201
    again = api.post("/crm/v8/settings/fields", params={"module": "Accounts"}, json={"fields": [
        {"field_label": "QBD Key", "data_type": "text"}]})
    assert again.json()["fields"][0]["code"] == "DUPLICATE_DATA"
    fields = api.get("/crm/v8/settings/fields", params={"module": "Accounts"}).json()["fields"]
    [key] = [f for f in fields if f["api_name"] == "QBD_Key"]
    assert key["custom_field"] and key["unique"] == {"casesensitive": "false"}


def test_unique_is_refused_on_a_currency_field(api: httpx.Client) -> None:
    reply = api.post("/crm/v8/settings/fields", params={"module": "Deals"}, json={"fields": [
        {"field_label": "QBD Total", "data_type": "currency",
         "unique": {"casesensitive": "false"}}]})
    item = reply.json()["fields"][0]
    assert (reply.status_code, item["details"]["api_name"]) == (400, "unique")


def test_deleting_a_custom_field_drops_its_values(api: httpx.Client, sim: ZohoSimulator) -> None:
    made = sim.add_field("Accounts", "Legacy_Code")
    [account] = insert(api, "Accounts", {"Account_Name": "A", "Legacy_Code": "x"})
    reply = api.delete(f"/crm/v8/settings/fields/{made['id']}", params={"module": "Accounts"})
    assert reply.status_code == 200
    assert "Legacy_Code" not in sim.record("Accounts", account)


def test_missing_scope_answers_oauth_scope_mismatch(sim: ZohoSimulator) -> None:
    with api_client(sim, scope="ZohoCRM.modules.accounts.READ") as api:
        assert api.get("/crm/v8/Accounts", params={"fields": "Account_Name"}).status_code == 204
        reply = api.post("/crm/v8/Accounts", json={"data": [{"Account_Name": "A"}]})
        assert (reply.status_code, reply.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")
        assert api.get("/crm/v8/org").json()["code"] == "OAUTH_SCOPE_MISMATCH"


def test_write_scope_is_enough_to_upsert(sim: ZohoSimulator) -> None:
    with api_client(sim, scope="ZohoCRM.modules.accounts.WRITE") as api:
        reply = api.post("/crm/v8/Accounts/upsert", json={"data": [{"Account_Name": "A"}]})
        assert reply.status_code == 200
        assert api.delete("/crm/v8/Accounts", params={"ids": "1"}).status_code == 401


def test_missing_or_foreign_authorization_header(sim: ZohoSimulator) -> None:
    with httpx.Client(transport=sim.api_transport(), base_url="http://zoho-api.sim") as bare:
        assert bare.get("/crm/v8/org").json()["code"] == "AUTHENTICATION_FAILURE"
        bearer = bare.get("/crm/v8/org", headers={"Authorization": "Bearer abc"})
        assert bearer.status_code == 401


def test_composite_chains_sub_requests_by_reference(api: httpx.Client,
                                                    sim: ZohoSimulator) -> None:
    reply = api.post("/crm/v8/__composite_requests", json={
        "concurrent_execution": False, "rollback_on_fail": False,
        "__composite_requests": [
            {"sub_request_id": "acct", "method": "POST", "uri": "/crm/v8/Accounts",
             "body": {"data": [{"Account_Name": "Acme"}]}},
            {"sub_request_id": "deal", "method": "POST", "uri": "/crm/v8/Deals",
             "body": {"data": [{"Deal_Name": "D", "Stage": "Qualification",
                                "Account_Name": {"id": "@{acct:$.data[0].details.id}"}}]}},
            {"sub_request_id": "bad", "method": "GET", "uri": "/crm/v8/Accounts"},
        ]})
    assert reply.status_code == 207
    statuses = [a["details"]["response"]["status_code"]
                for a in reply.json()["__composite_requests"]]
    assert statuses == [201, 201, 400]
    [deal] = sim.records("Deals")
    assert deal["Account_Name"]["name"] == "Acme"


def test_composite_takes_at_most_five(api: httpx.Client) -> None:
    sub = {"method": "GET", "uri": "/crm/v8/org"}
    reply = api.post("/crm/v8/__composite_requests", json={"__composite_requests": [sub] * 6})
    assert (reply.status_code, reply.json()["code"]) == (400, "LIMIT_EXCEEDED")

"""Org profiles: Zoho's documented defaults, orgs with their own pipeline, a mandatory custom
field, Standard edition, renamed options; picklists take only the values they list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connector.sandbox.zoho import ZohoSimulator
from connector.sandbox.zoho.profiles import PROFILES

from .helpers import CLIENT_ID, REDIRECT, SECRET, ManualClock, api_client, insert

# The keys of OAS fields.json#/components/schemas/pick_list_values every option carries.
_REQUIRED = {"colour_code", "actual_value", "type", "id", "sequence_number", "display_value"}


@pytest.fixture
def org(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[ZohoSimulator]:
    simulator = ZohoSimulator(clock=clock, profile=request.param)
    simulator.register_client(CLIENT_ID, SECRET, REDIRECT)
    yield simulator
    simulator.close()


def _stage_options(api: httpx.Client) -> list[dict[str, Any]]:
    fields = api.get("/crm/v8/settings/fields", params={"module": "Deals"}).json()["fields"]
    return next(f for f in fields if f["api_name"] == "Stage")["pick_list_values"]


def _deal(api: httpx.Client, stage: str, **extra: Any) -> dict[str, Any]:
    reply = api.post("/crm/v8/Deals", json={"data": [{"Deal_Name": "D", "Stage": stage,
                                                      **extra}]})
    return dict(reply.json()["data"][0])


@pytest.mark.parametrize("org", ["default"], indirect=True)
def test_the_default_org_has_zohos_documented_pipeline(org: ZohoSimulator) -> None:
    with api_client(org) as api:
        options = _stage_options(api)
    assert all(o.keys() >= _REQUIRED for o in options)
    assert [o["sequence_number"] for o in options] == list(range(1, 10))
    assert [(o["display_value"], o["forecast_type"], o["forecast_category"]["name"])
            for o in options[-3:]] == [("Closed Won", "Closed Won", "Closed"),
                                       ("Closed Lost", "Closed Lost", "Omitted"),
                                       ("Closed-Lost to Competition", "Closed Lost", "Omitted")]
    statuses = [o["display_value"] for o in org.field_meta("Invoices", "Status")[
        "pick_list_values"]]
    assert statuses == ["Created", "Approved", "Delivered", "Cancelled"]


@pytest.mark.parametrize("org", ["default"], indirect=True)
def test_a_value_the_picklist_does_not_list_is_invalid_data(org: ZohoSimulator) -> None:
    with api_client(org) as api:
        item = _deal(api, "Paid")
        [account] = insert(api, "Accounts", {"Account_Name": "Acme"})
        [product] = insert(api, "Products", {"Product_Name": "Widget"})
        status = api.post("/crm/v8/Invoices", json={"data": [{
            "Subject": "S", "Status": "Paid", "Account_Name": {"id": account},
            "Invoiced_Items": [{"Product_Name": {"id": product}, "Quantity": 1}]}]})
    assert item == {"code": "INVALID_DATA", "details": {"api_name": "Stage",
                                                        "json_path": "$.data[0].Stage"},
                    "message": "invalid data", "status": "error"}
    refused = status.json()["data"][0]
    assert (refused["code"], refused["details"]["api_name"]) == ("INVALID_DATA", "Status")


@pytest.mark.parametrize("org", ["renamed"], indirect=True)
def test_a_renamed_option_takes_its_display_value_only(org: ZohoSimulator) -> None:
    with api_client(org) as api:
        won = [o for o in _stage_options(api) if o["forecast_type"] == "Closed Won"]
        assert [(o["display_value"], o["actual_value"]) for o in won] == [("Won", "Closed Won")]
        assert _deal(api, "Won")["status"] == "success"
        assert _deal(api, "Closed Won")["code"] == "INVALID_DATA"


@pytest.mark.parametrize("org", ["own_pipeline"], indirect=True)
def test_an_org_with_its_own_pipeline_knows_none_of_zohos_stage_names(
        org: ZohoSimulator) -> None:
    with api_client(org) as api:
        names = {o["display_value"] for o in _stage_options(api)}
        assert names.isdisjoint({o.display for o in PROFILES["default"].options(
            "Deals", "Stage") or ()})
        assert _deal(api, "Negotiation/Review")["code"] == "INVALID_DATA"
        assert _deal(api, "Quote sent")["status"] == "success"


@pytest.mark.parametrize("org", ["mandatory_field"], indirect=True)
def test_a_mandatory_custom_field_must_be_given(org: ZohoSimulator) -> None:
    region = org.field_meta("Deals", "Region")
    assert region["system_mandatory"] is True and region["custom_field"] is True
    with api_client(org) as api:
        missing = _deal(api, "Qualification")
        assert (missing["code"], missing["details"]["api_name"]) == ("MANDATORY_NOT_FOUND",
                                                                      "Region")
        assert _deal(api, "Qualification", Region="North")["status"] == "success"


@pytest.mark.parametrize("org", ["standard"], indirect=True)
def test_a_standard_org_has_no_invoices(org: ZohoSimulator) -> None:
    assert org.edition == "standard" and "Invoices" not in org.modules


@pytest.mark.parametrize("org", ["default"], indirect=True)
def test_an_admin_can_change_a_picklist_and_records_keep_their_values(
        org: ZohoSimulator) -> None:
    with api_client(org) as api:
        made = _deal(api, "Qualification")["details"]["id"]
        org.alter_field("Deals", "Stage", pick_list=["Lead", "Won", "Lost"])
        assert _deal(api, "Qualification")["code"] == "INVALID_DATA"
        assert _deal(api, "Lead")["status"] == "success"
    assert org.record("Deals", made)["Stage"] == "Qualification"


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown org profile"):
        ZohoSimulator(profile="enterprise-ish")

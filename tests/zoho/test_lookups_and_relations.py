"""COQL lookups, Deals <-> Products, composite requests."""

from __future__ import annotations

import pytest

from connector.sandbox.zoho import ZohoSimulator
from connector.zoho import RecordSaved, ZohoClient
from connector.zoho.fields import QBD_KEY


def _ids(results: list) -> list[str]:
    return [r.id for r in results if isinstance(r, RecordSaved)]


def test_coql_finds_exactly_our_keys_and_reports_the_missing(client: ZohoClient) -> None:
    client.upsert("Accounts", [{"Account_Name": "O'Brien & Sons", QBD_KEY: "1:O'B"},
                               {"Account_Name": "Acme", QBD_KEY: "1:ACME"},
                               {"Account_Name": "Acme 2", QBD_KEY: "1:ACME-2"}],
                  duplicate_check_fields=[QBD_KEY])
    found = client.find_by("Accounts", QBD_KEY, ["1:O'B", "1:ACME", "1:NOPE"], ["Account_Name"])
    assert [r["Account_Name"] for r in found["1:O'B"]] == ["O'Brien & Sons"]
    assert [r["Account_Name"] for r in found["1:ACME"]] == ["Acme"]  # exact, not "contains"
    assert found["1:NOPE"] == []


def test_coql_lookup_of_many_keys_batches_the_in_lists(client: ZohoClient,
                                                       sim: ZohoSimulator) -> None:
    keys = [f"1:{i}" for i in range(120)]
    client.upsert("Products", [{"Product_Name": f"P{i}", QBD_KEY: k} for i, k in enumerate(keys)],
                  duplicate_check_fields=[QBD_KEY])
    found = client.find_by("Products", QBD_KEY, keys, ["Product_Name"])
    assert all(len(found[k]) == 1 for k in keys)
    assert sim.call_count("POST", "/coql") == 3  # 50 values per IN list


def test_coql_pages_past_2000_rows_by_offset(client: ZohoClient, sim: ZohoSimulator) -> None:
    client.upsert("Accounts", [{"Account_Name": f"A{i}", QBD_KEY: f"1:{i}"} for i in range(2300)],
                  duplicate_check_fields=[QBD_KEY])
    rows = list(client.coql_all("Accounts", ["Account_Name"], f"{QBD_KEY} like '1:%'"))
    assert len({r["id"] for r in rows}) == 2300
    assert sim.call_count("POST", "/coql") == 2


def test_products_relate_to_a_deal_without_quantity(client: ZohoClient,
                                                    sim: ZohoSimulator) -> None:
    products = _ids(client.upsert("Products", [{"Product_Name": f"P{i}", QBD_KEY: f"1:P{i}"}
                                               for i in range(3)],
                                  duplicate_check_fields=[QBD_KEY]))
    deal = _ids(client.upsert("Deals", [{"Deal_Name": "INV-1", "Stage": "Closed Won",
                                         QBD_KEY: "1:D1"}], duplicate_check_fields=[QBD_KEY]))[0]
    results = client.relate("Deals", deal, "Products", [*products, "1"])
    assert [r.ok for r in results] == [True, True, True, False]
    assert sorted(sim.related_products(deal)) == sorted(products)
    listed = client.related_records("Deals", deal, "Products", ["Product_Name"])
    assert sorted(r["id"] for r in listed) == sorted(products)
    assert [r.ok for r in client.unrelate("Deals", deal, "Products", products[:1])] == [True]
    assert sorted(sim.related_products(deal)) == sorted(products[1:])


def test_relating_many_deals_uses_composite_requests(client: ZohoClient,
                                                     sim: ZohoSimulator) -> None:
    product = _ids(client.upsert("Products", [{"Product_Name": "P", QBD_KEY: "1:P"}],
                                 duplicate_check_fields=[QBD_KEY]))[0]
    deals = _ids(client.upsert("Deals", [{"Deal_Name": f"D{i}", "Stage": "Closed Won",
                                          QBD_KEY: f"1:D{i}"} for i in range(7)],
                               duplicate_check_fields=[QBD_KEY]))
    links = {d: [product] for d in deals}
    links[deals[0]] = [product, "1"]  # one unknown product id
    credits = client.tally.credits, sim.credits_used
    out = client.relate_many("Deals", "Products", links)
    assert sim.call_count("POST", "/__composite_requests") == 2  # 5 + 2 deals
    # One credit a composite call, whatever it bundles (Zoho's v8 Composite API overview):
    # what we count against the day's budget is what Zoho charges.
    assert client.tally.credits - credits[0] == sim.credits_used - credits[1] == 2
    assert [r.ok for r in out[deals[0]]] == [True, False]
    assert all(r.ok for d in deals[1:] for r in out[d])
    assert all(sim.related_products(d) == [product] for d in deals)


def _shared_products(client: ZohoClient, deals: int) -> tuple[list[str], dict[str, list[str]]]:
    """Two Products on many Deals, as a first load has them: every Deal bills the first, every
    other one the second too; the first Deal also names a product id Zoho does not know."""
    products = _ids(client.upsert("Products", [{"Product_Name": f"P{i}", QBD_KEY: f"1:P{i}"}
                                               for i in range(2)],
                                  duplicate_check_fields=[QBD_KEY]))
    ids: list[str] = []
    for start in range(0, deals, 100):
        ids += _ids(client.upsert("Deals", [{"Deal_Name": f"D{i}", "Stage": "Closed Won",
                                             QBD_KEY: f"1:D{i}"}
                                            for i in range(start, min(deals, start + 100))],
                                  duplicate_check_fields=[QBD_KEY]))
    links = {d: products[:1 + n % 2] for n, d in enumerate(ids)}
    links[ids[0]] = [products[0], "1"]
    return products, links


def _check_related(sim: ZohoSimulator, out: dict[str, list], links: dict[str, list[str]]
                   ) -> None:
    first = next(iter(links))
    assert [r.ok for r in out[first]] == [True, False]
    assert out[first][0].id == links[first][0]  # the related id, as from the Deal's side
    assert all(r.ok and r.index == i for d in list(links)[1:] for i, r in enumerate(out[d]))
    assert all(sorted(sim.related_products(d)) == sorted(p for p in ids if p != "1")
               for d, ids in links.items())


def test_many_deals_sharing_few_products_are_related_from_the_products_side(
        client: ZohoClient, sim: ZohoSimulator) -> None:
    """250 Deals on two Products: 250 PUTs from the Deals' side (50 composite calls), five
    from the Products' (a hundred Deals each), plus one for the unknown product id: Zoho
    refuses that PUT as a whole, and its one relation goes again from its Deal's side, where
    it fails on its own."""
    _, links = _shared_products(client, 250)
    before = sim.call_count("POST", "/__composite_requests")
    out = client.relate_many("Deals", "Products", links, back="Deals")
    assert sim.call_count("POST", "/__composite_requests") - before == 2 + 1
    _check_related(sim, out, links)


def test_a_related_id_that_is_no_zoho_id_never_goes_into_a_url_path(
        client: ZohoClient, sim: ZohoSimulator) -> None:
    """It goes in a body, from its owner's side: five PUTs from the Products' side and one
    from the Deal's (had it gone into a path, Zoho would have refused that PUT and it would
    have gone again from the Deal's: a third composite call)."""
    _, links = _shared_products(client, 250)
    first = next(iter(links))
    links[first] = [links[first][0], "../Accounts"]
    before = sim.call_count("POST", "/__composite_requests")
    out = client.relate_many("Deals", "Products", links, back="Deals")
    assert sim.call_count("POST", "/__composite_requests") - before == 1 + 1
    assert [r.ok for r in out[first]] == [True, False]
    assert all(r.ok for d in list(links)[1:] for r in out[d])


@pytest.mark.zoho_sim(profile="potentials")
def test_an_org_naming_the_products_list_of_deals_otherwise_is_related_from_the_deals_side(
        client: ZohoClient, sim: ZohoSimulator) -> None:
    """The list's name is a guess (Zoho documents the relation, not the name): where the org
    refuses it, every relation goes again from the Deals' side and none is lost."""
    _, links = _shared_products(client, 12)
    before = sim.call_count("POST", "/__composite_requests")
    out = client.relate_many("Deals", "Products", links, back="Deals")
    assert sim.call_count("POST", "/__composite_requests") - before == 1 + 3
    _check_related(sim, out, links)
    # Once refused throughout, that side is not tried again by this client.
    before = sim.call_count("POST", "/__composite_requests")
    again = client.relate_many("Deals", "Products", links, back="Deals")
    assert sim.call_count("POST", "/__composite_requests") - before == 3
    _check_related(sim, again, links)


@pytest.mark.zoho_sim(edition="enterprise", latency=0.2)
def test_composite_requests_stay_within_zohos_ten_heavy_calls_at_once(
        client: ZohoClient, sim: ZohoSimulator) -> None:
    """Composite is one of the calls Zoho runs at most ten of at once, on every edition; an
    Enterprise org takes 20 calls at once, so relating 75 Deals (15 composite requests) must
    still hold back five of them."""
    product = _ids(client.upsert("Products", [{"Product_Name": "P", QBD_KEY: "1:P"}],
                                 duplicate_check_fields=[QBD_KEY]))[0]
    deals = _ids(client.upsert("Deals", [{"Deal_Name": f"D{i}", "Stage": "Closed Won",
                                          QBD_KEY: f"1:D{i}"} for i in range(75)],
                               duplicate_check_fields=[QBD_KEY]))
    out = client.relate_many("Deals", "Products", {d: [product] for d in deals})
    assert all(r.ok for d in deals for r in out[d])
    assert sim.call_count("POST", "/__composite_requests") == 15
    assert sim.count_429 == 0
    assert sim.max_sub_in_flight_seen == 10

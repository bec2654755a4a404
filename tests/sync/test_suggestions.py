"""Weak evidence (company name, website domain, postal address) suggests; it never merges
on its own unless the user set a score that links."""

from __future__ import annotations

import pytest

from connector.mapping.keys import parse_key
from connector.qbxml import Customer
from connector.reviews import list_reviews
from connector.suggest import Profile, domain_of, normalise_name, suggest
from connector.zoho.fields import QBD_KEY
from tests.mapping.conftest import read_books

from .conftest import World


@pytest.fixture(autouse=True)
def _no_first_load_gate(world: World) -> None:
    world.settings = world.settings.model_copy(update={"first_load_needs_plan": False})


def _company(world: World) -> Customer:
    books = world.add_books("Acme")
    return next(c for c in read_books(books.qb).customers
                if not c.is_job and c.company_name and c.bill_address and c.is_active)


def test_names_domains_and_addresses_are_compared_normalised() -> None:
    assert normalise_name("Baker & Sons, Inc.") == normalise_name("BAKER AND SONS") \
        == "baker sons"
    assert normalise_name("Müller GmbH") == "muller"
    assert domain_of("https://www.Baker.example/about") == domain_of("ana@baker.example") \
        == "baker.example"
    assert domain_of("ana@gmail.com") is None and domain_of("n/a") is None
    mine = Profile.of("Baker & Sons", "ana@baker.example", "1 Main St.", "94105")
    theirs = [("1", Profile.of("Baker and Sons Ltd", None, None, None)),
              ("2", Profile.of("Other", "www.baker.example", "1 Main St", "94105")),
              ("3", Profile.of("Unrelated", None, "2 Main St", "94105"))]
    found = suggest(mine, theirs)
    assert [(s.account_id, s.score) for s in found] == [("2", 0.9), ("1", 0.6)]
    assert found[0].evidence == ("domain baker.example", "address 1 main st|94105")


def test_a_customer_sharing_only_a_name_goes_to_review_with_its_candidates(
        world: World) -> None:
    c = _company(world)
    account = world.sim.create_record("Accounts", Account_Name=f"{c.company_name}, Inc.")
    world.session("Acme")
    world.sync("Acme")
    assert not world.sim.record("Accounts", account["id"]).get(QBD_KEY)
    assert not [a for a in world.records("Accounts")
                if a.get(QBD_KEY) and parse_key(a[QBD_KEY]).qb_id == c.list_id]
    (item,) = [i for i in list_reviews(world.db) if i.qb_id == c.list_id]
    assert item.candidates == [account["id"]] and "name" in item.reason


def test_a_strong_suggestion_links_when_the_user_allows_it(world: World) -> None:
    c = _company(world)
    address = c.bill_address
    assert address is not None
    account = world.sim.create_record("Accounts", Account_Name=c.company_name,
                                      Billing_Street=address.addr1,
                                      Billing_Code=address.postal_code)
    world.settings = world.settings.model_copy(update={"match_auto_link_score": 0.9})
    world.session("Acme")
    world.sync("Acme")
    assert parse_key(world.sim.record("Accounts", account["id"])[QBD_KEY]).qb_id == c.list_id

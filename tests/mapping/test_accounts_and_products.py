"""Customers -> Accounts + primary Contacts, items -> Products."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.mapping import (
    ACCOUNT_FIELDS,
    FIELD_MAPS,
    Owner,
    is_product,
    map_account,
    map_contact,
    map_product,
    primary_email,
)
from connector.qbxml import Address, Customer, Item
from connector.zoho.fields import QBD_ACTIVE, QBD_KEY

from .conftest import SCOPE, Books

STAMP = "2026-01-05T10:00:00-05:00"


def customer(**fields: object) -> Customer:
    base = {"ListID": "80000001-1", "EditSequence": "1", "TimeCreated": STAMP,
            "TimeModified": STAMP, "Name": "Müller GmbH", "FullName": "Müller GmbH"}
    return Customer.model_validate({**base, **fields})


def test_account_carries_name_phones_and_joined_address_lines(books: Books) -> None:
    c = next(c for c in books.customers if c.company_name and c.fax and c.ship_address)
    payload = map_account(c, SCOPE).payload
    assert payload["Account_Name"] == c.name and payload["Phone"] == c.phone
    assert payload["Fax"] == c.fax and payload["Account_Number"] == c.account_number
    assert c.bill_address is not None
    assert payload["Billing_Street"] == c.bill_address.addr1
    assert payload["Billing_City"] == c.bill_address.city
    assert payload["Shipping_Street"].startswith("Dock ")
    assert payload[QBD_KEY] == f"{SCOPE}:{c.list_id}" and payload[QBD_ACTIVE] is True


def test_several_address_lines_join_into_one_street() -> None:
    c = customer(BillAddress={"Addr1": "Müller GmbH", "Addr2": "Hauptstraße 12",
                              "Addr3": "Hinterhaus"})
    assert map_account(c, SCOPE).payload["Billing_Street"] == (
        "Müller GmbH, Hauptstraße 12, Hinterhaus")


def test_non_ascii_names_arrive_unchanged(books: Books) -> None:
    c = next(c for c in books.customers if c.name.startswith("Łódź"))
    assert map_account(c, SCOPE).payload["Account_Name"] == c.name


def test_inactive_customer_syncs_as_inactive(books: Books) -> None:
    c = next(c for c in books.customers if not c.is_active)
    assert map_account(c, SCOPE).payload[QBD_ACTIVE] is False


def test_a_job_has_no_account_of_its_own(books: Books) -> None:
    job = next(c for c in books.customers if c.is_job)
    with pytest.raises(ValueError, match="is a job"):
        map_account(job, SCOPE)


def test_contact_from_first_and_last_name_links_the_account(books: Books) -> None:
    c = next(c for c in books.customers if c.last_name and not c.is_job)
    mapped = map_contact(c, SCOPE, "555")
    assert mapped is not None
    assert (mapped.payload["First_Name"], mapped.payload["Last_Name"]) == (c.first_name,
                                                                           c.last_name)
    assert mapped.payload["Account_Name"] == {"id": "555"}
    assert mapped.payload[QBD_KEY] == f"{SCOPE}:{c.list_id}:contact"


def test_contact_name_is_split_when_there_are_no_name_fields() -> None:
    mapped = map_contact(customer(Contact="Chloé de la Tour"), SCOPE, "1")
    assert mapped is not None
    assert (mapped.payload["First_Name"], mapped.payload["Last_Name"]) == ("Chloé de la",
                                                                           "Tour")


def test_only_the_first_of_several_emails_is_kept() -> None:
    assert primary_email(customer(Email=" a@x.com; b@y.com")) == "a@x.com"


def test_a_customer_without_a_person_has_no_contact() -> None:
    assert map_contact(customer(), SCOPE, "1") is None


def test_long_texts_are_clipped_to_the_zoho_field_length() -> None:
    notes = "x" * 40000
    payload = map_account(customer(Notes=notes, Phone="0" * 45), SCOPE).payload
    assert len(payload["Description"]) == 32000 and payload["Description"].endswith("…")
    assert len(payload["Phone"]) == 30


def test_cleared_fields_are_sent_empty_so_zoho_clears_them_too() -> None:
    payload = map_account(customer(BillAddress=Address(city="Köln").model_dump(by_alias=True)),
                          SCOPE).payload
    assert payload["Phone"] is None and payload["Billing_City"] == "Köln"


def test_money_fields_are_owned_by_quickbooks_and_contact_fields_by_the_newer_side() -> None:
    owners = {(module, r.zoho): r.owner for module, rules in FIELD_MAPS.items() for r in rules}
    assert owners[("Deals", "Amount")] is Owner.QBD
    assert owners[("Products", "Unit_Price")] is Owner.QBD
    assert owners[("Accounts", "Phone")] is Owner.NEWER
    assert owners[("Contacts", "Email")] is Owner.NEWER
    assert all(r.max_length for r in ACCOUNT_FIELDS if r.kind.value == "text")


def test_sold_items_become_products_with_decimal_prices(books: Books) -> None:
    service = next(i for i in books.items if i.item_type == "Service")
    payload = map_product(service, SCOPE).payload
    assert payload["Product_Name"] == service.full_name
    assert payload["Unit_Price"] == service.price and isinstance(payload["Unit_Price"], Decimal)
    assert payload["Product_Active"] is True and payload["Taxable"] is False
    assert payload["Description"] == service.description


def test_discount_and_sales_tax_items_are_not_products(books: Books) -> None:
    kinds = {i.item_type for i in books.items if not is_product(i)}
    assert kinds == {"Discount", "SalesTax"}
    tax = next(i for i in books.items if i.item_type == "SalesTax")
    with pytest.raises(ValueError, match="not a product"):
        map_product(tax, SCOPE)


def test_inventory_item_uses_its_sales_price() -> None:
    item = Item.model_validate({"ListID": "8-1", "EditSequence": "1", "TimeCreated": STAMP,
                                "TimeModified": STAMP, "Name": "Oak", "FullName": "Oak",
                                "ItemType": "Inventory", "SalesPrice": "89.99",
                                "SalesTaxCodeRef": {"FullName": "Tax"}, "IsActive": "false"})
    payload = map_product(item, SCOPE).payload
    assert payload["Unit_Price"] == Decimal("89.99") and payload["Taxable"] is True
    assert payload["Product_Active"] is False

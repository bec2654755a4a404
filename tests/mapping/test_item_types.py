"""Every QuickBooks item type is handled on purpose: which become Products (with their SKU as
Product_Code), which are folded into the Deal; read from real and hand-made capture shapes."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from connector.mapping import ITEM_ROLES, is_product, map_product, product_code
from connector.qbxml import ITEM_TYPES, Item, iter_records
from tests.qbxml.conftest import QBXML_FIXTURES

from .conftest import SCOPE

STAMP = "2026-01-05T10:00:00-05:00"
README = Path(__file__).resolve().parents[2] / "README.md"


def item(item_type: str = "Inventory", **fields: object) -> Item:
    base = {"ListID": "8-1", "EditSequence": "1", "TimeCreated": STAMP, "TimeModified": STAMP,
            "Name": "Oak Table", "FullName": "Furniture:Oak Table", "ItemType": item_type}
    return Item.model_validate({**base, **fields})


def _items(name: str) -> list[Item]:
    return [r for r in iter_records(QBXML_FIXTURES / name) if isinstance(r, Item)]


def test_every_qbxml_item_type_has_a_decided_role() -> None:
    assert set(ITEM_ROLES) == set(ITEM_TYPES)
    sold = {t for t, role in ITEM_ROLES.items() if role.product}
    assert sold == {"Service", "Inventory", "InventoryAssembly", "NonInventory", "OtherCharge"}


def test_the_readme_table_says_what_each_item_type_becomes() -> None:
    table = README.read_text().split("<!-- item-types:", 1)[1].split("\n\n", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+?) \|$", table, re.MULTILINE))
    assert set(rows) == set(ITEM_TYPES)
    for item_type, role in ITEM_ROLES.items():
        assert rows[item_type] == role.becomes


def test_real_inventory_capture_becomes_products_coded_by_name() -> None:
    items = _items("flowlink/item_inventory_query_rs_raw.xml")
    shirt = next(i for i in items if i.full_name == "Haskell T-Shirt")
    payload = map_product(shirt, SCOPE).payload
    assert payload["Product_Code"] == "Haskell T-Shirt"
    assert payload["Unit_Price"] == Decimal("55.00")
    assert payload["Description"] == "WOW" and payload["Product_Active"] is True
    assert all(is_product(i) for i in items)


def test_mixed_capture_sells_services_goods_and_charges_only() -> None:
    by_type = {i.item_type: i for i in _items("handmade/item_query_mixed.xml")}
    assert {t for t, i in by_type.items() if is_product(i)} == {
        "Service", "NonInventory", "Inventory", "OtherCharge"}
    assert not any(is_product(by_type[t]) for t in ("Discount", "SalesTax", "Subtotal"))
    # A subitem's code is its full name: "Consulting" alone may repeat under other parents.
    assert map_product(by_type["Service"], SCOPE).payload["Product_Code"] == "Services:Consulting"


def test_manufacturer_part_number_is_the_sku() -> None:
    payload = map_product(item(ManufacturerPartNumber="OT-4410", BarCodeValue="0123456789"),
                          SCOPE).payload
    assert payload["Product_Code"] == "OT-4410"


def test_a_sku_custom_field_or_the_bar_code_stand_in_for_a_part_number() -> None:
    custom = item("Service", DataExtRet=[{"OwnerID": "0", "DataExtName": "SKU",
                                          "DataExtValue": " SVC-100 "}], BarCodeValue="777")
    assert product_code(custom) == "SVC-100"
    assert product_code(item("Service", BarCodeValue="4006381333931")) == "4006381333931"
    assert product_code(item(ManufacturerPartNumber="  ")) == "Furniture:Oak Table"


def test_a_long_code_is_clipped_to_zohos_forty_characters() -> None:
    code = product_code(item(ManufacturerPartNumber="X" * 60))
    assert code is not None and len(code) == 40


def test_group_and_fixed_asset_items_are_not_products() -> None:
    assert not is_product(item("Group"))
    assert not is_product(item("FixedAsset"))
    assert not is_product(item("Payment"))
    assert not is_product(item("SomethingNewer"))  # a type nobody decided on is not sold

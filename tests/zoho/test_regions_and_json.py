from __future__ import annotations

from decimal import Decimal

import pytest

from connector.errors import ConfigError
from connector.zoho.base import encode_json
from connector.zoho.regions import REGIONS, accounts_url_for, region_of_accounts_url

EXPECTED_ACCOUNTS = {
    "us": "https://accounts.zoho.com", "eu": "https://accounts.zoho.eu",
    "in": "https://accounts.zoho.in", "au": "https://accounts.zoho.com.au",
    "jp": "https://accounts.zoho.jp", "sa": "https://accounts.zoho.sa",
    "cn": "https://accounts.zoho.com.cn", "ca": "https://accounts.zohocloud.ca",
}


@pytest.mark.parametrize("key", sorted(EXPECTED_ACCOUNTS))
def test_each_region_uses_its_own_accounts_server(key: str) -> None:
    assert accounts_url_for(key) == EXPECTED_ACCOUNTS[key]
    assert region_of_accounts_url(EXPECTED_ACCOUNTS[key]) == key


def test_region_table_covers_exactly_the_eight_data_centres() -> None:
    assert set(REGIONS) == set(EXPECTED_ACCOUNTS)


def test_accounts_url_override_wins_over_region() -> None:
    assert accounts_url_for("eu", "http://127.0.0.1:9000/") == "http://127.0.0.1:9000"
    assert region_of_accounts_url("http://127.0.0.1:9000") is None


def test_unknown_region_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="us, eu, in"):
        accounts_url_for("mars")


def test_override_that_is_not_a_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="not an http"):
        accounts_url_for("us", "accounts.zoho.eu")


def test_decimals_go_out_as_exact_json_numbers() -> None:
    body = encode_json({"Amount": Decimal("12345678901234567.89"), "Qty": Decimal("0.10"),
                        "Name": "Caf\u00e9 \"5\""})
    assert body == '{"Amount":12345678901234567.89,"Qty":0.10,"Name":"Café \\"5\\""}'.encode()


def test_non_finite_decimal_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot send"):
        encode_json({"Amount": Decimal("NaN")})

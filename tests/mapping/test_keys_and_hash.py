"""The company-scoped QBD key and the content hash."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.mapping import (
    ACCOUNT,
    CONTACT,
    DEAL,
    LINK_KINDS,
    QbdKey,
    company_scope,
    content_hash,
    parse_key,
    qbd_key,
)

from .conftest import SCOPE


def test_scope_is_the_file_guid_lower_case_without_braces() -> None:
    assert company_scope("{0F8FAD5B-D9CB-469F-A165-70867728950E}") == SCOPE


def test_a_file_id_that_is_no_guid_is_refused() -> None:
    with pytest.raises(ValueError, match="not a GUID"):
        company_scope("Acme Ltd")


def test_key_round_trips_with_and_without_role() -> None:
    account = qbd_key(SCOPE, "80000001-1234567890", ACCOUNT)
    contact = qbd_key(SCOPE, "80000001-1234567890", CONTACT)
    assert account == f"{SCOPE}:80000001-1234567890"
    assert contact == f"{SCOPE}:80000001-1234567890:contact"
    assert parse_key(account) == QbdKey(SCOPE, "80000001-1234567890")
    assert parse_key(contact).role == "contact"


def test_same_list_id_in_two_company_files_gives_two_keys() -> None:
    other = company_scope("{11111111-2222-3333-4444-555555555555}")
    assert qbd_key(SCOPE, "80000001-1", DEAL) != qbd_key(other, "80000001-1", DEAL)


@pytest.mark.parametrize("text", ["80000001-1", f"{SCOPE}:", f"{SCOPE}:a:b:c",
                                  f"{SCOPE}:a b", f"{SCOPE}:80000001-1:Contact!"])
def test_values_we_did_not_write_do_not_parse(text: str) -> None:
    with pytest.raises(ValueError):
        parse_key(text)


def test_link_kinds_are_unique_per_qb_type() -> None:
    assert len({k.qb_type for k in LINK_KINDS}) == len(LINK_KINDS)


def test_hash_ignores_key_order_and_trailing_zeros_but_not_values() -> None:
    a = content_hash({"Amount": Decimal("12.50"), "Stage": "Closed Won"})
    assert a == content_hash({"Stage": "Closed Won", "Amount": Decimal("12.5")})
    assert a != content_hash({"Stage": "Closed Won", "Amount": Decimal("12.51")})

from __future__ import annotations

import pytest
from lxml import etree

from connector.errors import ConfigError
from connector.qbwc import (
    add_company,
    get_company,
    list_companies,
    passwords,
    render_qwc,
    set_active,
    set_company_file,
    set_password,
)
from connector.qbwc.companies import same_company_file
from connector.qbwc.passwords import hash_password, verify_password
from connector.store import Database
from tests.conftest import FIXTURES


def test_password_hash_verifies_only_the_right_password() -> None:
    encoded = hash_password("s3cret-Ünïcode")
    assert encoded.startswith("scrypt$") and "s3cret" not in encoded
    assert verify_password("s3cret-Ünïcode", encoded)
    assert not verify_password("s3cret-unicode", encoded)


def test_a_stored_hash_takes_the_stored_cost_and_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "COST", passwords.STORED_COST)
    encoded = hash_password("s3cret")
    assert encoded.split("$")[1:4] == ["16384", "8", "1"]
    monkeypatch.setattr(passwords, "COST", passwords.ScryptCost(n=2**4, r=1, p=1))
    assert verify_password("s3cret", encoded) and not verify_password("s3cret!", encoded)


def test_malformed_password_hash_never_verifies() -> None:
    assert not verify_password("x", "garbage")
    assert not verify_password("x", "bcrypt$1$2$3$4$5")


def test_empty_password_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        hash_password("")


def test_company_names_and_users_are_unique(db: Database) -> None:
    add_company(db, "Acme", "acme", "pw")
    with pytest.raises(ConfigError, match="name 'Acme' already exists"):
        add_company(db, "Acme", "other", "pw")
    with pytest.raises(ConfigError, match="QBWC user 'acme' already exists"):
        add_company(db, "Acme 2", "acme", "pw")
    assert [c.name for c in list_companies(db)] == ["Acme"]


@pytest.mark.parametrize(("name", "user", "company_file"), [
    ("Ac\x0bme", "acme", None), ("Acme", "ac\x00me", None), ("Acme", "acme", "C:\\a\x1b.QBW"),
])
def test_a_name_or_file_xml_cannot_carry_is_refused(db: Database, name: str, user: str,
                                                    company_file: str | None) -> None:
    with pytest.raises(ConfigError, match="control characters"):
        add_company(db, name, user, "pw", company_file=company_file)
    add_company(db, "Acme", "acme", "pw")
    with pytest.raises(ConfigError, match="control characters"):
        set_company_file(db, "Acme", "C:\\a\x1b.QBW")
    assert [(c.name, c.company_file) for c in list_companies(db)] == [("Acme", None)]


def test_unknown_company_names_the_list_command(db: Database) -> None:
    with pytest.raises(ConfigError, match="ml-connector company list"):
        get_company(db, "nope")


def test_set_password_replaces_the_hash(db: Database) -> None:
    add_company(db, "Acme", "acme", "old")
    set_password(db, "Acme", "new")
    stored = get_company(db, "Acme").password_hash
    assert verify_password("new", stored) and not verify_password("old", stored)


def test_disable_keeps_the_company(db: Database) -> None:
    add_company(db, "Acme", "acme", "pw")
    set_active(db, "Acme", False)
    assert get_company(db, "Acme").active is False


def test_company_file_comparison_ignores_case_and_slashes() -> None:
    assert same_company_file(r"C:\QB\Acme.QBW", "c:/qb/acme.qbw")
    assert not same_company_file(r"C:\QB\Acme.qbw", r"C:\QB\Acme-old.qbw")


def _children(xml: str | bytes) -> list[str]:
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    return [child.tag for child in root]


def test_qwc_has_the_structure_of_real_qwc_files(db: Database) -> None:
    company = add_company(db, "Acme & Sons", "acme", "pw", poll_minutes=15)
    text = render_qwc(company, "https://sync.example.com/qbwc")
    sample = (FIXTURES / "qwc" / "consolibyte-example.qwc").read_bytes()
    assert _children(text) == _children(sample)
    root = etree.fromstring(text.encode())
    assert root.findtext("UserName") == "acme"
    assert root.findtext("Scheduler/RunEveryNMinutes") == "15"
    assert root.findtext("QBType") == "QBFS" and root.findtext("IsReadOnly") == "false"
    for guid in (root.findtext("OwnerID"), root.findtext("FileID")):
        assert guid and guid.startswith("{") and guid.endswith("}") and len(guid) == 38
    assert root.findtext("AppName") == "ml-connector (Acme & Sons)"


def test_qwc_guids_are_stable_for_a_company(db: Database) -> None:
    company = add_company(db, "Acme", "acme", "pw")
    first = render_qwc(company, "https://h/qbwc")
    assert render_qwc(get_company(db, "Acme"), "https://h/qbwc") == first


@pytest.mark.parametrize(
    "url", ["http://sync.example.com/qbwc", "ftp://x/qbwc", "sync.example.com"]
)
def test_qwc_refuses_urls_the_web_connector_would_refuse(db: Database, url: str) -> None:
    company = add_company(db, "Acme", "acme", "pw")
    with pytest.raises(ConfigError):
        render_qwc(company, url)


def test_qwc_accepts_plain_http_on_localhost(db: Database) -> None:
    company = add_company(db, "Acme", "acme", "pw")
    assert "<AppURL>http://localhost:8765/qbwc</AppURL>" in render_qwc(company, "http://localhost:8765/qbwc")

"""Organisation and edition, modules, and our custom fields (created once, checked always)."""

from __future__ import annotations

import pytest

from connector.errors import FatalError
from connector.sandbox.zoho import ZohoSimulator
from connector.zoho import REQUIRED_CUSTOM_FIELDS, ZohoClient, required_custom_fields
from connector.zoho.fields import QBD_ACTIVE, QBD_KEY


def test_org_reports_name_id_and_edition(client: ZohoClient, sim: ZohoSimulator) -> None:
    org = client.org()
    assert (org.id, org.name, org.edition, org.paid) == (sim.org_id, "Sandbox Org",
                                                          "professional", True)
    assert org.concurrency == 15


def test_required_fields_are_a_table_and_skip_invoices_without_the_module() -> None:
    assert {(f.module, f.api_name, f.unique) for f in REQUIRED_CUSTOM_FIELDS} == {
        (m, QBD_KEY, True) for m in ("Accounts", "Contacts", "Deals", "Products", "Invoices")
    } | {("Accounts", QBD_ACTIVE, False)}
    assert "Invoices" not in {f.module for f in required_custom_fields(has_invoices=False)}


@pytest.mark.zoho_sim(keys=False)
def test_ensure_custom_fields_creates_the_missing_once(client: ZohoClient,
                                                       sim: ZohoSimulator) -> None:
    before = client.check_custom_fields()
    assert {c.status for c in before} == {"missing"}
    after = client.ensure_custom_fields()
    assert all(c.ok for c in after)
    assert all(QBD_KEY in sim.fields(m) for m in sim.modules)
    posts = sim.call_count("POST", "/settings/fields")
    assert all(c.ok for c in client.ensure_custom_fields())
    assert sim.call_count("POST", "/settings/fields") == posts  # idempotent


@pytest.mark.zoho_sim(keys=False)
def test_a_key_field_that_is_not_unique_is_reported_not_replaced(client: ZohoClient,
                                                                 sim: ZohoSimulator) -> None:
    sim.add_field("Accounts", QBD_KEY, unique=False)
    checks = {(c.field.module, c.field.api_name): c.status for c in client.ensure_custom_fields()}
    assert checks[("Accounts", QBD_KEY)] == "not_unique" and checks[("Deals", QBD_KEY)] == "ok"


@pytest.mark.zoho_sim(edition="standard")
def test_standard_edition_lacks_invoices_and_writing_one_is_fatal(client: ZohoClient) -> None:
    assert "Invoices" not in client.module_names()
    assert client.org().edition == "standard"
    with pytest.raises(FatalError, match="Professional or above") as info:
        client.upsert("Invoices", [{"Subject": "INV-1", QBD_KEY: "1:T1"}],
                      duplicate_check_fields=[QBD_KEY])
    assert info.value.code == "INVALID_MODULE"

"""`ml-connector zoho mapping`: the org's values each QuickBooks state gets, and changing them."""

from __future__ import annotations

from .conftest import add_key_fields
from .test_cli import Served, served  # noqa: F401 - the served simulator fixture


def test_mapping_shows_the_orgs_values_chosen_by_meaning(served: Served) -> None:  # noqa: F811
    served.connect()
    result = served.run("zoho", "mapping")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:] if line.strip()}
    assert "Qualification" in lines["open-stage"] and "first Open stage" in lines["open-stage"]
    assert "Closed Won" in lines["won-stage"]
    assert "(unset)" in lines["invoice-paid"] and "no status means this" in lines["invoice-paid"]
    assert "Cancelled" in lines["invoice-void"]
    assert "Deals.Stage: Qualification (Open)" in result.output


def test_mapping_set_keeps_the_choice_and_refuses_a_value_the_org_lacks(
        served: Served) -> None:  # noqa: F811
    served.connect()
    chosen = served.run("zoho", "mapping", "--set", "open-stage=negotiation/review")
    assert chosen.exit_code == 0, chosen.output
    assert "Negotiation/Review" in chosen.output and "set by you" in chosen.output
    refused = served.run("zoho", "mapping", "--set", "invoice-paid=Paid")
    assert refused.exit_code == 2
    assert "'Paid' is not one of this org's Invoices.Status values" in refused.output
    assert "Created, Approved, Delivered, Cancelled" in refused.output
    shown = served.run("zoho", "mapping")
    assert "set by you" in shown.output  # stored for the connection
    reset = served.run("zoho", "mapping", "--reset", "open-stage")
    assert "set by you" not in reset.output


def test_setup_reads_the_metadata_and_shows_the_mapping(served: Served) -> None:  # noqa: F811
    served.connect()
    add_key_fields(served.sim)
    result = served.run("zoho", "setup", "--yes")
    assert result.exit_code == 0, result.output
    assert "Zoho value mapping" in result.output and "open-stage" in result.output

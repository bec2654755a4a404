"""QuickBooks states -> each org's own picklist values, by meaning; a state nothing fits is
left unset; the user's choices win, and a choice the org no longer offers is a problem."""

from __future__ import annotations

import pytest

from connector.mapping import QbState, lost_stages, resolve_values

from .conftest import org_meta

OPEN, PAID, VOIDED, DELETED = QbState.OPEN, QbState.PAID, QbState.VOIDED, QbState.DELETED


def _stages(profile: str, overrides: dict[str, str] | None = None) -> dict[QbState, str | None]:
    values = resolve_values(org_meta(profile), overrides)
    return {s: values.value("Deals", "Stage", s) for s in QbState}


def _statuses(profile: str) -> dict[QbState, str | None]:
    values = resolve_values(org_meta(profile))
    return {s: values.value("Invoices", "Status", s) for s in QbState}


@pytest.mark.parametrize(("profile", "expected"), [
    ("default", ("Qualification", "Closed Won", "Closed Lost")),
    ("own_pipeline", ("New enquiry", "Job won", "Job lost")),
    ("renamed", ("Qualification", "Won", "Lost")),
])
def test_stages_follow_the_forecast_type_of_the_orgs_own_stages(
        profile: str, expected: tuple[str, str, str]) -> None:
    stages = _stages(profile)
    assert (stages[OPEN], stages[PAID], stages[VOIDED]) == expected
    assert stages[DELETED] == stages[VOIDED]


def test_zohos_default_invoice_statuses_have_nothing_that_means_paid() -> None:
    assert _statuses("default") == {OPEN: "Created", PAID: None, VOIDED: "Cancelled",
                                    DELETED: "Cancelled"}


def test_statuses_match_by_name_case_insensitively_and_after_renames() -> None:
    assert _statuses("own_pipeline") == {OPEN: "Sent", PAID: "Paid", VOIDED: "Void",
                                         DELETED: "Void"}
    assert _statuses("renamed")[OPEN] == "Open" and _statuses("renamed")[VOIDED] == "Voided"


def test_a_standard_org_has_no_invoice_status_to_map() -> None:
    values = resolve_values(org_meta("standard"))
    assert {r.target.key for r in values.resolutions} == {"open-stage", "won-stage", "lost-stage"}


def test_the_users_choice_wins_in_the_orgs_spelling() -> None:
    assert _stages("default", {"open-stage": "NEGOTIATION/review"})[OPEN] == "Negotiation/Review"
    # The actual value of a renamed option names it too.
    assert _stages("renamed", {"won-stage": "Closed Won"})[PAID] == "Won"


def test_a_choice_the_org_no_longer_offers_is_unset_and_named() -> None:
    values = resolve_values(org_meta("own_pipeline"), {"open-stage": "Negotiation/Review"})
    [resolution] = [r for r in values.resolutions if r.target.key == "open-stage"]
    assert resolution.value is None
    assert resolution.problem == "'Negotiation/Review' is no longer a Deals Stage value in Zoho"


def test_an_empty_choice_leaves_the_state_unset_on_purpose() -> None:
    values = resolve_values(org_meta(), {"invoice-void": ""})
    assert values.value("Invoices", "Status", VOIDED) is None
    assert not any(r.problem for r in values.resolutions)


def test_a_mandatory_field_nothing_feeds_is_reported_until_given_a_fixed_value() -> None:
    meta = org_meta("mandatory_field")
    [unfed] = resolve_values(meta).unfed
    assert (unfed.module, unfed.field.api_name) == ("Deals", "Region")
    fixed = resolve_values(meta, {"Deals.Region": "north"})
    assert fixed.unfed == () and fixed.fixed == {"Deals": {"Region": "North"}}
    wrong = resolve_values(meta, {"Deals.Region": "Atlantis"})
    assert wrong.problems == ("Deals.Region: 'Atlantis' is no longer one of its values in Zoho",)
    assert [u.field.api_name for u in wrong.unfed] == ["Region"]


def test_the_default_org_needs_nothing_beyond_what_quickbooks_feeds() -> None:
    for profile in ("default", "own_pipeline", "standard", "renamed"):
        assert resolve_values(org_meta(profile)).unfed == (), profile


def test_lost_stages_are_every_stage_that_means_lost() -> None:
    assert lost_stages(org_meta()) == {"Closed Lost", "Closed-Lost to Competition"}
    assert lost_stages(org_meta("own_pipeline")) == {"Job lost", "No response"}

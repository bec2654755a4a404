"""Org profiles: how real Zoho orgs differ, built from what Zoho documents, never from the
connector's own assumptions.

A profile fixes the edition, the picklists the org's admins shaped (Deal stages, Invoice
statuses) and the custom fields they added. ``ZohoSimulator(profile=...)`` takes one by name:

- ``default``: a new org as Zoho documents it.
- ``own_pipeline``: a trades business that replaced the sales pipeline with its own stages.
- ``mandatory_field``: the default org plus a custom field every Deal must fill in.
- ``standard``: Standard edition, which has no Invoices module.
- ``renamed``: the default org after an admin renamed picklist options (Zoho keeps the
  option's ``actual_value`` and changes its ``display_value``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from connector.sandbox.zoho.schema import Field, PicklistOption

__all__ = ["OrgProfile", "PROFILES", "DEFAULT_STAGES", "DEFAULT_INVOICE_STATUSES", "profile"]

_OPEN, _WON, _LOST = "Open", "Closed Won", "Closed Lost"


def _stage(display: str, probability: int, forecast_type: str, category: str,
           actual: str | None = None) -> PicklistOption:
    return PicklistOption(display, actual, probability, forecast_type, category)


# The stages of the "Standard" pipeline of a new org, in order, with their forecast types and
# categories, as Zoho's own sample shows them: Zoho CRM API v7, "Get Pipelines", sample
# response (https://www.zoho.com/crm/developer/docs/api/v7/get-pipelines.html). Note the two
# options whose display value differs from the actual value. The probabilities are not in that
# sample: they are the percentages a new org's UI shows (a choice, UNCONFIRMED by a Zoho page).
DEFAULT_STAGES: tuple[PicklistOption, ...] = (
    _stage("Qualification", 10, _OPEN, "Pipeline"),
    _stage("Needs Analysis", 20, _OPEN, "Pipeline"),
    _stage("Value Proposition", 40, _OPEN, "Pipeline"),
    _stage("Identify Decision Makers", 60, _OPEN, "Pipeline", actual="Id. Decision Makers"),
    _stage("Proposal/Price Quote", 75, _OPEN, "Pipeline"),
    _stage("Negotiation/Review", 90, _OPEN, "Pipeline"),
    _stage("Closed Won", 100, _WON, "Closed"),
    _stage("Closed Lost", 0, _LOST, "Omitted"),
    _stage("Closed-Lost to Competition", 0, _LOST, "Omitted",
           actual="Closed Lost to Competition"),
)

# A new org's Invoice Status options. Neither BRIEF.md nor Zoho's OAS lists them; the one
# trace in third-party text is CData's Zoho CRM driver inserting an Invoice with Status
# 'Created' (https://cdn.cdata.com/help/CZK/odbc/pg_v4table-invoices.htm). The list below is
# what a new org's Invoices layout offers (a choice, UNCONFIRMED by a Zoho page). There is no
# "Paid": a connector that sends one fails with INVALID_DATA against a new org.
DEFAULT_INVOICE_STATUSES: tuple[PicklistOption, ...] = tuple(
    PicklistOption(v) for v in ("Created", "Approved", "Delivered", "Cancelled"))

_STAGE, _STATUS = ("Deals", "Stage"), ("Invoices", "Status")


@dataclass(frozen=True)
class OrgProfile:
    name: str
    summary: str
    edition: str = "professional"
    picklists: Mapping[tuple[str, str], tuple[PicklistOption, ...]] = field(
        default_factory=lambda: {_STAGE: DEFAULT_STAGES, _STATUS: DEFAULT_INVOICE_STATUSES})
    extra_fields: Mapping[str, tuple[Field, ...]] = field(default_factory=dict)
    # The API name of a Product's related list of Deals. Zoho documents the relation
    # ("Products - to - Potentials") but not this name: "Deals", after the module, is a choice.
    product_deals_list: str = "Deals"

    def options(self, module: str, api_name: str) -> tuple[PicklistOption, ...] | None:
        return self.picklists.get((module, api_name))


def _renamed(options: tuple[PicklistOption, ...],
             names: Mapping[str, str]) -> tuple[PicklistOption, ...]:
    """The options after an admin renamed some: new display value, same actual value."""
    return tuple(PicklistOption(names.get(o.display, o.display), o.actual or o.display,
                                o.probability, o.forecast_type, o.forecast_category)
                 for o in options)


# Invented for the simulator (a choice): a trades business's own pipeline and statuses.
_OWN_STAGES = (
    _stage("New enquiry", 10, _OPEN, "Pipeline"),
    _stage("Site visit booked", 30, _OPEN, "Pipeline"),
    _stage("Quote sent", 60, _OPEN, "Best Case"),
    _stage("Awaiting PO", 80, _OPEN, "Commit"),
    _stage("Job won", 100, _WON, "Closed"),
    _stage("Job lost", 0, _LOST, "Omitted"),
    _stage("No response", 0, _LOST, "Omitted"),
)
_OWN_STATUSES = tuple(PicklistOption(v) for v in ("Draft", "Sent", "Paid", "Void"))

PROFILES: dict[str, OrgProfile] = {p.name: p for p in (
    OrgProfile("default", "a new Professional org with Zoho's default picklists"),
    OrgProfile("own_pipeline", "its own pipeline and invoice statuses, none of Zoho's names",
               picklists={_STAGE: _OWN_STAGES, _STATUS: _OWN_STATUSES}),
    # Zoho marks a layout's mandatory custom field in the layouts API; the fields OAS has only
    # ``system_mandatory``, so the simulator reports it there (a choice).
    OrgProfile("mandatory_field", "every Deal needs a Region (a mandatory custom picklist)",
               extra_fields={"Deals": (Field("Region", "picklist", label="Region",
                                             mandatory=True, custom=True,
                                             pick_list=tuple(PicklistOption(v) for v in
                                                             ("North", "South", "West"))),)}),
    OrgProfile("standard", "Standard edition: no Invoices module", edition="standard"),
    OrgProfile("renamed", "the default picklists with options renamed by an admin",
               picklists={
                   _STAGE: _renamed(DEFAULT_STAGES, {"Closed Won": "Won",
                                                     "Closed Lost": "Lost",
                                                     "Negotiation/Review": "Negotiating"}),
                   _STATUS: _renamed(DEFAULT_INVOICE_STATUSES, {"Created": "Open",
                                                                "Cancelled": "Voided"}),
               }),
    OrgProfile("potentials", "a Product's related list of Deals keeps the old module name",
               product_deals_list="Potentials"),
)}


def profile(name: str | OrgProfile) -> OrgProfile:
    if isinstance(name, OrgProfile):
        return name
    found = PROFILES.get(name)
    if found is None:
        raise ValueError(f"unknown org profile {name!r}; one of {sorted(PROFILES)}")
    return found

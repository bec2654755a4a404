"""A stage follows QuickBooks only on creation and on transitions; records fit the org's
fields (lengths, picklists, fixed values) before they are hashed and sent."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from connector.mapping import DEAL, Mapped, QbState, conform, invoice_state, missing_mandatory
from connector.mapping.values import resolve_values

from .conftest import org_meta
from .test_deals_and_invoices import invoice


def deal(state: str, **payload: Any) -> Mapped:
    return Mapped(DEAL, "1A-1", "7", {"Deal_Name": "Invoice 1042", "Amount": 10, **payload},
                  states={"Stage": state})


def test_a_new_deal_gets_its_stage() -> None:
    assert deal("open", Stage="Qualification").payload_for(None, creating=True)["Stage"] \
        == "Qualification"


def test_an_edit_in_quickbooks_leaves_the_salespersons_stage_alone() -> None:
    before = deal("open", Stage="Qualification")
    edited = deal("open", Stage="Qualification", Amount=12)
    sent = edited.payload_for(before.fields, creating=False)
    assert "Stage" not in sent and sent["Amount"] == 12


def test_an_update_sends_only_what_changed_and_the_key() -> None:
    before = deal("open", Stage="Qualification", QBD_Key="k", Description="old")
    edited = deal("open", Stage="Qualification", QBD_Key="k", Description="new")
    assert edited.payload_for(before.fields, creating=False, always=frozenset({"QBD_Key"})) \
        == {"QBD_Key": "k", "Description": "new"}
    # Adopted by a match or forced: nothing is known of what Zoho holds, so all of it goes.
    assert set(edited.payload_for(None, creating=False)) == {
        "Deal_Name", "Amount", "Stage", "QBD_Key", "Description"}


def test_paying_the_invoice_moves_the_stage() -> None:
    before = deal("open", Stage="Qualification")
    assert deal("paid", Stage="Closed Won").payload_for(before.fields, creating=False)[
        "Stage"] == "Closed Won"


def test_the_stage_hash_is_the_state_so_a_renamed_stage_is_no_change() -> None:
    assert deal("paid", Stage="Closed Won").hash == deal("paid", Stage="Won").hash
    assert deal("paid", Stage="Won").hash != deal("open", Stage="Won").hash


def test_a_voided_invoice_is_zero_with_a_void_memo() -> None:
    voided = invoice(Memo="VOID: customer cancelled", Subtotal="0.00")
    assert invoice_state(voided) is QbState.VOIDED
    assert invoice_state(invoice(Memo="VOID: but still billed")) is QbState.OPEN
    assert invoice_state(invoice(IsPaid="true")) is QbState.PAID


def test_text_longer_than_the_orgs_field_is_cut_and_noted() -> None:
    module = org_meta().module("Deals")
    assert module is not None
    shorter = replace(module.fields["Deal_Name"], length=20)
    fitted = conform(deal("open", Deal_Name="Invoice 1042 · Müller GmbH · Kitchen"),
                     replace(module, fields={**module.fields, "Deal_Name": shorter}))
    assert fitted.payload["Deal_Name"] == "Invoice 1042 · Müll…"
    assert [n.code for n in fitted.notes] == ["TRUNCATED"]


def test_a_picklist_value_the_org_does_not_list_is_never_sent() -> None:
    fitted = conform(deal("paid", Stage="Paid in full"), org_meta().module("Deals"))
    assert "Stage" not in fitted.payload
    assert [n.code for n in fitted.notes] == ["PICKLIST_VALUE"]


def test_a_fixed_value_is_sent_on_creation_only_and_not_hashed() -> None:
    meta = org_meta("mandatory_field")
    module = meta.module("Deals")
    fixed = resolve_values(meta, {"Deals.Region": "North"}).fixed["Deals"]
    plain = deal("open", Stage="Qualification")
    fitted = conform(plain, module, fixed)
    assert fitted.payload_for(None, creating=True)["Region"] == "North"
    assert "Region" not in fitted.payload_for(plain.fields, creating=False)
    assert fitted.hash == plain.hash
    assert missing_mandatory(fitted.payload, module) == []
    assert [f.api_name for f in missing_mandatory(plain.payload, module)] == ["Region"]


def test_an_org_without_the_field_takes_the_record_as_it_is() -> None:
    plain = deal("open")
    assert conform(plain, None) is plain and missing_mandatory(plain.payload, None) == []


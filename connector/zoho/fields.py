"""Org metadata: the organisation and its edition, modules, fields, and OUR custom fields.

Every record we write carries a unique, company-scoped QuickBooks key (ListIDs repeat across
company files), and every upsert dedupes on it. ``REQUIRED_CUSTOM_FIELDS`` lists those fields;
``ensure_custom_fields`` creates the missing ones and is safe to run again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.errors import FatalError
from connector.zoho.base import as_dict, chunks, module_path
from connector.zoho.limits import edition as edition_limits
from connector.zoho.metadata import FieldInfo, OrgMeta, read_org_meta
from connector.zoho.related import MAX_COMPOSITE, RelatedApi, SubRequest

__all__ = [
    "QBD_KEY",
    "QBD_ACTIVE",
    "SYNC_MODULES",
    "CustomField",
    "REQUIRED_CUSTOM_FIELDS",
    "required_custom_fields",
    "FieldInfo",
    "FieldCheck",
    "OrgInfo",
    "MetadataApi",
]

QBD_KEY = "QBD_Key"
QBD_ACTIVE = "QBD_Active"
SYNC_MODULES = ("Accounts", "Contacts", "Deals", "Products", "Invoices")
# Modules Zoho offers only from Professional edition up.
_PROFESSIONAL_MODULES = frozenset({"Invoices"})


@dataclass(frozen=True, slots=True)
class CustomField:
    module: str
    api_name: str
    label: str
    data_type: str = "text"
    length: int = 100
    unique: bool = True
    purpose: str = ""


REQUIRED_CUSTOM_FIELDS: tuple[CustomField, ...] = (
    CustomField("Accounts", QBD_KEY, "QBD Key",
                purpose="company-scoped QuickBooks customer ListID; upserts dedupe on it"),
    CustomField("Contacts", QBD_KEY, "QBD Key",
                purpose="company-scoped key of the customer's primary contact"),
    CustomField("Deals", QBD_KEY, "QBD Key",
                purpose="company-scoped QuickBooks invoice TxnID"),
    CustomField("Products", QBD_KEY, "QBD Key",
                purpose="company-scoped QuickBooks item ListID"),
    CustomField("Invoices", QBD_KEY, "QBD Key",
                purpose="company-scoped QuickBooks invoice TxnID (Professional edition and up)"),
    # Zoho Accounts have no active flag; QuickBooks customers do (and deletions end there).
    CustomField("Accounts", QBD_ACTIVE, "QBD Active", data_type="boolean", unique=False,
                purpose="false when the QuickBooks customer is inactive or deleted"),
)


def required_custom_fields(*, has_invoices: bool = True) -> tuple[CustomField, ...]:
    """The fields the mapping needs; without the Invoices module, its field is not needed."""
    return tuple(f for f in REQUIRED_CUSTOM_FIELDS
                 if has_invoices or f.module not in _PROFESSIONAL_MODULES)


@dataclass(frozen=True, slots=True)
class FieldCheck:
    """Where one required field stands: ok, missing, not_unique, wrong_type, no_module."""

    field: CustomField
    status: str
    found: FieldInfo | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class OrgInfo:
    id: str
    name: str
    edition: str
    paid: bool
    currency: str | None
    time_zone: str | None
    licenses: int | None
    # Enterprise and up can turn on multiple currencies (Deals then carry Currency and rate).
    multi_currency: bool = False

    @property
    def concurrency(self) -> int:
        return edition_limits(self.edition).concurrency

    @classmethod
    def from_zoho(cls, raw: dict[str, Any]) -> OrgInfo:
        lic = as_dict(raw.get("license_details"))
        paid = bool(lic.get("paid"))
        # An org on a trial reports paid_type "free" and the trial's edition in trial_type.
        edition = (lic.get("paid_type") if paid else lic.get("trial_type")) or lic.get("paid_type")
        return cls(
            id=str(raw.get("id", "")), name=str(raw.get("company_name") or ""),
            edition=str(edition or "free").lower(), paid=paid,
            currency=raw.get("iso_code") or raw.get("currency"),
            time_zone=raw.get("time_zone"), licenses=lic.get("users_license_purchased"),
            multi_currency=raw.get("mc_status") is True,
        )


def _check(want: CustomField, fields: list[FieldInfo] | None) -> FieldCheck:
    if fields is None:
        return FieldCheck(want, "no_module")
    found = next((f for f in fields if f.api_name == want.api_name), None)
    if found is None:
        return FieldCheck(want, "missing")
    if found.data_type != want.data_type:
        return FieldCheck(want, "wrong_type", found)
    if want.unique and not found.unique:
        return FieldCheck(want, "not_unique", found)
    return FieldCheck(want, "ok", found)


class MetadataApi(RelatedApi):
    """Organisation, module and field calls of ``ZohoClient``."""

    def org(self) -> OrgInfo:
        reply = self.call("GET", "/org")
        orgs = reply.items("org")
        if not orgs:
            raise FatalError("Zoho returned no organisation for this connection", code="NO_ORG")
        return OrgInfo.from_zoho(orgs[0])

    def module_names(self) -> set[str]:
        """API names of the modules this org has and the API may use."""
        reply = self.call("GET", "/settings/modules")
        return {str(m["api_name"]) for m in reply.items("modules")
                if m.get("api_name") and m.get("api_supported", True)}

    def fields(self, module: str) -> list[FieldInfo]:
        reply = self.call("GET", "/settings/fields", params={"module": module_path(module)})
        return [FieldInfo.from_zoho(f) for f in reply.items("fields")]

    def fields_of(self, modules: Sequence[str]) -> dict[str, list[FieldInfo] | None]:
        """Fields of several modules, five per round trip; None for a module the org lacks."""
        out: dict[str, list[FieldInfo] | None] = {}
        for batch in chunks(list(modules), MAX_COMPOSITE):
            answers = self.composite([
                SubRequest("GET", "/settings/fields", params={"module": module_path(m)})
                for m in batch])
            for i, module in enumerate(batch):
                body = answers[i].body if i < len(answers) else None
                ok = i < len(answers) and answers[i].status_code < 400
                fields = body.get("fields") if ok and isinstance(body, dict) else None
                out[module] = ([FieldInfo.from_zoho(f) for f in fields]
                               if isinstance(fields, list) else None)
        return out

    def org_meta(self, modules: Sequence[str] = SYNC_MODULES, *,
                 now: datetime | None = None) -> OrgMeta:
        """The fields metadata of ``modules`` (those the org has), read now."""
        return read_org_meta(self, modules, self.module_names(), now or self.clock())

    def check_custom_fields(self, wanted: Sequence[CustomField] = REQUIRED_CUSTOM_FIELDS
                            ) -> list[FieldCheck]:
        modules = list(dict.fromkeys(f.module for f in wanted))
        present = self.fields_of(modules)
        return [_check(f, present.get(f.module)) for f in wanted]

    def create_field(self, want: CustomField) -> str:
        """Create one custom field. Zoho takes no API name here: it derives one from the label
        ("QBD Key" -> QBD_Key), which is why the labels in the table read as they do."""
        spec: dict[str, Any] = {"field_label": want.label, "data_type": want.data_type,
                                "length": want.length}
        if want.unique:
            spec["unique"] = {"casesensitive": "false"}
        reply = self.call("POST", "/settings/fields", params={"module": module_path(want.module)},
                          body={"fields": [spec]}, idempotent=False)
        item = (reply.items("fields") or [{}])[0]
        if str(item.get("status", "")).lower() != "success":
            raise FatalError(
                f"Zoho refused to create {want.module}.{want.api_name}: "
                f"{item.get('message') or item.get('code') or 'no reason given'}",
                code=str(item.get("code") or "FIELD_NOT_CREATED"), details=item.get("details"))
        details = as_dict(item.get("details"))
        return str(details.get("id", ""))

    def ensure_custom_fields(self, wanted: Sequence[CustomField] = REQUIRED_CUSTOM_FIELDS
                             ) -> list[FieldCheck]:
        """Create what is missing, then check again; returns the final state of every field."""
        for check in self.check_custom_fields(wanted):
            if check.status == "missing":
                self.create_field(check.field)
        return self.check_custom_fields(wanted)

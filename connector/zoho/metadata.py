"""The org's fields metadata as the mapping reads it: per module we write, every field's type,
length, whether it is mandatory, and each picklist's options with their attributes.

Orgs customise their pipelines and picklists, add mandatory fields and shorten lengths; the
mapping takes all of that from here (``GET /settings/fields?module=``, OAS ``fields.json``),
never from constants. ``OrgMeta`` is plain data that round-trips through JSON, so the store
can cache it per connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connector.zoho.base import ApiBase, as_dict, module_path

__all__ = ["PicklistOption", "FieldInfo", "ModuleMeta", "OrgMeta", "TEXT_TYPES", "read_org_meta"]

# Field types whose values are text with a maximum length.
TEXT_TYPES = frozenset({"text", "textarea", "email", "phone", "website", "picklist"})


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class PicklistOption:
    """One option of a picklist (OAS ``pick_list_values``). Records carry ``display``: Zoho
    says to use the display value in create, update and upsert requests (Kaizen #205);
    ``actual`` is the reference value, which survives an admin renaming the option."""

    display: str
    actual: str
    sequence: int = 0
    # Deals.Stage only: Open, Closed Won or Closed Lost; the category is e.g. Pipeline, Closed.
    forecast_type: str | None = None
    forecast_category: str | None = None
    probability: int | None = None
    used: bool = True

    @classmethod
    def from_zoho(cls, raw: Mapping[str, Any]) -> PicklistOption:
        display = str(raw.get("display_value") or raw.get("actual_value") or "")
        category = raw.get("forecast_category")
        return cls(display=display, actual=str(raw.get("actual_value") or display),
                   sequence=_int(raw.get("sequence_number")) or 0,
                   forecast_type=raw.get("forecast_type") or None,
                   forecast_category=(as_dict(category).get("name") or None
                                      if isinstance(category, dict) else category or None),
                   probability=_int(raw.get("probability")),
                   # Zoho marks options no layout offers any more as "unused".
                   used=raw.get("type") != "unused")

    def to_json(self) -> dict[str, Any]:
        return {"display": self.display, "actual": self.actual, "sequence": self.sequence,
                "forecast_type": self.forecast_type, "forecast_category": self.forecast_category,
                "probability": self.probability, "used": self.used}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PicklistOption:
        return cls(**{k: raw[k] for k in cls.__slots__ if k in raw})


@dataclass(frozen=True, slots=True)
class FieldInfo:
    api_name: str
    label: str
    data_type: str
    unique: bool
    custom: bool
    mandatory: bool = False
    read_only: bool = False
    length: int | None = None
    options: tuple[PicklistOption, ...] = ()

    @classmethod
    def from_zoho(cls, raw: dict[str, Any]) -> FieldInfo:
        unique = raw.get("unique")
        options = [PicklistOption.from_zoho(o) for o in raw.get("pick_list_values") or []
                   if isinstance(o, dict)]
        return cls(
            api_name=str(raw.get("api_name", "")),
            label=str(raw.get("field_label") or raw.get("display_label") or ""),
            data_type=str(raw.get("data_type", "")),
            # Zoho shows a unique field as {"casesensitive": ...} and others as {} or null.
            unique=unique is True or (isinstance(unique, dict) and bool(unique)),
            custom=bool(raw.get("custom_field", False)),
            mandatory=raw.get("system_mandatory") is True,
            read_only=bool(raw.get("read_only") or raw.get("field_read_only")),
            length=_int(raw.get("length")),
            options=tuple(sorted(options, key=lambda o: o.sequence)),
        )

    @property
    def choices(self) -> tuple[PicklistOption, ...]:
        """The options a record may take: those still offered, in Zoho's order."""
        return tuple(o for o in self.options if o.used)

    def lists(self, value: str) -> bool:
        return any(o.display == value for o in self.choices)

    def to_json(self) -> dict[str, Any]:
        return {"api_name": self.api_name, "label": self.label, "data_type": self.data_type,
                "unique": self.unique, "custom": self.custom, "mandatory": self.mandatory,
                "read_only": self.read_only, "length": self.length,
                "options": [o.to_json() for o in self.options]}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FieldInfo:
        values = {k: raw[k] for k in cls.__slots__ if k in raw and k != "options"}
        return cls(**values, options=tuple(PicklistOption.from_json(o)
                                           for o in raw.get("options") or []))


@dataclass(frozen=True)
class ModuleMeta:
    name: str
    fields: dict[str, FieldInfo] = field(default_factory=dict)

    def get(self, api_name: str) -> FieldInfo | None:
        return self.fields.get(api_name)

    def mandatory(self) -> list[FieldInfo]:
        """Fields a new record must carry (Zoho fills read-only ones itself)."""
        return [f for f in self.fields.values() if f.mandatory and not f.read_only]


@dataclass(frozen=True)
class OrgMeta:
    """The fields metadata of the modules we write, as of ``fetched_at``."""

    modules: dict[str, ModuleMeta]
    fetched_at: datetime

    def module(self, name: str) -> ModuleMeta | None:
        return self.modules.get(name)

    def field(self, module: str, api_name: str) -> FieldInfo | None:
        found = self.modules.get(module)
        return found.get(api_name) if found else None

    @property
    def has_invoices(self) -> bool:
        return "Invoices" in self.modules

    def to_json(self) -> dict[str, Any]:
        return {"fetched_at": self.fetched_at.isoformat(),
                "modules": {name: [f.to_json() for f in m.fields.values()]
                            for name, m in self.modules.items()}}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> OrgMeta:
        modules = {name: ModuleMeta(name, {f.api_name: f for f in
                                           (FieldInfo.from_json(x) for x in fields)})
                   for name, fields in as_dict(raw.get("modules")).items()}
        return cls(modules, datetime.fromisoformat(str(raw["fetched_at"])))


def read_org_meta(api: ApiBase, modules: Iterable[str], present: set[str],
                  now: datetime) -> OrgMeta:
    """Fields of each of ``modules`` the org has (``present``), one GET per module: it runs
    once a day per connection, so plain reads beat a composite call's bookkeeping. The reads
    go side by side: a first load starts after one round trip, not one per module."""
    wanted = [name for name in modules if name in present]

    def read(name: str) -> ModuleMeta:
        reply = api.call("GET", "/settings/fields", params={"module": module_path(name)})
        infos = [FieldInfo.from_zoho(f) for f in reply.items("fields")]
        return ModuleMeta(name, {f.api_name: f for f in infos})

    return OrgMeta(dict(zip(wanted, api.parallel(read, wanted), strict=True)), now)

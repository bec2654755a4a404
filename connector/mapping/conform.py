"""A mapped record made to fit the org it goes to, by the org's fields metadata.

The field maps carry Zoho's standard lengths; an org may have shortened a field, turned it
into a picklist, or made a field mandatory that nothing in QuickBooks feeds. Before a record
is hashed and sent:

- text longer than the org's field is cut to fit (the cut is recorded with the write);
- a picklist value the org does not list is not sent (recorded too): Zoho would refuse the
  whole record with INVALID_DATA, and refuse it again on every replay;
- fixed values the user gave for unfed fields are added, to be sent on creation only.

``missing_mandatory`` then names what a new record would still lack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from connector.mapping.fields import clip
from connector.mapping.payload import Mapped, Note
from connector.mapping.values import SYSTEM_FILLED
from connector.zoho.metadata import TEXT_TYPES, FieldInfo, ModuleMeta

__all__ = ["conform", "missing_mandatory"]


def _fit(name: str, value: Any, info: FieldInfo | None) -> tuple[Any, Note | None]:
    if info is None or not isinstance(value, str):
        return value, None
    if info.choices and not info.lists(value):
        return None, Note("PICKLIST_VALUE", f"{name}: {value!r} is not one of the org's "
                          f"{info.label or name} values in Zoho; not sent")
    if info.length is not None and info.data_type in TEXT_TYPES and len(value) > info.length:
        return clip(value, info.length), Note(
            "TRUNCATED", f"{name}: cut to the org's {info.length} characters (was {len(value)})")
    return value, None


def conform(mapped: Mapped, module: ModuleMeta | None,
            fixed: Mapping[str, str] | None = None) -> Mapped:
    """``mapped`` as this org takes it (the same object when nothing had to change)."""
    if module is None:
        return mapped
    payload = dict(mapped.payload)
    notes = list(mapped.notes)
    for name, value in mapped.payload.items():
        fitted, note = _fit(name, value, module.get(name))
        if note is None:
            continue
        notes.append(note)
        if fitted is None:
            del payload[name]
        else:
            payload[name] = fitted
    extra = {k: v for k, v in (fixed or {}).items() if payload.get(k) is None}
    if len(notes) == len(mapped.notes) and not extra:
        return mapped
    return replace(mapped, payload={**payload, **extra},
                   create_only=mapped.create_only | frozenset(extra), notes=tuple(notes))


def missing_mandatory(payload: Mapping[str, Any], module: ModuleMeta | None) -> list[FieldInfo]:
    """Mandatory fields a new record with ``payload`` would lack."""
    if module is None:
        return []
    return [f for f in module.mandatory()
            if f.api_name not in SYSTEM_FILLED and payload.get(f.api_name) in (None, "", [])]

"""Changes made "as a salesperson" (and field changes made "as an admin") outside the API.

They go through the same validation and fire the same notifications and workflows as API
writes, but cost no credits and never meet the limits. The Python helpers and the admin
HTTP API both call these.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from connector.sandbox.zoho.errors import RecordFailure
from connector.sandbox.zoho.meta_api import custom_field
from connector.sandbox.zoho.records_api import delete_ids
from connector.sandbox.zoho.schema import Field, PicklistOption
from connector.sandbox.zoho.store import SALESPERSON
from connector.sandbox.zoho.writes import ALL_TRIGGERS, run_batch

if TYPE_CHECKING:
    from connector.sandbox.zoho.core import Core

__all__ = ["create_record", "edit_record", "delete_record", "add_field", "remove_field",
           "alter_field", "module_or_error"]


def module_or_error(core: Core, module: str) -> str:
    if module not in core.store.records:
        raise ValueError(f"module {module!r} is not in this org (has {sorted(core.store.records)})")
    return module


def _write(core: Core, module: str, row: dict[str, Any], mode: str) -> dict[str, Any]:
    result = run_batch(core.store, module_or_error(core, module), [row], mode=mode, dup=[],
                       actor=SALESPERSON, triggers=ALL_TRIGGERS)
    item = result.items[0]
    if item["status"] != "success":
        raise ValueError(f"Zoho refused the {module} record: {item}")
    core.emit(result.events)
    rec = core.store.get(module, item["details"]["id"])
    if rec is None:
        raise LookupError(f"the {module} record just written is gone: {item}")
    return core.store.render(rec)


def create_record(core: Core, module: str, fields: dict[str, Any]) -> dict[str, Any]:
    return _write(core, module, dict(fields), "insert")


def edit_record(core: Core, module: str, record_id: str, fields: dict[str, Any]
                ) -> dict[str, Any]:
    return _write(core, module, {**fields, "id": str(record_id)}, "update")


def delete_record(core: Core, module: str, record_id: str) -> None:
    resp = delete_ids(core, module_or_error(core, module), [str(record_id)], ALL_TRIGGERS,
                      SALESPERSON)
    if resp.status != 200:
        raise ValueError(f"no {module} record with id {record_id}")


def add_field(core: Core, module: str, api_name: str, data_type: str = "text", *,
              unique: bool = False, case_sensitive: bool = False, length: int = 255,
              mandatory: bool = False, lookup_module: str | None = None,
              pick_list: tuple[str, ...] = ()) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "field_label": api_name.replace("_", " "), "api_name": api_name, "data_type": data_type,
        "length": length, "system_mandatory": mandatory,
        "unique": {"casesensitive": str(case_sensitive).lower()} if unique else None,
        "lookup": {"module": {"api_name": lookup_module}} if lookup_module else None,
        "pick_list_values": [{"display_value": v, "actual_value": v} for v in pick_list],
    }
    module_or_error(core, module)
    try:
        made = core.store.add_field(module, custom_field(core, module, spec, "$"))
    except RecordFailure as failure:
        raise ValueError(f"cannot add {module}.{api_name}: {failure.item()}") from None
    return made.meta()


def remove_field(core: Core, module: str, api_name: str) -> None:
    if api_name not in core.store.field_map(module_or_error(core, module)):
        raise ValueError(f"{module} has no field {api_name!r}")
    core.store.remove_field(module, api_name)


_ALTERABLE = {f.name for f in fields(Field)} - {"api_name", "data_type", "field_id"}


def alter_field(core: Core, module: str, api_name: str, **changes: Any) -> dict[str, Any]:
    """An admin changes a field in Setup (its length, whether it is mandatory, its picklist
    options: plain strings or ``PicklistOption``); records keep the values they hold."""
    unknown = set(changes) - _ALTERABLE
    if unknown:
        raise ValueError(f"cannot alter {sorted(unknown)}; one of {sorted(_ALTERABLE)}")
    if "pick_list" in changes:
        changes["pick_list"] = tuple(o if isinstance(o, PicklistOption) else PicklistOption(o)
                                     for o in changes["pick_list"])
    store = core.store
    with store.lock:
        old = store.field_map(module_or_error(core, module)).get(api_name)
        if old is None:
            raise ValueError(f"{module} has no field {api_name!r}")
        new = replace(old, **changes)
        store.fields[module] = [new if f.api_name == api_name else f
                                for f in store.fields[module]]
        store.reindex(module)
    return new.meta()

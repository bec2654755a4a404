"""Insert, update and upsert of a batch: per-record validation and per-record answers.

Zoho answers each record on its own (``data[i]``): a bad record never stops the others.
Unknown field names are silently ignored, as Zoho does — a misspelt field simply does not
arrive. Upsert without ``duplicate_check_fields`` matches on the module's system duplicate
field (Account_Name, Deal_Name, Product_Name, Email, Subject) and then the unique fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector.sandbox.zoho.errors import ApiError, RecordFailure
from connector.sandbox.zoho.schema import MODULE_DEFS, Field
from connector.sandbox.zoho.store import ChangeEvent, Store, Stored, User, iso
from connector.sandbox.zoho.values import coerce, is_blank, money

__all__ = ["ALL_TRIGGERS", "BatchResult", "run_batch", "duplicate_fields", "batch_status",
           "validate"]

ALL_TRIGGERS = frozenset({"workflow", "approval", "blueprint", "pathfinder", "orchestration"})
_SUCCESS_STATUS = {"insert": 201, "update": 200, "upsert": 200}
_MESSAGES = {"insert": "record added", "update": "record updated"}


@dataclass
class BatchResult:
    items: list[dict[str, Any]]
    events: list[ChangeEvent] = field(default_factory=list)
    ok: int = 0


def batch_status(mode: str, ok: int, total: int) -> int:
    """200/201 when every record succeeded, 207 when mixed, 400 when all failed."""
    if ok == total:
        return _SUCCESS_STATUS[mode]
    return 207 if ok else 400


def duplicate_fields(store: Store, module: str, names: Any) -> list[Field]:
    indexed = {f.api_name: f for f in store.indexed_fields(module)}
    if names is None:
        system = MODULE_DEFS[module].duplicate_check
        return sorted(indexed.values(), key=lambda f: f.api_name != system)
    if not isinstance(names, list) or not names:
        raise ApiError(400, "INVALID_DATA", "invalid data",
                       {"api_name": "duplicate_check_fields", "expected_data_type": "jsonarray"})
    chosen: list[Field] = []
    for name in names:
        if name not in indexed:  # only unique fields or the system duplicate field qualify
            raise ApiError(400, "INVALID_DATA", "invalid data", {
                "api_name": str(name), "json_path": "$.duplicate_check_fields"})
        chosen.append(indexed[name])
    return chosen


def _mandatory(store: Store, module: str, row: dict[str, Any], path: str, creating: bool) -> None:
    for f in store.mandatory_fields(module):
        missing = is_blank(row.get(f.api_name)) if creating else (
            f.api_name in row and is_blank(row[f.api_name]))
        if missing:
            raise RecordFailure("MANDATORY_NOT_FOUND", "required field not found",
                                {"api_name": f.api_name, "json_path": f"{path}.{f.api_name}"})


def _subform_row(store: Store, parent: Field, row: Any, path: str,
                 known_ids: set[str]) -> dict[str, Any]:
    fields = store.subform_fields(parent.subform or "")
    if not isinstance(row, dict):
        raise RecordFailure("INVALID_DATA", "invalid data", {
            "api_name": parent.api_name, "json_path": path, "expected_data_type": "jsonobject"})
    for f in fields.values():
        if f.mandatory and is_blank(row.get(f.api_name)):
            raise RecordFailure("MANDATORY_NOT_FOUND", "required field not found", {
                "api_name": f.api_name, "json_path": f"{path}.{f.api_name}",
                "parent_api_name": parent.api_name})
    item: dict[str, Any] = {"id": str(row["id"]) if str(row.get("id")) in known_ids
                            else store.new_id()}
    for name, value in row.items():
        known = fields.get(name)
        if known is None or known.read_only:
            continue
        try:
            item[name] = coerce(known, value, f"{path}.{name}", store.exists)
        except RecordFailure as exc:
            exc.details["parent_api_name"] = parent.api_name
            raise
    if item.get("List_Price") is None:
        product = store.get("Products", item["Product_Name"])
        item["List_Price"] = product.values.get("Unit_Price") if product else None
    # The row's total is rounded to cents first and its discount and tax (amounts in cents)
    # apply to that: Zoho shows Total, Discount, Tax and Net_Total that add up (a choice: Zoho
    # documents no rounding order).
    total = (money(item["Quantity"]) * money(item["List_Price"])).quantize(Decimal("0.01"))
    item["Total"] = float(total)
    net = total - money(item.get("Discount")) + money(item.get("Tax"))
    item["Net_Total"] = float(net.quantize(Decimal("0.01")))
    return item


def _subform(store: Store, f: Field, value: Any, path: str, target: Stored | None) -> Any:
    if value is None:
        return None
    if not isinstance(value, list):
        raise RecordFailure("INVALID_DATA", "invalid data", {
            "api_name": f.api_name, "json_path": path, "expected_data_type": "jsonarray"})
    # A choice: the rows sent become the subform's rows (a row sent with its id keeps it, a
    # row left out is gone). Neither the OAS nor the brief says whether Zoho removes a row
    # left out or needs it sent with ``_delete`` (record.json has ``_delete`` only on file
    # fields), so the connector always sends the whole row list.
    old = target.values.get(f.api_name) or [] if target else []
    known = {str(r["id"]) for r in old}
    return [_subform_row(store, f, row, f"{path}[{j}]", known) for j, row in enumerate(value)]


def _derive(module: str, merged: dict[str, Any]) -> dict[str, Any]:
    """Zoho computes inventory totals itself; callers cannot write them."""
    if module != "Invoices":
        return {}
    sub = sum((money(r.get("Net_Total")) for r in merged.get("Invoiced_Items") or []), Decimal(0))
    grand = sub - money(merged.get("Discount")) + money(merged.get("Tax")) + money(
        merged.get("Adjustment"))
    return {"Sub_Total": float(sub.quantize(Decimal("0.01"))),
            "Grand_Total": float(grand.quantize(Decimal("0.01")))}


def validate(store: Store, module: str, row: dict[str, Any], index: int,
             target: Stored | None) -> dict[str, Any]:
    """Coerced values to store, or RecordFailure (mandatory first, then types, then unique)."""
    path = f"$.data[{index}]"
    _mandatory(store, module, row, path, creating=target is None)
    fmap = store.field_map(module)
    values: dict[str, Any] = {}
    for name, value in row.items():
        f = fmap.get(name)
        if f is None or f.read_only or f.data_type == "ownerlookup":
            continue
        if f.data_type == "subform":
            values[name] = _subform(store, f, value, f"{path}.{name}", target)
        else:
            values[name] = coerce(f, value, f"{path}.{name}", store.exists)
    merged = {**(target.values if target else {}), **values}
    values.update(_derive(module, merged))
    _check_unique(store, module, values, path, target.id if target else None)
    return values


def _check_unique(store: Store, module: str, values: dict[str, Any], path: str,
                  own_id: str | None) -> None:
    for f in store.unique_fields(module):
        if is_blank(values.get(f.api_name)):
            continue
        others = [i for i in store.find_by_value(module, f, values[f.api_name]) if i != own_id]
        if others:
            other = store.get(module, others[0])
            raise RecordFailure("DUPLICATE_DATA", "duplicate data", {
                "api_name": f.api_name, "json_path": f"{path}.{f.api_name}",
                "duplicate_record": {
                    "id": others[0],
                    "module": {"api_name": module, "id": store.module_ids[module]},
                    "Owner": other.owner if other else None,
                }})


def _find_target(store: Store, module: str, row: dict[str, Any], index: int, mode: str,
                 dup: list[Field]) -> tuple[Stored | None, str | None]:
    if mode == "update":
        if is_blank(row.get("id")):
            raise RecordFailure("MANDATORY_NOT_FOUND", "required field not found",
                                {"api_name": "id", "json_path": f"$.data[{index}].id"})
        target = store.get(module, str(row["id"]))
        if target is None:
            raise RecordFailure("INVALID_DATA", "the id given seems to be invalid",
                                {"api_name": "id", "json_path": f"$.data[{index}].id",
                                 "id": str(row["id"])})
        return target, None
    for f in dup if mode == "upsert" else []:
        value = row.get(f.api_name)
        ids = store.find_by_value(module, f, value) if not is_blank(value) else []
        if ids:
            return store.get(module, ids[0]), f.api_name
    return None, None


def _success(rec: Stored, action: str, mode: str, dup_field: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "code": "SUCCESS",
        "details": {
            "Modified_Time": iso(rec.modified), "Modified_By": rec.modified_by,
            "Created_Time": iso(rec.created), "id": rec.id, "Created_By": rec.created_by,
            "$approval_state": "approved",
        },
        "message": _MESSAGES[action],
        "status": "success",
    }
    if mode == "upsert":
        item["action"] = action
        item["duplicate_field"] = dup_field
    return item


def run_batch(store: Store, module: str, rows: list[Any], *, mode: str,
              dup: list[Field], actor: User, triggers: frozenset[str]) -> BatchResult:
    result = BatchResult(items=[])
    inserted: list[str] = []
    updated: dict[str, list[str]] = {}
    with store.lock:
        for index, row in enumerate(rows):
            try:
                if not isinstance(row, dict):
                    raise RecordFailure("INVALID_DATA", "invalid data", {
                        "json_path": f"$.data[{index}]", "expected_data_type": "jsonobject"})
                target, dup_field = _find_target(store, module, row, index, mode, dup)
                values = validate(store, module, row, index, target)
            except RecordFailure as failure:
                result.items.append(failure.item())
                continue
            if target is None:
                rec = store.insert(module, values, actor)
                inserted.append(rec.id)
                result.items.append(_success(rec, "insert", mode, None))
            else:
                changed = store.update(target, values, actor)
                updated[target.id] = sorted(set(updated.get(target.id, [])) | set(changed))
                result.items.append(_success(target, "update", mode, dup_field))
            result.ok += 1
        result.events = _events(store, module, inserted, updated, triggers)
    return result


def _events(store: Store, module: str, inserted: list[str], updated: dict[str, list[str]],
            triggers: frozenset[str]) -> list[ChangeEvent]:
    """One callback per operation; a record created in this call is reported as inserted."""
    events = []
    if inserted:
        events.append(ChangeEvent(module, "insert", inserted, {}, {}, triggers))
    edited = {i: f for i, f in updated.items() if i not in set(inserted)}
    if edited:
        # Only the changed fields travel on (``return_affected_field_values``).
        values = {i: store.render(rec, fields) for i, fields in edited.items()
                  if (rec := store.get(module, i))}
        events.append(ChangeEvent(module, "update", list(edited), edited, values, triggers))
    return events

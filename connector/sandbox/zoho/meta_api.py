"""Metadata: fields (list, create custom fields, delete), modules, and the organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector.sandbox.zoho.errors import ApiError, RecordFailure
from connector.sandbox.zoho.http import (
    Req,
    Resp,
    Route,
    missing_param,
    no_content,
    require_body_list,
)
from connector.sandbox.zoho.schema import MODULE_DEFS, Field, PicklistOption, api_name_from_label

if TYPE_CHECKING:
    from connector.sandbox.zoho.core import Core

__all__ = ["ROUTES", "CREATABLE_TYPES", "UNIQUE_TYPES", "custom_field"]

CREATABLE_TYPES = {"text", "textarea", "email", "phone", "website", "integer", "bigint",
                   "double", "currency", "decimal", "boolean", "date", "datetime", "picklist",
                   "lookup"}
# "Do not allow duplicate values" exists only for single line, email, phone, number,
# long integer and URL fields.
UNIQUE_TYPES = {"text", "email", "phone", "integer", "bigint", "website"}


def _module_arg(core: Core, req: Req) -> str:
    module = req.args.get("module")
    if not module:
        raise missing_param("module")
    if module not in core.store.fields:
        raise ApiError(400, "INVALID_MODULE", "the module name given seems to be invalid",
                       {"param_name": "module"})
    return module


def list_fields(core: Core, req: Req, p: dict[str, str]) -> Resp:
    module = _module_arg(core, req)
    with core.store.lock:
        return Resp(200, {"fields": [f.meta() for f in core.store.fields[module]]})


def get_field(core: Core, req: Req, p: dict[str, str]) -> Resp:
    module = _module_arg(core, req)
    found = [f.meta() for f in core.store.fields[module] if f.field_id == p["field"]]
    return Resp(200, {"fields": found}) if found else no_content()


def custom_field(core: Core, module: str, spec: dict[str, Any], path: str) -> Field:
    """A new custom field from a ``POST /settings/fields`` item, or RecordFailure."""
    label = spec.get("field_label")
    if not isinstance(label, str) or not label.strip():
        raise RecordFailure("MANDATORY_NOT_FOUND", "required field not found",
                            {"api_name": "field_label", "json_path": f"{path}.field_label"})
    data_type = spec.get("data_type")
    if data_type not in CREATABLE_TYPES:
        raise RecordFailure("INVALID_DATA", "invalid data", {
            "api_name": "data_type", "json_path": f"{path}.data_type",
            "supported_values": sorted(CREATABLE_TYPES)})
    api_name = spec.get("api_name") or api_name_from_label(label)
    if api_name in core.store.field_map(module):
        raise RecordFailure("DUPLICATE_DATA", "duplicate data",
                            {"api_name": "field_label", "json_path": f"{path}.field_label"})
    lookup = spec.get("lookup") or {}
    target = (lookup.get("module") or {}).get("api_name") if isinstance(lookup, dict) else None
    if data_type == "lookup" and target not in core.store.records:
        raise RecordFailure("INVALID_DATA", "invalid data",
                            {"api_name": "lookup", "json_path": f"{path}.lookup.module"})
    unique = spec.get("unique")
    if unique and data_type not in UNIQUE_TYPES:
        raise RecordFailure("INVALID_DATA", "invalid data", {
            "api_name": "unique", "json_path": f"{path}.unique",
            "supported_values": sorted(UNIQUE_TYPES)})
    sensitive = unique.get("casesensitive") if isinstance(unique, dict) else False
    return Field(api_name=api_name, data_type=data_type, label=label.strip(),
                 unique=bool(unique), case_sensitive=str(sensitive).lower() == "true",
                 length=int(spec.get("length") or 255), custom=True,
                 mandatory=bool(spec.get("system_mandatory")), lookup_module=target,
                 pick_list=_options(spec.get("pick_list_values")))


def _options(raw: Any) -> tuple[PicklistOption, ...]:
    items = [v for v in raw or [] if isinstance(v, dict)]
    return tuple(PicklistOption(str(v.get("display_value") or v.get("actual_value")),
                                v.get("actual_value")) for v in items
                 if v.get("display_value") or v.get("actual_value"))


def create_fields(core: Core, req: Req, p: dict[str, str]) -> Resp:
    module = _module_arg(core, req)
    items = []
    for index, spec in enumerate(require_body_list(req, "fields", 5)):
        try:
            if not isinstance(spec, dict):
                raise RecordFailure("INVALID_DATA", "invalid data",
                                    {"json_path": f"$.fields[{index}]"})
            with core.store.lock:
                made = core.store.add_field(module, custom_field(core, module, spec,
                                                                 f"$.fields[{index}]"))
            items.append({"code": "SUCCESS", "details": {"id": made.field_id},
                          "message": "field created", "status": "success"})
        except RecordFailure as failure:
            items.append(failure.item())
    ok = sum(1 for i in items if i["status"] == "success")
    status = 201 if ok == len(items) else 400
    return Resp(status, {"fields": items})


def delete_field(core: Core, req: Req, p: dict[str, str]) -> Resp:
    module = _module_arg(core, req)
    with core.store.lock:
        found = [f for f in core.store.fields[module] if f.field_id == p["field"]]
        if not found:
            raise ApiError(400, "INVALID_DATA", "the id given seems to be invalid",
                           {"resource_path_index": 3}, wrap="fields")
        if not found[0].custom:
            raise ApiError(400, "NOT_ALLOWED", "system fields cannot be deleted",
                           {"api_name": found[0].api_name}, wrap="fields")
        core.store.remove_field(module, found[0].api_name)
    return Resp(200, {"fields": [{"code": "SUCCESS", "details": {"id": p["field"]},
                                  "message": "field deleted", "status": "success"}]})


def list_modules(core: Core, req: Req, p: dict[str, str]) -> Resp:
    modules = [{
        "api_name": name, "module_name": name, "plural_label": name,
        "singular_label": MODULE_DEFS[name].singular, "id": core.store.module_ids[name],
        "api_supported": True, "generated_type": "default", "creatable": True,
        "editable": True, "deletable": True, "viewable": True, "status": "visible",
    } for name in core.store.records]
    return Resp(200, {"modules": modules})


def get_org(core: Core, req: Req, p: dict[str, str]) -> Resp:
    edition = core.edition.name
    org = {
        "id": core.org_id, "company_name": core.org_name, "domain_name": f"org{core.org_id}",
        "country_code": "US", "time_zone": "Etc/UTC", "currency": core.currency,
        "iso_code": core.currency, "currency_symbol": "$" if core.currency == "USD" else "",
        "currency_locale": "en_US", "mc_status": core.multi_currency,
        "primary_email": "admin@sandbox.test", "type": "production", "zgid": core.org_id,
        "license_details": {
            "paid": edition != "free", "paid_type": edition,
            "users_license_purchased": core.users, "trial_type": None,
            "trial_expiry": None, "paid_expiry": None,
        },
    }
    return Resp(200, {"org": [org]})


def _settings(resource: str, op: str) -> Any:
    return lambda p, req: [("settings", resource, op)]


FIELD = r"/crm/v8/settings/fields/(?P<field>\d+)"
ROUTES: list[Route] = [
    Route("GET", r"/crm/v8/settings/fields", list_fields, _settings("fields", "READ")),
    Route("POST", r"/crm/v8/settings/fields", create_fields, _settings("fields", "CREATE")),
    Route("GET", FIELD, get_field, _settings("fields", "READ")),
    Route("DELETE", FIELD, delete_field, _settings("fields", "DELETE")),
    Route("GET", r"/crm/v8/settings/modules", list_modules, _settings("modules", "READ")),
    Route("GET", r"/crm/v8/org", get_org, lambda p, req: [("org", "", "READ")]),
]

"""``ping``'s view of the org's values: does every mapped value still exist in Zoho, and
does every mandatory field have a source? Each failure names its cause and its fix."""

from __future__ import annotations

from connector.mapping.values import OrgValues, Resolution, fixed_key
from connector.zoho.checks import FAIL, PASS, WARN, Check
from connector.zoho.metadata import OrgMeta

__all__ = ["mapping_checks"]

MAPPING = "value mapping"
MANDATORY = "mandatory fields"
_SHOW = "ml-connector zoho mapping"


def _required(meta: OrgMeta, r: Resolution) -> bool:
    """A value new records cannot do without (the field is mandatory in the org)."""
    info = meta.field(r.target.module, r.target.field)
    return bool(info and info.mandatory)


def _value_check(meta: OrgMeta, values: OrgValues) -> Check:
    broken = [f"{r.target.key}: {r.problem}" for r in values.resolutions if r.problem]
    broken += list(values.problems)
    missing = [r for r in values.resolutions if r.value is None and not r.problem
               and r.how != "left unset by you"]
    blocking = [r for r in missing if _required(meta, r)]
    if broken or blocking:
        detail = "; ".join([*broken, *(f"{r.target.key}: {r.how} (a {r.target.module} "
                                       f"{r.target.field} is mandatory)" for r in blocking)])
        keys = [r.target.key for r in blocking] or [b.partition(":")[0] for b in broken]
        return Check(MAPPING, FAIL, detail,
                     f"choose values the org has: {_SHOW} --set {keys[0]}=<value> "
                     f"(`{_SHOW}` lists them)")
    shown = ", ".join(f"{r.target.key}={r.value}" for r in values.resolutions if r.value)
    if missing:
        unset = "; ".join(f"{r.target.key}: {r.how}" for r in missing)
        return Check(MAPPING, WARN, f"{shown}; {unset}",
                     f"these states leave the field as it is; to set one: {_SHOW} --set "
                     f"{missing[0].target.key}=<value>")
    return Check(MAPPING, PASS, shown or "nothing to map")


def _mandatory_check(meta: OrgMeta, values: OrgValues) -> Check:
    if not values.unfed:
        return Check(MANDATORY, PASS, "every mandatory field of " + ", ".join(meta.modules)
                     + " has a source")
    first = values.unfed[0]
    choices = ", ".join(o.display for o in first.field.choices)
    return Check(MANDATORY, FAIL, "; ".join(
        f"{u.module}.{u.field.api_name} is mandatory in Zoho and nothing in QuickBooks feeds "
        f"it: new {u.module} fail" for u in values.unfed),
        f"give it a fixed value: {_SHOW} --set {fixed_key(first.module, first.field.api_name)}"
        f"=<value>" + (f" (one of {choices})" if choices else "")
        + ", or make it optional in Zoho (Setup > Modules and Fields)")


def mapping_checks(meta: OrgMeta, values: OrgValues) -> list[Check]:
    return [_value_check(meta, values), _mandatory_check(meta, values)]

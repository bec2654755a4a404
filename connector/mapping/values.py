"""QuickBooks states -> the org's own picklist values, chosen by meaning, never by name.

QuickBooks knows four states of an invoice: open, paid, voided and deleted. Zoho orgs name
their Deal stages and Invoice statuses as they please, so each state is mapped to the org's
value that *means* it:

- ``Deals.Stage`` by the stage's ``forecast_type``, which is Zoho's own meaning of a stage:
  an open invoice -> the first Open stage by ``sequence_number`` (the start of the pipeline),
  a paid one -> the first Closed Won stage, a voided or deleted one -> the first Closed Lost.
- ``Invoices.Status`` by name: Zoho's metadata gives statuses no meaning, so the options are
  matched case-insensitively against the synonyms below (a choice, in preference order; a
  new org's statuses are Created, Approved, Delivered and Cancelled, so open -> Created,
  voided -> Cancelled, and paid -> nothing).

A state with no fitting value is left unset, never guessed. Every target can be overridden
per connection (``ml-connector zoho mapping --set open-stage=...``), and a mandatory field
nothing in QuickBooks feeds can be given a fixed value (``--set Deals.Region=North``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from connector.mapping.fields import FIELD_MAPS
from connector.zoho.fields import QBD_ACTIVE, QBD_KEY
from connector.zoho.metadata import FieldInfo, OrgMeta, PicklistOption

__all__ = ["QbState", "Target", "TARGETS", "Resolution", "Unfed", "OrgValues", "NO_VALUES",
           "resolve_values", "canonical", "fixed_key", "lost_stages", "SYSTEM_FILLED", "target",
           "choose", "UNSET"]

# What ``--set key=-`` stores: leave the state unset on purpose.
UNSET = ""


class QbState(StrEnum):
    OPEN = "open"
    PAID = "paid"
    VOIDED = "voided"
    DELETED = "deleted"


@dataclass(frozen=True)
class Target:
    """One thing the mapping picks a value for: a QuickBooks state in a Zoho picklist."""

    key: str  # what the user types: ``--set open-stage=...``
    module: str
    field: str
    states: tuple[QbState, ...]
    meaning: str
    forecast_type: str | None = None  # match Deals stages by Zoho's meaning
    synonyms: tuple[str, ...] = ()  # else by name, in preference order


TARGETS: tuple[Target, ...] = (
    Target("open-stage", "Deals", "Stage", (QbState.OPEN,),
           "Deal of an open (unpaid) invoice", forecast_type="Open"),
    Target("won-stage", "Deals", "Stage", (QbState.PAID,),
           "Deal of a paid invoice", forecast_type="Closed Won"),
    Target("lost-stage", "Deals", "Stage", (QbState.VOIDED, QbState.DELETED),
           "Deal of a voided or deleted invoice", forecast_type="Closed Lost"),
    Target("invoice-open", "Invoices", "Status", (QbState.OPEN,), "open invoice",
           synonyms=("open", "unpaid", "created", "sent", "issued", "outstanding", "due")),
    Target("invoice-paid", "Invoices", "Status", (QbState.PAID,), "paid invoice",
           synonyms=("paid", "fully paid", "paid in full", "settled")),
    Target("invoice-void", "Invoices", "Status", (QbState.VOIDED, QbState.DELETED),
           "voided or deleted invoice",
           synonyms=("void", "voided", "cancelled", "canceled", "cancel")),
)
_BY_KEY = {t.key: t for t in TARGETS}
# Zoho fills these on every record itself (the owner is the API user): no source needed.
SYSTEM_FILLED = frozenset({"Owner", "Layout", "Created_By", "Modified_By", "Created_Time",
                           "Modified_Time", "Tag"})
# Fields of our own the mapping always writes, beside the field maps.
_OURS: dict[str, frozenset[str]] = {"Accounts": frozenset({QBD_KEY, QBD_ACTIVE})}


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def _option(info: FieldInfo, wanted: str) -> PicklistOption | None:
    norm = _norm(wanted)
    return next((o for o in info.choices if norm in (_norm(o.display), _norm(o.actual))), None)


def canonical(info: FieldInfo, wanted: str) -> str | None:
    """The display value of ``info``'s option named ``wanted`` (case-insensitive, display
    or actual value), or None when the org offers no such option."""
    found = _option(info, wanted)
    return found.display if found else None


def fixed_key(module: str, api_name: str) -> str:
    return f"{module}.{api_name}"


@dataclass(frozen=True)
class Resolution:
    target: Target
    value: str | None
    how: str
    problem: str | None = None  # set when the user's choice no longer fits the org


@dataclass(frozen=True)
class Unfed:
    """A mandatory field nothing feeds: new records of ``module`` cannot be created."""

    module: str
    field: FieldInfo


def _by_meaning(target: Target, info: FieldInfo) -> tuple[str | None, str]:
    if target.forecast_type is not None:
        found = [o for o in info.choices if o.forecast_type == target.forecast_type]
        if found:
            return found[0].display, f"first {target.forecast_type} stage of the pipeline"
        return None, f"the org has no {target.forecast_type} stage: left unset"
    for synonym in target.synonyms:
        hit = next((o for o in info.choices
                    if synonym in (_norm(o.display), _norm(o.actual))), None)
        if hit is not None:
            return hit.display, f"its name means {synonym!r}"
    return None, "no status means this: left unset"


def _resolve(target: Target, info: FieldInfo | None,
             overrides: Mapping[str, str]) -> Resolution:
    if info is None:
        return Resolution(target, None, f"the org has no {target.module}.{target.field}")
    chosen = overrides.get(target.key)
    if chosen == "":
        return Resolution(target, None, "left unset by you")
    if chosen is not None:
        value = canonical(info, chosen)
        if value is None:
            return Resolution(target, None, "set by you", problem=(
                f"{chosen!r} is no longer a {target.module} {target.field} value in Zoho"))
        return Resolution(target, value, "set by you")
    value, how = _by_meaning(target, info)
    return Resolution(target, value, how)


@dataclass(frozen=True)
class OrgValues:
    """The resolved mapping: a value (or None) per target, and the fixed values."""

    resolutions: tuple[Resolution, ...] = ()
    fixed: dict[str, dict[str, str]] = field(default_factory=dict)  # module -> field -> value
    problems: tuple[str, ...] = ()  # fixed values the org no longer takes
    unfed: tuple[Unfed, ...] = ()

    def value(self, module: str, api_name: str, state: QbState) -> str | None:
        for r in self.resolutions:
            t = r.target
            if t.module == module and t.field == api_name and state in t.states:
                return r.value
        return None

    def target_for(self, module: str, api_name: str, state: QbState | None) -> Target | None:
        return next((t for t in TARGETS if t.module == module and t.field == api_name
                     and (state is None or state in t.states)), None)


NO_VALUES = OrgValues()


def _fed(module: str) -> frozenset[str]:
    return frozenset({r.zoho for r in FIELD_MAPS.get(module, ())} | {QBD_KEY}
                     | _OURS.get(module, frozenset()))


def _fixed(meta: OrgMeta, overrides: Mapping[str, str]
           ) -> tuple[dict[str, dict[str, str]], list[str]]:
    fixed: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for key, value in overrides.items():
        module, dot, api_name = key.partition(".")
        if not dot or not value:
            continue
        info = meta.field(module, api_name)
        if info is None:
            problems.append(f"{key} (fixed value {value!r}): the org has no such field")
            continue
        fitted = canonical(info, value) if info.choices else value
        if fitted is None:
            problems.append(f"{key}: {value!r} is no longer one of its values in Zoho")
        elif info.length is not None and len(fitted) > info.length:
            problems.append(f"{key}: {value!r} is longer than the field's {info.length}")
        else:
            fixed.setdefault(module, {})[api_name] = fitted
    return fixed, problems


def resolve_values(meta: OrgMeta, overrides: Mapping[str, str] | None = None) -> OrgValues:
    """The value mapping for this org: the user's ``overrides`` where given, else by meaning."""
    chosen = dict(overrides or {})
    resolutions = tuple(_resolve(t, meta.field(t.module, t.field), chosen) for t in TARGETS
                        if meta.module(t.module) is not None)
    fixed, problems = _fixed(meta, chosen)
    unfed = tuple(
        Unfed(name, info) for name, module in meta.modules.items() if name in FIELD_MAPS
        for info in module.mandatory()
        if info.api_name not in _fed(name) and info.api_name not in SYSTEM_FILLED
        and info.api_name not in fixed.get(name, {}))
    return OrgValues(resolutions, fixed, tuple(problems), unfed)


def lost_stages(meta: OrgMeta) -> frozenset[str]:
    """Every Deal stage that means lost (offered or not: a record may still hold one)."""
    info = meta.field("Deals", "Stage")
    options: tuple[PicklistOption, ...] = info.options if info else ()
    return frozenset(o.display for o in options if o.forecast_type == "Closed Lost")


def target(key: str) -> Target | None:
    return _BY_KEY.get(key)


def _listing(info: FieldInfo) -> str:
    return ", ".join(o.display for o in info.choices) or "(none)"


def choose(meta: OrgMeta, key: str, value: str) -> str:
    """What to store for the user's ``key=value``: the option's actual value, which survives
    an admin renaming it, or ``UNSET``; ``ValueError`` says why the org refuses it."""
    wanted = target(key)
    module, dot, api_name = key.partition(".")
    if wanted is not None:
        module, api_name = wanted.module, wanted.field
    elif not dot:
        keys = ", ".join(t.key for t in TARGETS)
        raise ValueError(f"{key!r} is neither a mapping ({keys}) nor a Module.Field")
    elif api_name in _fed(module) or api_name in SYSTEM_FILLED:
        raise ValueError(f"{key} is filled from QuickBooks (or by Zoho): it takes no fixed value")
    info = meta.field(module, api_name)
    if info is None:
        raise ValueError(f"the Zoho org has no field {module}.{api_name}")
    if value.strip() in (UNSET, "-"):
        return UNSET
    if info.choices:
        found = _option(info, value)
        if found is None:
            raise ValueError(f"{value!r} is not one of this org's {module}.{api_name} values; "
                             f"it has: {_listing(info)}")
        return found.actual
    if wanted is not None:
        raise ValueError(f"{module}.{api_name} is not a picklist in this org")
    if info.length is not None and len(value) > info.length:
        raise ValueError(f"{key} holds at most {info.length} characters")
    return value

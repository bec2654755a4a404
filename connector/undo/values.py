"""Values as the audit keeps them, read back: to compare with what Zoho holds now, and to
write back what a record held before.

The audit keeps a written value shortened (``connector.audit.short_value``): lookups and
amounts as JSON text (``{"id": "57..."}``, ``"202.27"``), long text cut with ``…``. An old
value of an adopted record is kept whole, as Zoho returned it (lookups as ``{"name", "id"}``).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.audit import short_value

__all__ = ["UNKNOWN", "comparable", "is_cut", "restorable", "same"]


class _Unknown:
    """A value that cannot be told or written back (a subform's rows, a cut text)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
_CUT_AT = len(str(short_value("x" * 1000)))


def is_cut(value: Any) -> bool:
    """The audit kept only the beginning of this text."""
    return isinstance(value, str) and len(value) == _CUT_AT and value.endswith("…")


def _number(text: str) -> str | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return format(number.normalize(), "f") if number.is_finite() else None


def _decoded(text: str) -> Any:
    """JSON text the audit made of a lookup, an amount or a list; other text as it is."""
    if text[:1] in ('{', '[', '"'):
        try:
            return json.loads(text)
        except ValueError:
            return UNKNOWN if text[:1] in ('{', '[') else text
    return text


def comparable(value: Any) -> Any:
    """One canonical text for a value, whichever side it comes from (a lookup by its id, an
    amount by its number, empty as ""), or ``UNKNOWN``."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return _number(str(value)) or str(value)
    if isinstance(value, dict):
        return str(value["id"]) if value.get("id") is not None else UNKNOWN
    if isinstance(value, list):
        return UNKNOWN
    if isinstance(value, str):
        decoded = _decoded(value)
        if decoded is not value:
            return comparable(decoded)
        return _number(value) or value
    return UNKNOWN


def same(recorded: Any, current: Any) -> bool | None:
    """Does Zoho still hold what the audit recorded as written? None: cannot tell."""
    if is_cut(recorded):
        if recorded[:1] in ('{', '['):
            return None
        return isinstance(current, str) and current.startswith(recorded[:-1])
    want, have = comparable(recorded), comparable(current)
    if want is UNKNOWN or have is UNKNOWN:
        return None
    return bool(want == have)


def restorable(value: Any, *, whole: bool) -> Any:
    """The value to send Zoho to put ``value`` back, or ``UNKNOWN``; ``whole``: as Zoho
    returned it (an adopted record's), else as the audit shortened it (a value last synced)."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dict):
        return {"id": str(value["id"])} if value.get("id") is not None else UNKNOWN
    if isinstance(value, list) or not isinstance(value, str):
        return UNKNOWN
    if whole:
        return value
    if is_cut(value):
        return UNKNOWN
    decoded = _decoded(value)
    if decoded is value:
        return value
    if isinstance(decoded, str):  # an amount the audit kept as JSON text
        return Decimal(decoded) if _number(decoded) is not None else decoded
    return restorable(decoded, whole=True)

"""Checking one field value the way Zoho does: type, length, picklist, lookup target."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.sandbox.zoho.errors import RecordFailure
from connector.sandbox.zoho.schema import Field

__all__ = ["coerce", "is_blank", "money", "EXPECTED_TYPE"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NUMERIC = ("integer", "bigint", "double", "currency", "decimal")

# What Zoho names in ``details.expected_data_type`` when a value has the wrong type.
EXPECTED_TYPE: dict[str, str] = {
    "integer": "integer", "bigint": "bigint", "double": "double", "currency": "double",
    "decimal": "double", "boolean": "boolean", "date": "date", "datetime": "datetime",
    "lookup": "jsonobject", "ownerlookup": "jsonobject", "subform": "jsonarray",
}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def money(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _invalid(f: Field, path: str, **extra: Any) -> RecordFailure:
    details: dict[str, Any] = {"api_name": f.api_name, "json_path": path, **extra}
    return RecordFailure("INVALID_DATA", "invalid data", details)


def _text(f: Field, value: Any, path: str) -> Any:
    if not isinstance(value, str):
        raise _invalid(f, path, expected_data_type="text")
    if len(value) > f.length:
        raise _invalid(f, path, maximum_length=f.length)
    if f.data_type == "email" and value and not _EMAIL.match(value):
        raise _invalid(f, path)
    # A picklist takes only the display values it lists (Zoho's Kaizen #205: "Use the
    # display_value in API requests"); anything else is INVALID_DATA naming the field.
    if f.pick_list and value not in {o.display for o in f.pick_list}:
        raise _invalid(f, path)
    return value


def _number(f: Field, value: Any, path: str) -> Any:
    if isinstance(value, bool):
        raise _invalid(f, path, expected_data_type=EXPECTED_TYPE[f.data_type])
    if f.data_type in ("integer", "bigint"):
        if isinstance(value, int):
            return value
        raise _invalid(f, path, expected_data_type=EXPECTED_TYPE[f.data_type])
    try:
        number = Decimal(str(value)) if isinstance(value, (int, float, str)) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _invalid(f, path, expected_data_type=EXPECTED_TYPE[f.data_type])
    return float(number)


def _boolean(f: Field, value: Any, path: str) -> Any:
    if not isinstance(value, bool):
        raise _invalid(f, path, expected_data_type="boolean")
    return value


def _date(f: Field, value: Any, path: str) -> Any:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _invalid(f, path, expected_data_type="date") from None
    return value


def _datetime(f: Field, value: Any, path: str) -> Any:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise _invalid(f, path, expected_data_type="datetime") from None
    if parsed.tzinfo is None:
        raise _invalid(f, path, expected_data_type="datetime")
    return value


CHECKS: dict[str, Callable[[Field, Any, str], Any]] = {
    "text": _text, "textarea": _text, "email": _text, "phone": _text, "website": _text,
    "picklist": _text, "boolean": _boolean, "date": _date, "datetime": _datetime,
    **dict.fromkeys(_NUMERIC, _number),
}


def coerce(f: Field, value: Any, path: str, exists: Callable[[str, str], bool]) -> Any:
    """The stored form of ``value`` for field ``f``, or a RecordFailure naming the JSON path.

    Lookups are stored as the target id and must name an existing record of the target
    module; ``exists(module, id)`` answers that.
    """
    if value is None:
        return None
    if f.data_type == "lookup":
        target = value.get("id") if isinstance(value, dict) else value
        if not isinstance(target, (str, int)) or isinstance(target, bool):
            raise _invalid(f, path, expected_data_type="jsonobject")
        if not exists(f.lookup_module or "", str(target)):
            raise RecordFailure("INVALID_DATA", "the id given seems to be invalid",
                                {"api_name": f.api_name, "json_path": path, "id": str(target)})
        return str(target)
    check = CHECKS.get(f.data_type)
    if check is None:  # ownerlookup and other system kinds: Zoho keeps its own value
        return value
    return check(f, value, path)

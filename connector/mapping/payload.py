"""A mapped Zoho record and the stable hash that tells whether it changed since last time."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from connector.mapping.keys import LinkKind

__all__ = ["Mapped", "content_hash", "field_hashes", "changed_fields"]


def _canonical(value: object) -> str:
    if isinstance(value, Decimal):
        # 12.50 and 12.5 are the same amount to Zoho: hash the normalised number.
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be hashed into a Zoho payload")


def _dumps(value: object) -> str:
    return json.dumps(value, default=_canonical, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def _value_text(value: object) -> str:
    # Scalars skip the JSON encoder: most fields are plain text, and this runs per field.
    if value is None or isinstance(value, (str, bool, int)):
        return f"{type(value).__name__}:{value}"
    if isinstance(value, Decimal):
        return f"Decimal:{_canonical(value)}"
    return f"json:{_dumps(value)}"


def field_hashes(payload: dict[str, Any]) -> dict[str, str]:
    """A short hash of each field's value: enough to tell which fields changed."""
    return {name: hashlib.blake2b(_value_text(value).encode(), digest_size=8).hexdigest()
            for name, value in payload.items()}


def content_hash(payload: dict[str, Any], fields: dict[str, str] | None = None) -> str:
    """SHA-256 over the fields' hashes in name order: the whole payload, canonically (key
    order and trailing zeros of amounts do not matter, values do)."""
    hashes = fields if fields is not None else field_hashes(payload)
    text = "\n".join(f"{name}={hashes[name]}" for name in sorted(hashes))
    return hashlib.sha256(text.encode()).hexdigest()


def changed_fields(before: dict[str, str] | None, after: dict[str, str]) -> list[str]:
    """Fields whose hash differs (all of them when nothing was known before)."""
    if not before:
        return sorted(after)
    return sorted(name for name in after.keys() | before.keys()
                  if before.get(name) != after.get(name))


@dataclass
class Mapped:
    """One Zoho record to write for one QuickBooks record (``payload`` carries QBD_Key)."""

    kind: LinkKind
    qb_id: str
    edit_sequence: str | None
    payload: dict[str, Any]
    # Ids of records related after the write (a Deal's Products); part of the hash.
    related: tuple[str, ...] = ()
    label: str = ""
    hash: str = field(init=False)
    fields: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.fields = field_hashes(self.payload)
        related = field_hashes({"__related": list(self.related)})
        self.hash = content_hash(self.payload, {**self.fields, **related})

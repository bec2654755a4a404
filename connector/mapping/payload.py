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


def content_hash(payload: dict[str, Any]) -> str:
    """SHA-256 of the payload as canonical JSON (sorted keys, Decimals normalised)."""
    return hashlib.sha256(_dumps(payload).encode()).hexdigest()


def field_hashes(payload: dict[str, Any]) -> dict[str, str]:
    """A short hash of each field's value: enough to tell which fields changed."""
    return {name: hashlib.sha256(_dumps(value).encode()).hexdigest()[:16]
            for name, value in payload.items()}


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
        self.hash = content_hash({**self.payload, "__related": list(self.related)})
        self.fields = field_hashes(self.payload)

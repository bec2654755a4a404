"""A mapped Zoho record and the stable hash that tells whether it changed since last time."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from connector.mapping.keys import LinkKind

__all__ = ["Mapped", "Note", "content_hash", "field_hashes", "changed_fields"]


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


@dataclass(frozen=True)
class Note:
    """A warning that goes with a written record into the audit (text cut to fit, a value
    the org does not take, an invoice adjustment beyond rounding)."""

    code: str
    message: str


@dataclass
class Mapped:
    """One Zoho record to write for one QuickBooks record (``payload`` carries QBD_Key)."""

    kind: LinkKind
    qb_id: str
    edit_sequence: str | None
    payload: dict[str, Any]
    # Ids of records related after the write (a Deal's Products); part of the hash.
    related: tuple[str, ...] = ()
    # The related list ``related`` goes to ("Products"): its hash is kept among the fields,
    # so a later write knows the list changed and ids must be unrelated.
    related_list: str | None = None
    label: str = ""
    # Fields that follow a QuickBooks state, not a value (a Deal's Stage follows open / paid /
    # voided): hashed by the state, sent when the record is created and when the state
    # changes; in between the field is Zoho's (a salesperson moves the stage). The payload
    # may lack the field: no value of the org fits that state.
    states: dict[str, str] = field(default_factory=dict)
    # Fields sent only to create the record (fixed values for fields QuickBooks does not
    # feed); not hashed, so changing the fixed value rewrites nothing.
    create_only: frozenset[str] = frozenset()
    notes: tuple[Note, ...] = ()
    hash: str = field(init=False)
    fields: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        hashed = {k: v for k, v in self.payload.items()
                  if k not in self.create_only and k not in self.states}
        hashed.update({name: f"@state:{state}" for name, state in self.states.items()})
        self.fields = field_hashes(hashed)
        related = field_hashes({"__related": list(self.related)})
        if self.related_list:
            self.fields[self.related_list] = related["__related"]
        self.hash = content_hash(hashed, {**self.fields, **related})

    def payload_for(self, previous: dict[str, str] | None, *, creating: bool,
                    always: frozenset[str] = frozenset()) -> dict[str, Any]:
        """What to send: everything to create the record; to update a record written before
        (``previous``: the link's field hashes), only the fields whose value changed since,
        and ``always`` (the key upserts dedupe on). Sending the rest would put back values
        Zoho changed meanwhile: the other side's edit would be lost, and then taken for the
        echo of our own write. A state field goes only when its state changed; a link
        written before states were hashed holds none, and the state goes once more. With no
        ``previous`` (a record adopted by match, a forced resync) all but the create-only
        fields go."""
        if creating:
            return dict(self.payload)
        out = {k: v for k, v in self.payload.items() if k not in self.create_only}
        if previous is None:
            return out
        return {k: v for k, v in out.items()
                if k in always or previous.get(k) != self.fields.get(k)}

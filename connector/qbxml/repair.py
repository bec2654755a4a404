"""Characters XML cannot carry, found in a QuickBooks record: removed from what a person
typed, fatal anywhere else.

Control characters reach QuickBooks when someone pastes into a memo, a note or an address;
QuickBooks keeps them and writes them out, which no XML parser accepts. The parser sees each
as ``MARK`` (``connector.xmlsafe``). In free text the mark is dropped: nobody meant an
invisible control character, and the rest of the text is what they typed. In an id, an
EditSequence, a date or an amount, QuickBooks wrote the value itself; a guessed value could
link or overwrite the wrong Zoho record, so the record is not read (and audited as such).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.qbxml.models import LINE_KIND
from connector.qbxml.text import FIELD_LIMITS
from connector.xmlsafe import MARK

__all__ = ["FREE_TEXT", "Repaired", "Repair", "repair", "qb_type_of"]

# Element names holding text a person types in QuickBooks (FIELD_LIMITS lists what we write
# ourselves; the rest are read-only here).
FREE_TEXT: frozenset[str] = frozenset(FIELD_LIMITS) | {
    "FullName", "DataExtName", "DataExtValue", "JobDesc", "Mobile", "Pager", "Website",
    "AltEmail", "ResaleNumber", "FOB", "Other", "SalesDesc", "PurchaseDesc", "Comment",
}


@dataclass(frozen=True)
class Repaired:
    """One record read after removing characters XML cannot carry from its free text."""

    record: str  # the *Ret element, e.g. "CustomerRet"
    record_id: str | None  # its ListID or TxnID
    fields: tuple[str, ...]  # element paths, e.g. ("Notes", "BillAddress/Addr1")
    removed: int

    @property
    def qb_type(self) -> str:
        return qb_type_of(self.record)

    def __str__(self) -> str:
        return (f"{self.qb_type} {self.record_id or '?'}: removed {self.removed} character(s) "
                f"XML cannot carry from {', '.join(self.fields)}")


@dataclass
class Repair:
    """What ``repair`` did to one record's values."""

    fields: list[str] = field(default_factory=list)
    removed: int = 0
    broken: list[str] = field(default_factory=list)


def qb_type_of(record: str) -> str:
    """``CustomerRet`` -> ``Customer``; every ``Item…Ret`` -> ``Item``."""
    name = record.removesuffix("Ret")
    return "Item" if name.startswith("Item") else name


def repair(data: dict[str, Any], path: str = "", out: Repair | None = None) -> Repair:
    """Remove marks from free text in ``data`` (in place); the paths of any other values that
    hold one are returned as ``broken``."""
    out = out or Repair()
    for key, value in data.items():
        where = f"{path}{key}"
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            at = where
            if isinstance(value, list):
                # Invoice lines and line groups share one list; each says which it was.
                tag = item.get(LINE_KIND) if isinstance(item, dict) else None
                at = f"{path}{tag or key}[{index + 1}]"
            if isinstance(item, dict):
                repair(item, f"{at}/", out)
            elif isinstance(item, str) and MARK in item:
                _fix(data, key, value, index, item, at, out)
    return out


def _fix(data: dict[str, Any], key: str, value: Any, index: int, text: str, at: str,
         out: Repair) -> None:
    if key not in FREE_TEXT:
        out.broken.append(at)
        return
    cleaned = text.replace(MARK, "")
    out.removed += len(text) - len(cleaned)
    out.fields.append(at)
    if isinstance(value, list):
        value[index] = cleaned
    else:
        data[key] = cleaned

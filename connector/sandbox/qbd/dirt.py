"""Characters XML cannot carry, as QuickBooks writes them.

QuickBooks keeps whatever was pasted into a text field (a vertical tab from a spreadsheet
cell, an escape from a barcode scanner) and writes it out raw in its qbXML, which no XML
parser accepts. lxml refuses to build such text, so the simulator writes a private-use
stand-in and swaps the real control character in after serialising.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

__all__ = ["Soiling", "soil", "raw_controls", "ILLEGAL_CONTROLS"]

ILLEGAL_CONTROLS = frozenset(chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))
_STAND_IN = 0xE000  # U+E000 + code: private use, legal in XML, never in the simulator's data
# ISO-8859-1 serialisation writes a stand-in as a character reference.
_STAND_IN_REF = re.compile(r"&#(5734[4-9]|573[5-6][0-9]|5737[0-5]);")


@dataclass(frozen=True)
class Soiling:
    """Put ``chars`` inside every element named in ``fields`` (of records ``ids`` only)."""

    chars: str
    fields: frozenset[str]
    ids: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not self.chars or set(self.chars) - ILLEGAL_CONTROLS:
            raise ValueError("chars must be control characters XML cannot carry (C0 but tab, "
                             "line feed and carriage return)")


def _record_id(ret: etree._Element) -> str | None:
    return ret.findtext("ListID") or ret.findtext("TxnID")


def soil(answer: etree._Element, rules: Iterable[Soiling]) -> None:
    """Insert each rule's stand-ins in the middle of the matching elements' text."""
    for rule in rules:
        stand_in = "".join(chr(_STAND_IN + ord(ch)) for ch in rule.chars)
        for ret in answer.iter():
            if not isinstance(ret.tag, str) or not ret.tag.endswith("Ret"):
                continue
            if rule.ids is not None and _record_id(ret) not in rule.ids:
                continue
            for element in ret.iter(*rule.fields):
                text = element.text or ""
                middle = len(text) // 2
                element.text = text[:middle] + stand_in + text[middle:]


def raw_controls(serialised: str) -> str:
    """The serialised document with every stand-in replaced by its real control character."""
    return _STAND_IN_REF.sub(lambda m: chr(int(m.group(1)) - _STAND_IN), serialised)

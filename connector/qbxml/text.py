"""Text rules for what we send QuickBooks: length limits, characters, dates, booleans.

QuickBooks Desktop refuses (or silently cuts) text longer than its field limits and stores text
as ISO-8859-1. Every change we make to a value on the way out is recorded as a ``TextWarning``
so nothing is altered silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "FIELD_LIMITS",
    "TextWarning",
    "clean_text",
    "format_bool",
    "format_datetime",
]

# Maximum lengths QuickBooks Desktop (US) accepts, by element name, from the "max length = N
# for QBD" notes of Intuit's qbxmlops130 sample. STRTYPE carries no maxLength in the XSD, so
# these limits are ours to enforce.
FIELD_LIMITS: dict[str, int] = {
    "Name": 41,
    "CompanyName": 41,
    "Salutation": 15,
    "FirstName": 25,
    "MiddleName": 5,
    "LastName": 25,
    "JobTitle": 41,
    "Addr1": 41,
    "Addr2": 41,
    "Addr3": 41,
    "Addr4": 41,
    "Addr5": 41,
    "City": 31,
    "State": 21,
    "PostalCode": 13,
    "Country": 31,
    "Note": 41,
    "Phone": 21,
    "AltPhone": 21,
    "Fax": 21,
    "Email": 1023,
    "Cc": 1023,
    "Contact": 41,
    "AltContact": 41,
    "AccountNumber": 99,
    "Notes": 4095,
    "RefNumber": 11,
    "PONumber": 25,
    "Memo": 4095,
    "Desc": 4095,
    "Other1": 29,
    "Other2": 29,
}

# Characters XML 1.0 cannot carry at all (C0 controls except tab, LF, CR; lone surrogates;
# U+FFFE/U+FFFF). lxml refuses them, QuickBooks would too.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class TextWarning:
    """One value we changed (or flagged) on its way to QuickBooks."""

    field: str  # path such as "CustomerAdd/BillAddress/Addr1"
    kind: str  # "truncated" | "control_chars_removed" | "non_latin1"
    original: str
    sent: str

    def __str__(self) -> str:
        return f"{self.field}: {self.kind} ({self.original!r} -> {self.sent!r})"


def clean_text(value: str, *, field: str, limit: int | None,
               warnings: list[TextWarning]) -> str:
    """Return ``value`` as QuickBooks can store it, appending a warning for every change.

    Text is NFC-normalised first so that "e" + combining accent becomes the Latin-1 "é" rather
    than a character reference QuickBooks cannot show. Characters outside ISO-8859-1 are kept:
    the serialiser writes them as ``&#NNN;`` references, and we flag them because a
    non-Unicode QuickBooks may display them as "?".
    """
    if not isinstance(value, str):
        raise TypeError(f"{field}: expected text, got {type(value).__name__}")
    text = unicodedata.normalize("NFC", value)
    stripped = _XML_ILLEGAL.sub("", text)
    if stripped != text:
        warnings.append(TextWarning(field, "control_chars_removed", value, stripped))
        text = stripped
    if limit is not None and len(text) > limit:
        warnings.append(TextWarning(field, "truncated", value, text[:limit]))
        text = text[:limit]
    if any(ord(ch) > 0xFF for ch in text):
        warnings.append(TextWarning(field, "non_latin1", value, text))
    return text


def format_datetime(value: datetime, *, field: str) -> str:
    """ISO 8601 with an explicit offset and whole seconds, as DATETIMETYPE's pattern wants."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field}: datetime {value.isoformat()} has no timezone; "
                         "pass an aware datetime (UTC or the company's local offset)")
    return value.replace(microsecond=0).isoformat()


def format_bool(value: bool) -> str:
    return "true" if value else "false"

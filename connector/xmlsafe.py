"""Parsing untrusted XML: no entity expansion, no DTDs, no network, bounded size.

QuickBooks also writes characters XML cannot carry (control characters pasted into memos
and notes), raw or as character references such as ``&#xB;``; a strict parser refuses the
whole document for one of them. ``IllegalCharMarker`` turns each into ``MARK`` (a Unicode
noncharacter, legal in XML and never sent by QuickBooks) before parsing, so the document
parses and the reader of each record decides what a mark means there.
"""

from __future__ import annotations

import re

from lxml import etree

__all__ = ["UnsafeXmlError", "safe_parser", "parse_xml", "MARK", "IllegalCharMarker",
           "mark_illegal_text"]

# U+FDD0 is one of Unicode's noncharacters: "for internal use", never interchanged, yet a
# legal XML character. It stands for "a character XML could not carry was here".
MARK = "\ufdd0"
_MARK_REF = b"&#xFDD0;"
# Raw bytes no XML 1.0 document may hold (C0 controls but tab, LF and CR), character
# references (which may name an illegal character), and the mark itself in UTF-8.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_REF = re.compile(rb"&#(x[0-9a-fA-F]{1,32}|[0-9]{1,32});")
_MARK_UTF8 = MARK.encode("utf-8")
_RAW_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A chunk ending in the middle of a character reference ("&#x" + up to 32 digits + ";", zero
# padding included) keeps that tail for the next chunk.
_LONGEST_REF = 36


class UnsafeXmlError(ValueError):
    """The document is malformed, too large, or tries to use a DTD or entities."""


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )


def parse_xml(data: str | bytes, *, max_bytes: int | None = None) -> etree._Element:
    """Parse ``data`` refusing DTDs (so no XXE, no billion laughs) and oversize bodies."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if max_bytes is not None and len(raw) > max_bytes:
        raise UnsafeXmlError(f"XML body of {len(raw)} bytes exceeds the {max_bytes}-byte cap")
    try:
        root = etree.fromstring(raw, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(f"malformed XML: {exc}") from exc
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise UnsafeXmlError("XML with a DOCTYPE/DTD is refused")
    return root


def _legal(code: int) -> bool:
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


class IllegalCharMarker:
    """Rewrites a byte stream chunk by chunk, every illegal character becoming ``MARK``.

    Works on any ASCII-compatible encoding (UTF-8, ISO-8859-1: the only ones QuickBooks and
    the Web Connector use), since the bytes it looks at are ASCII. ``marks`` counts the marks
    seen so far, including marks already in the input, so a reader can skip looking for
    them in a document that has none.
    """

    def __init__(self) -> None:
        self.marks = 0
        self._carry = b""

    def _ref(self, match: re.Match[bytes]) -> bytes:
        ref = match.group(1)
        code = int(ref[1:], 16) if ref[:1] == b"x" else int(ref)
        if code == ord(MARK) or not _legal(code):
            self.marks += 1
            return _MARK_REF
        return match.group(0)

    def feed(self, chunk: bytes, *, final: bool = False) -> bytes:
        data = self._carry + chunk if self._carry else chunk
        self._carry = b""
        if not final:
            amp = data.rfind(b"&", max(len(data) - _LONGEST_REF, 0))
            if amp >= 0 and b";" not in data[amp:]:
                data, self._carry = data[:amp], data[amp:]
        # Plain C scans first: a document without suspects (nearly all) costs three of them.
        self.marks += data.count(_MARK_UTF8)
        if b"&#" in data:
            data = _REF.sub(self._ref, data)
        if len(data.translate(None, _CONTROL_BYTES)) != len(data):
            data, found = _CONTROL.subn(_MARK_REF, data)
            self.marks += found
        return data

    def finish(self) -> bytes:
        return self.feed(b"", final=True)


def mark_illegal_text(text: str) -> str:
    """``text`` with every character XML cannot carry (raw) replaced by ``MARK``."""
    return _RAW_ILLEGAL.sub(MARK, text)

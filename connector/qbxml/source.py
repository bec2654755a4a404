"""Opening a response for the streaming parser: text, bytes, a path or a binary file, read
in blocks with every character XML cannot carry turned into ``MARK`` on the way.

A stored response is text (QBWC hands it over as a string); it is encoded a block at a time,
so a large one is never held a second time as bytes.
"""

from __future__ import annotations

import io
import os
import re
from typing import IO, Any, Union

from connector.xmlsafe import IllegalCharMarker, mark_illegal_text

__all__ = ["Source", "MarkedReader", "open_source"]

Source = Union[str, bytes, "os.PathLike[str]", IO[bytes]]

_XML_DECL = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
_TEXT_BLOCK = 256 * 1024  # characters encoded at a time
# UTF-16/32 put NUL bytes (or a BOM) in the first bytes; the marker works on ASCII-compatible
# encodings only, so such a document is read as it is.
_WIDE_STARTS = (b"\xff\xfe", b"\xfe\xff", b"\x00", b"<\x00")


class _TextBytes(io.RawIOBase):
    """UTF-8 bytes of a string, encoded block by block."""

    def __init__(self, text: str) -> None:
        # The text is already decoded: a declaration might name another encoding.
        found = _XML_DECL.match(text[:1024])
        self._text = text
        self._pos = found.end() if found else 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._pos >= len(self._text):
            return b""
        end = len(self._text) if size is None or size < 0 else self._pos + max(size // 4, 1)
        block = self._text[self._pos:end]
        self._pos = end
        # Lone surrogates (from a caller, never from a parsed document) cannot be encoded.
        return mark_illegal_text(block).encode("utf-8")


class MarkedReader(io.RawIOBase):
    """A binary reader passing ``raw``'s bytes through an ``IllegalCharMarker``."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self.marker = IllegalCharMarker()
        self._checked = False
        self._plain = False
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        while not self._done:
            block = self._raw.read(size if size and size > 0 else -1)
            if not self._checked:
                self._checked = True
                self._plain = bytes(block[:2]).startswith(_WIDE_STARTS)
            if self._plain:
                self._done = not block
                return bytes(block)
            if not block:
                self._done = True
                return self.marker.finish()
            out = self.marker.feed(bytes(block))
            if out:
                return out
        return b""

    @property
    def marks(self) -> int:
        return self.marker.marks


def open_source(source: Source) -> tuple[MarkedReader, IO[bytes] | None]:
    """A marked reader over ``source``, and the file this opened (to close), if any."""
    if isinstance(source, str):
        return MarkedReader(_TextBytes(source)), None
    if isinstance(source, bytes):
        return MarkedReader(io.BytesIO(source)), None
    if isinstance(source, os.PathLike):
        opened = open(os.fspath(source), "rb")  # noqa: SIM115 - the caller closes it
        return MarkedReader(opened), opened
    return MarkedReader(source), None

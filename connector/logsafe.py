"""Values from the outside world, shortened for a log line.

A Web Connector, QuickBooks or a caller of ``/zoho/notify`` decides how long the strings we
see are; a log line must not. ``clip`` keeps the start of a value and says how long it was.
"""

from __future__ import annotations

__all__ = ["clip", "CLIP_CHARS"]

# Enough to recognise a user name, a file path or an error message; short enough that one
# refused request is one readable log line.
CLIP_CHARS = 120


def clip(value: object, limit: int = CLIP_CHARS) -> str:
    """``repr`` of ``value``'s first ``limit`` characters, with its full length when longer."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text)} chars)"

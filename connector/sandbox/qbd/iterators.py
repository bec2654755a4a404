"""Query iterators: a snapshot of matching ids handed out page by page, only within one session.

QuickBooks keeps an iterator for the life of the connection that started it; the Web Connector
opens one per session, so once a session ends every ``iteratorID`` answers 3391.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from connector.sandbox.qbd.status import QbStatus

__all__ = ["Iterators", "Page"]


@dataclass(slots=True)
class _Iterator:
    request: str
    ids: list[str]
    position: int
    max_returned: int | None
    options: Any


@dataclass(frozen=True, slots=True)
class Page:
    iterator_id: str
    ids: list[str]
    remaining: int
    options: Any


class Iterators:
    """Open iterators of the current session; ids are deterministic per company file."""

    def __init__(self, namespace: str):
        self._namespace = namespace
        self._counter = 0
        self._open: dict[str, _Iterator] = {}

    def start(self, request: str, ids: list[str], max_returned: int | None, options: Any) -> Page:
        self._counter += 1
        name = uuid.uuid5(uuid.NAMESPACE_URL, f"qbd-sim:{self._namespace}#{self._counter}")
        iterator_id = "{" + str(name) + "}"
        self._open[iterator_id] = _Iterator(request, ids, 0, max_returned, options)
        return self._next(iterator_id, max_returned)

    def resume(self, iterator_id: str | None, request: str, max_returned: int | None) -> Page:
        found = self._open.get(iterator_id or "")
        if found is None or found.request != request:
            raise QbStatus(3391, value=iterator_id or "")
        return self._next(iterator_id or "", max_returned or found.max_returned)

    def stop(self, iterator_id: str | None) -> None:
        if self._open.pop(iterator_id or "", None) is None:
            raise QbStatus(3391, value=iterator_id or "")

    def clear(self) -> None:
        self._open.clear()

    def _next(self, iterator_id: str, max_returned: int | None) -> Page:
        it = self._open[iterator_id]
        end = len(it.ids) if max_returned is None else it.position + max_returned
        ids = it.ids[it.position:end]
        it.position += len(ids)
        remaining = len(it.ids) - it.position
        if remaining == 0:
            # An exhausted iterator is released; continuing it again answers 3391.
            del self._open[iterator_id]
        return Page(iterator_id, ids, remaining, it.options)

"""The next chunk of stored responses read and parsed while this one is written to Zoho.

Reading a chunk is CPU (qbXML parsing) and the store; writing one is mostly waiting on Zoho.
A thread reads one chunk ahead, so the parsing of chunk N+1 runs in the waits of chunk N, and
the first chunk's in those of the org's metadata reads. One chunk ahead at most: memory holds
two chunks whatever the size of the company. When the writer stops (an error, a stop asked
between chunks), the reader stops at its next chunk and nothing it read is lost: a response
is settled only by the writer.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Generic, TypeVar

__all__ = ["read_ahead"]

T = TypeVar("T")


class _Ahead(Generic[T]):
    def __init__(self, source: Iterator[T]):
        self._source = source
        # (item, None) for an item, (None, error) when reading failed, (None, None) at the end.
        self._queue: queue.Queue[tuple[T | None, BaseException | None]] = queue.Queue(1)
        self._stop = threading.Event()
        # The log lines of the reader keep the context of the run that started it.
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._read,),
                                        name="read-ahead", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        end: tuple[T | None, BaseException | None] = (
            None, RuntimeError("reading the stored responses ahead stopped unexpectedly"))
        try:
            for item in self._source:
                if self._stop.is_set():
                    return
                self._queue.put((item, None))
            end = (None, None)
        except Exception as exc:  # noqa: BLE001 - handed to the writer, who raises it
            end = (None, exc)
        finally:
            self._queue.put(end)

    def items(self) -> Iterator[T]:
        while True:
            item, error = self._queue.get()
            if error is not None:
                raise error
            if item is None:
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        # Take what the reader may still be handing over, so its put never blocks for good.
        while self._thread.is_alive():
            with suppress(queue.Empty):
                self._queue.get(timeout=0.05)


@contextmanager
def read_ahead(source: Iterator[T]) -> Iterator[Iterator[T]]:
    """``source``'s items, read one ahead on a thread of their own; ``source`` must not
    yield None. The thread is gone when the block ends, however it ends."""
    ahead = _Ahead(source)
    try:
        yield ahead.items()
    finally:
        ahead.close()

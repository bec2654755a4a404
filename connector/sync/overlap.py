"""Work that runs while the sync waits on Zoho.

``read_ahead``: the next chunk of stored responses read and parsed while this one is written.
Reading a chunk is CPU (qbXML parsing) and the store; writing one is mostly waiting on Zoho.
A thread reads one chunk ahead, so the parsing of chunk N+1 runs in the waits of chunk N, and
the first chunk's in those of the org's metadata reads. Beside the chunk being written, one
waits handed over and one more may be in the reading: memory holds three chunks at most,
whatever the size of the company. When the writer stops (an error, a stop asked between
chunks), the reader stops at its next chunk and nothing it read is lost: a response is
settled only by the writer.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from typing import Generic, TypeVar

__all__ = ["read_ahead", "alongside"]

T = TypeVar("T")


def _thread_of_this_context(target: Callable[[], None], name: str) -> threading.Thread:
    """A daemon thread whose log lines keep the context of the run that started it."""
    context = contextvars.copy_context()
    return threading.Thread(target=context.run, args=(target,), name=name, daemon=True)


class _Ahead(Generic[T]):
    def __init__(self, source: Iterator[T]):
        self._source = source
        # (item, None) for an item, (None, error) when reading failed, (None, None) at the end.
        self._queue: queue.Queue[tuple[T | None, BaseException | None]] = queue.Queue(1)
        self._stop = threading.Event()
        self._thread = _thread_of_this_context(self._read, "read-ahead")
        self._thread.start()

    def _read(self) -> None:
        end: tuple[T | None, BaseException | None] = (
            None, RuntimeError("reading the stored responses ahead stopped unexpectedly"))
        try:
            for item in self._source:
                if self._stop.is_set():
                    return
                self._queue.put((item, None))
                if self._stop.is_set():  # asked while handing over: read no further chunk
                    return
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


@contextmanager
def alongside(work: Callable[[], T]) -> Iterator[Future[T]]:
    """``work`` started on a thread of its own while the block runs; the block takes its
    result from the future it is given. The block's end waits for ``work`` to finish, so
    nothing it does outlives the block, whatever the block raised."""
    done: Future[T] = Future()

    def run() -> None:
        if not done.set_running_or_notify_cancel():
            return
        try:
            done.set_result(work())
        except BaseException as exc:  # noqa: BLE001 - handed to the block, which raises it
            done.set_exception(exc)

    thread = _thread_of_this_context(run, "alongside")
    thread.start()
    try:
        yield done
    finally:
        thread.join()

"""How a run keeps CPython's cyclic garbage collector off the objects that outlive it.

A sync allocates millions of short-lived objects (parsed records, payloads, audit rows). With
CPython's default thresholds that sets off hundreds of collections per run, and the full ones
walk every object the process holds: modules, engines, compiled SQL, a Prefect worker's state.
In a first load of 2,000 customers and 1,000 invoices they took about a quarter of the CPU
(1.0 s of 3.7 s, 0.87 s of it in full collections; ``bench/bench_sync.py``). While a run
works, what existed before it is frozen (``gc.freeze``: left out of every collection until
unfrozen) and young collections come every ``YOUNG_THRESHOLD`` allocations instead of 700; the
same load then spent 0.1 to 0.2 s collecting. Reference counting still frees nearly everything
at once: only garbage in cycles waits a little longer.

Runs overlapping in one process (threads of a worker) share the setting: the first to start
sets it, the last to end gives CPython's back. A host that froze objects itself (as
``ml-connector bridge`` does once its app is built) keeps its own freezing: ``gc.unfreeze``
cannot tell its objects from ours, so a run then only raises the threshold.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["YOUNG_THRESHOLD", "quiet_gc"]

YOUNG_THRESHOLD = 10_000


class _Heap:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0
        self._saved: tuple[int, int, int] = gc.get_threshold()
        self._froze = False

    def enter(self) -> None:
        with self._lock:
            if self._runs == 0:
                self._saved = gc.get_threshold()
                young, *older = self._saved
                self._froze = gc.get_freeze_count() == 0
                if self._froze:
                    gc.freeze()
                gc.set_threshold(max(young, YOUNG_THRESHOLD), *older)
            self._runs += 1

    def leave(self) -> None:
        with self._lock:
            self._runs -= 1
            if self._runs == 0:
                gc.set_threshold(*self._saved)
                if self._froze:
                    gc.unfreeze()


_HEAP = _Heap()


@contextmanager
def quiet_gc() -> Iterator[None]:
    """Collect less often, and never what existed before, while the block runs."""
    _HEAP.enter()
    try:
        yield
    finally:
        _HEAP.leave()

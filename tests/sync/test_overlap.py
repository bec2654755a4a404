"""Work beside the writes: the next chunk read on a thread while this one is written (one
ahead, errors handed over, nothing left running when the writer stops), and calls made while
the block does its own."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator

import pytest

from connector.sync.overlap import alongside, read_ahead

RUN = contextvars.ContextVar("RUN", default="none")


class Source:
    """Items 0..n-1, noting how many were taken and on which threads."""

    def __init__(self, n: int, fail_at: int | None = None):
        self.n, self.fail_at = n, fail_at
        self.taken = 0
        self.threads: set[str] = set()
        self.runs: set[str] = set()

    def __iter__(self) -> Iterator[int]:
        for i in range(self.n):
            if i == self.fail_at:
                raise ValueError(f"response #{i} unreadable")
            self.taken += 1
            self.threads.add(threading.current_thread().name)
            self.runs.add(RUN.get())
            yield i


def _reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "read-ahead"]


def test_items_come_in_order_read_on_another_thread_at_most_one_ahead() -> None:
    source = Source(6)
    got = []
    RUN.set("run 7")
    with read_ahead(iter(source)) as items:
        for item in items:
            # One waits in the queue, one more may wait to be put: never the whole source.
            assert source.taken <= item + 3
            got.append(item)
    assert got == list(range(6))
    assert source.threads == {"read-ahead"} and source.runs == {"run 7"}
    assert not _reader_threads()


def test_a_read_that_fails_is_raised_to_the_writer_after_what_came_before() -> None:
    got = []
    with pytest.raises(ValueError, match="#3 unreadable"), \
            read_ahead(iter(Source(6, fail_at=3))) as items:
        got.extend(items)
    assert got == [0, 1, 2]
    assert not _reader_threads()


def test_a_writer_that_stops_stops_the_reader_without_reading_the_rest() -> None:
    source = Source(1000)
    with pytest.raises(RuntimeError, match="stop asked"), \
            read_ahead(iter(source)) as items:
        for item in items:
            if item == 2:
                raise RuntimeError("stop asked between chunks")
    assert not _reader_threads()
    assert source.taken <= 5


def test_work_alongside_runs_while_the_block_does_and_hands_over_its_result() -> None:
    RUN.set("run 8")
    started, release = threading.Event(), threading.Event()

    def work() -> tuple[str, str]:
        started.set()
        assert release.wait(5)
        return threading.current_thread().name, RUN.get()

    with alongside(work) as result:
        assert started.wait(5) and not result.done()  # running while the block runs
        release.set()
        assert result.result(5) == ("alongside", "run 8")


def test_work_alongside_that_fails_raises_where_its_result_is_taken() -> None:
    def work() -> int:
        raise LookupError("org gone")

    with pytest.raises(LookupError, match="org gone"), alongside(work) as result:
        result.result()


def test_a_block_that_fails_waits_for_the_work_before_raising() -> None:
    finished: list[bool] = []

    def work() -> None:
        time.sleep(0.05)
        finished.append(True)

    with pytest.raises(RuntimeError, match="metadata"), alongside(work):
        raise RuntimeError("metadata unreadable")
    assert finished == [True]

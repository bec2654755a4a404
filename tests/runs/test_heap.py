"""Runs overlapping in one process share one garbage-collector setting and give it back."""

from __future__ import annotations

import gc
import threading

import pytest

from connector.runs.heap import YOUNG_THRESHOLD, quiet_gc


def test_overlapping_runs_share_the_setting_until_the_last_one_ends() -> None:
    default = gc.get_threshold()
    first_in, second_out = threading.Event(), threading.Event()
    during: list[int] = []

    def first() -> None:
        with quiet_gc():
            first_in.set()
            second_out.wait(5)
            during.append(gc.get_threshold()[0])

    worker = threading.Thread(target=first)
    worker.start()
    assert first_in.wait(5)
    with quiet_gc():
        pass
    second_out.set()
    worker.join(5)
    assert during == [max(default[0], YOUNG_THRESHOLD)]
    assert gc.get_threshold() == default and gc.get_freeze_count() == 0


@pytest.mark.parametrize("young", [700, 50_000])
def test_a_host_that_set_its_own_threshold_gets_it_back(young: int) -> None:
    default = gc.get_threshold()
    gc.set_threshold(young, *default[1:])
    try:
        with quiet_gc():
            assert gc.get_threshold()[0] == max(young, YOUNG_THRESHOLD)
        assert gc.get_threshold()[0] == young
    finally:
        gc.set_threshold(*default)


def test_a_host_that_froze_its_own_objects_keeps_them_frozen() -> None:
    gc.freeze()
    try:
        with quiet_gc():
            assert gc.get_threshold()[0] >= YOUNG_THRESHOLD
        # Still frozen (the count may drop by what reference counting freed meanwhile).
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()

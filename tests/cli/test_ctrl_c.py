"""Ctrl-C during a run asks it to stop at its next safe point; a second one stops at once."""

from __future__ import annotations

import os
import signal

import pytest

from connector.cli.common import CtrlC
from connector.errors import Interrupted


def test_the_first_ctrl_c_asks_the_second_stops_and_the_handler_goes_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    ctrl_c = CtrlC()
    ctrl_c.check()  # nothing asked: the run goes on
    with ctrl_c.armed():
        os.kill(os.getpid(), signal.SIGINT)  # delivered to this (main) thread, handled here
        assert ctrl_c.asked.is_set()
        with pytest.raises(Interrupted, match="stopped by Ctrl-C"):
            ctrl_c.check()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            signal.sigtimedwait([], 0)  # give the handler a bytecode boundary to run at
    assert signal.getsignal(signal.SIGINT) is before

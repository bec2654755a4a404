"""``ml-connector flows run``: Ctrl-C stops a flow at once, though the flows are async."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from connector.cli.flows import interruptible


def test_ctrl_c_stops_an_async_flow_with_a_synchronous_body_at_once() -> None:
    # asyncio.run alone turns Ctrl-C into a cancellation that lands only once the body is
    # done (here, after 30 s of work).
    started = threading.Event()
    finished: list[bool] = []

    async def flow_run() -> None:
        started.set()
        for _ in range(600):
            time.sleep(0.05)
        finished.append(True)

    def press_ctrl_c() -> None:
        if started.wait(30):
            os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    threading.Thread(target=press_ctrl_c, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        interruptible(flow_run())
    assert not finished
    assert signal.getsignal(signal.SIGINT) is before

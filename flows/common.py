"""What every flow shares: the run environment, the retry rule, and how a run's result
reaches the Prefect UI (artifact, logs, state). Decisions live in ``connector.runs``.

Every flow is ``async`` only so that its run ends when its work does. Prefect's engine keeps
a heartbeat thread beside each flow run that sleeps in steps of a second; it joins that thread
when a sync flow ends (adding up to a second to every run, 0.6 s on average), and lets it stop
on its own after an async one. The bodies stay synchronous: they call their tasks one after
another on the event loop's thread, which Prefect's run does not need while they work (logs,
events and heartbeats have threads of their own; a worker cancels a run with SIGTERM, which
Prefect handles in the main thread). Hence, in a flow body:

- Prefect's dual functions (artifacts, ``State.result``, variables) would return coroutines
  nobody awaits: call them in the tasks, where they run synchronously, as every flow here does;
- no ``timeout_seconds``: an async flow's timeout is a cancellation, which cannot land in a
  synchronous body.

Call a flow with ``asyncio.run``; ``ml-connector flows run`` uses ``interruptible`` so that
Ctrl-C stops it at once.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    update_progress_artifact,
)
from prefect.client.schemas.objects import State
from prefect.logging.handlers import APILogHandler
from prefect.runtime import flow_run, task_run
from prefect.states import Completed

from connector.config import Settings
from connector.errors import RetriableError
from connector.runs import RunEnv, RunResult
from connector.runs.result import WAITING_STATE
from connector.sync.progress import Progress, ProgressReport

__all__ = ["PROGRESS_EVERY", "RETRY_DELAYS", "RunFailed", "connector_logs", "finish",
           "progress_bar", "publish", "retry_only_retriable", "run_env", "waiting_state"]

# Seconds between a task's tries: long enough for a 429 window or a Zoho hiccup to pass.
RETRY_DELAYS: list[float] = [30.0, 120.0, 300.0]

# Least seconds between two moves of a run's progress bar (its last move is never held back).
PROGRESS_EVERY = 5.0


class RunFailed(RuntimeError):
    """A run ended failed or abandoned for a reason that is not an exception of ours."""


class _BaseEnv:
    """One engine per process, for its MLC_* environment: every task of every flow run in the
    process shares it. A new environment (a test, or a process serving flows whose settings
    were changed) gets a new engine, and the old one's idle connections are closed: kept, each
    left engine would hold a few of the server's connection slots for the process's life."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: tuple[tuple[tuple[str, str], ...], RunEnv] | None = None

    def __call__(self, environment: tuple[tuple[str, str], ...]) -> RunEnv:
        with self._lock:
            if self._current is None or self._current[0] != environment:
                self._close()
                self._current = (environment, RunEnv.from_settings(Settings()))
            return self._current[1]

    def close(self) -> None:
        """Close the engine's idle connections and forget it; the next run opens another."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._current is not None:
            # A run still working keeps the connection it holds until it gives it back.
            self._current[1].db.dispose()
            self._current = None


_base_env = _BaseEnv()


def run_env() -> RunEnv:
    """The environment of the current flow run (its id, and which try of the task this is)."""
    run_id = str(flow_run.id) if flow_run.id else None
    attempt = int(task_run.run_count or 1) if task_run.id else 1
    mlc = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("MLC_")))
    return _base_env(mlc).for_run(
        run_id, attempt, origin=f"Prefect flow run {flow_run.name}")


def publish(result: RunResult) -> None:
    create_markdown_artifact(result.markdown(), key=result.artifact_key,
                             description=f"{result.summary.flow} audit run "
                                         f"{result.summary.run_id}")


def finish(result: RunResult) -> dict[str, Any]:
    """Publish the run's audit; raise what stopped it (so Prefect retries a retriable error
    and shows the rest as failed), else return its counts."""
    publish(result)
    if result.failed:
        raise result.error or RunFailed(result.message)
    return result.outcome()


def waiting_state(message: str, data: Any) -> State[Any]:
    """A flow run whose work waits for a person (a first load's plan): Completed, since
    nothing failed and retrying cannot help, but named so the UI and its events
    (``prefect.flow-run.Waiting``) tell it from a run that did its work."""
    return Completed(name=WAITING_STATE, message=message, data=data)


def progress_bar(key: str, description: str, *, eager: bool = False,
                 every: float = PROGRESS_EVERY,
                 monotonic: Callable[[], float] = time.monotonic) -> Progress:
    """Log every progress report of a run, and show it as a progress artifact: from the
    start (``eager``), or once a run turns out to take more than one chunk (a first load),
    so the many short runs of a watching flow don't each leave a bar behind. The bar moves
    at most once every ``every`` seconds, and always to its end: each move is a round trip
    to the Prefect API in the sync's own thread, and a chunk can take well under a second."""
    logger = get_run_logger()
    bar: UUID | None = None
    moved = -math.inf

    def create(percent: float) -> None:
        nonlocal bar, moved
        made = create_progress_artifact(percent, key=key, description=description)
        bar = made if isinstance(made, UUID) else None
        moved = monotonic()

    if eager:
        create(0.0)

    def report(progress: ProgressReport) -> None:
        nonlocal moved
        if bar is not None:
            if progress.done >= progress.total or monotonic() - moved >= every:
                update_progress_artifact(bar, progress.percent)
                moved = monotonic()
        elif progress.done < progress.total:
            create(progress.percent)
        logger.info("synced %s", progress.line())

    return report


def retry_only_retriable(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's retry_condition_fn: retry network trouble, 429, 5xx and locks, nothing else
    (a wrong configuration or a revoked token does not heal by waiting)."""
    try:
        state.result()
    except RetriableError:
        return True
    except Exception:  # noqa: BLE001 - every other failure is final
        return False
    return False


class _Onward(logging.Handler):
    """Hands the records at ``level`` and above on to the handlers above ``logger`` (the
    console), as propagation would have."""

    def __init__(self, logger: logging.Logger, level: int):
        super().__init__(level)
        self._above = logger.parent

    def emit(self, record: logging.LogRecord) -> None:
        above = self._above
        while above is not None:
            for handler in above.handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)
            above = above.parent if above.propagate else None


@contextmanager
def connector_logs(level: int = logging.INFO) -> Iterator[None]:
    """Send the connector's own log lines (retries, stop reasons, per-company counts) to the
    current flow run's logs in the Prefect UI. The console goes on showing what it showed
    before (Prefect's shows warnings): the lines let through only for the UI are not
    printed there too, as Rich renders each one in about a millisecond, and a first load
    logs one per record written not exactly as QuickBooks has it."""
    logger = logging.getLogger("connector")
    shown = logger.getEffectiveLevel()
    previous, propagate = logger.level, logger.propagate
    handlers: list[logging.Handler] = [APILogHandler(level=level)]
    if shown > level:
        handlers.append(_Onward(logger, shown))
        logger.setLevel(level)
        logger.propagate = False
    for handler in handlers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
        logger.setLevel(previous)
        logger.propagate = propagate

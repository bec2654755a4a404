"""What every subcommand needs: settings, a lazily opened database, friendly failures."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property, update_wrapper
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import click

from connector.errors import ConnectorError, Interrupted

if TYPE_CHECKING:
    from connector.config import Settings
    from connector.crypto import SecretBox
    from connector.runs import RunEnv
    from connector.store import Database

__all__ = ["AppContext", "CtrlC", "pass_app"]

F = TypeVar("F", bound=Callable[..., Any])


class CtrlC:
    """Ctrl-C during a run: the first asks the run to stop at its next safe point (between
    steps, the run ended ``failed`` and its lease released); the second stops at once. A
    KeyboardInterrupt raised anywhere, in the middle of a write, could leave a transaction
    open that locks a SQLite store until the process ends, and the run marked running."""

    def __init__(self) -> None:
        self.asked = threading.Event()

    def check(self) -> None:
        if self.asked.is_set():
            raise Interrupted("stopped by Ctrl-C between two steps; what Zoho accepted is "
                              "recorded, and running the command again goes on")

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        if self.asked.is_set():
            raise KeyboardInterrupt
        self.asked.set()
        click.echo("\nstopping after the current step; Ctrl-C again stops at once", err=True)

    @contextmanager
    def armed(self) -> Iterator[None]:
        """Ctrl-C handled so while the block runs (signals reach the main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


class AppContext:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.ctrl_c = CtrlC()

    @cached_property
    def db(self) -> Database:
        # Imported here, as below: a command that never opens the store never loads it.
        from connector.store import Database

        database = Database(self.settings.resolved_database_url)
        if database.create_all():
            # A mistyped MLC_DATA_DIR or MLC_DATABASE_URL would otherwise look like an empty
            # store ("no companies yet"), silently.
            click.echo(f"note: no ml-connector database was at {database.safe_url}; made a new, "
                       "empty one (MLC_DATA_DIR / MLC_DATABASE_URL say where)", err=True)
        return database

    @cached_property
    def secrets(self) -> SecretBox:
        from connector.crypto import SecretBox

        return SecretBox.from_settings(self.settings)

    @cached_property
    def runs(self) -> RunEnv:
        """What the run layer needs; runs started here are named after this command."""
        from connector.runs import RunEnv

        env = RunEnv.from_settings(self.settings, self.db).for_run(
            None, origin=f"`ml-connector {' '.join(sys.argv[1:3])}`")
        return replace(env, interrupt=self.ctrl_c.check)

    def close(self) -> None:
        """Close the store's connections, if a command opened it: a command run in a process
        that goes on (a test, a notebook) must not leave them to the garbage collector, which
        may not get to them before the server runs out of connection slots."""
        if "db" in self.__dict__:
            self.db.dispose()


def pass_app(fn: F) -> F:
    """Inject the AppContext and turn ConnectorError into a clean message and exit code 1."""

    @click.pass_context
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        try:
            return ctx.invoke(fn, ctx.find_object(AppContext), *args, **kwargs)
        except ConnectorError as exc:
            raise click.ClickException(str(exc)) from exc

    return update_wrapper(wrapper, fn)  # type: ignore[return-value]

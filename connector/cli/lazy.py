"""Subcommands imported only when they run.

``ml-connector --help`` and every quick command should answer at once, yet the commands behind
them reach for the store, the Zoho client, the simulators, Flask and spyne, or Prefect. A
``LazyGroup`` knows its subcommands by name, module and one line of help; it imports a
command's module only when that command is asked for (to run it, or for its own ``--help``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click

__all__ = ["Lazy", "LazyGroup"]


@dataclass(frozen=True)
class Lazy:
    """Where a subcommand lives (``module:attribute``) and its help line, as its docstring's
    first paragraph says it (tests/cli/test_startup.py holds the two equal)."""

    target: str
    help: str

    def short_help(self, limit: int) -> str:
        """The line click would show for the loaded command, cut to ``limit`` as click cuts it."""
        return click.Command(None, help=self.help).get_short_help_str(limit)

    def load(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class LazyGroup(click.Group):
    """A click group whose ``lazy`` subcommands load on first use."""

    def __init__(self, *args: Any, lazy: Mapping[str, Lazy] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, Lazy] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.lazy[cmd_name].load(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing would load every command to ask for its help line.
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if not loaded.hidden:
                    rows.append((name, loaded.get_short_help_str(limit)))
            else:
                rows.append((name, self.lazy[name].short_help(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

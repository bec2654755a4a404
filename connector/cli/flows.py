"""``ml-connector flows``: the Prefect flows, run once from the command line.

The flows come with the ``flows`` extra (``pip install 'ml-connector[flows]'``): a PC that only
runs the bridge has no Prefect, and these commands then say so in one line.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import signal
from collections.abc import Coroutine
from types import FrameType
from typing import Any

import click

from connector.errors import ConfigError

__all__ = ["FLOWS", "MISSING", "flows", "interruptible", "require_prefect"]

# The deployments of prefect.yaml, by name: where their flow function lives.
FLOWS = {
    "backfill": "flows.backfill:backfill",
    "qb-to-zoho": "flows.qb_to_zoho:qb_to_zoho",
    "renew-channels": "flows.renew_channels:renew_channels",
    "zoho-to-qb": "flows.zoho_to_qb:zoho_to_qb",
}
MISSING = ("the Prefect flows are not installed with this ml-connector (a bridge-only install); "
           "add them with: pip install 'ml-connector[flows]'")


def require_prefect() -> None:
    try:
        import prefect  # noqa: F401
    except ImportError as exc:
        raise ConfigError(MISSING) from exc


def _parameters(pairs: tuple[str, ...]) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--param")
        # Prefect checks and converts each value to the flow's parameter type.
        parameters[key.strip()] = value
    return parameters


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def interruptible(flow_run: Coroutine[Any, Any, Any]) -> Any:
    """Run an (async) flow call to its end; Ctrl-C stops it at once, as it stops a sync flow.
    ``asyncio.run`` would turn Ctrl-C into a cancellation of its task, which cannot land
    while the flow's synchronous body works: the run went on to its end, then was marked
    Crashed. With a handler of our own in place, asyncio leaves Ctrl-C alone."""
    previous = signal.signal(signal.SIGINT, _interrupt)
    try:
        return asyncio.run(flow_run)
    finally:
        signal.signal(signal.SIGINT, previous)


@click.group()
def flows() -> None:
    """Run the Prefect flows here (they need: pip install 'ml-connector[flows]')."""


@flows.command("run")
@click.argument("name", type=click.Choice(sorted(FLOWS)))
@click.option("-p", "--param", "pairs", multiple=True, metavar="KEY=VALUE",
              help="A flow parameter, e.g. -p company=Acme -p since=2024-01-01 (repeatable).")
def run(name: str, pairs: tuple[str, ...]) -> None:
    """Run flow NAME once in this process, as its deployment would (recorded by the Prefect
    server at PREFECT_API_URL; a temporary one when unset)."""
    parameters = _parameters(pairs)
    require_prefect()
    module, _, attribute = FLOWS[name].partition(":")
    flow = getattr(importlib.import_module(module), attribute)
    from prefect.exceptions import ParameterBindError, ParameterTypeError

    from connector.runs.result import WAITING_STATE

    try:
        state = interruptible(flow(**parameters, return_state=True))
    except (ParameterBindError, ParameterTypeError) as exc:
        takes = ", ".join(inspect.signature(flow.fn).parameters) or "nothing"
        raise click.BadParameter(f"{str(exc).splitlines()[0]} ({name} takes: {takes})",
                                 param_hint="--param") from exc
    click.echo(f"{name}: {state.name.lower()}: {state.message or ''}".rstrip(": "))
    # A run waiting for a person did nothing: a script must not take it for done.
    if state.is_failed() or state.is_crashed() or state.name == WAITING_STATE:
        raise SystemExit(1)

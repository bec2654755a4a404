"""The ``ml-connector`` command: the one place that wires settings, store, bridge and flows.

Subcommands live in sibling modules, named in ``COMMANDS`` and imported only when they run:
``--help`` and the quick commands must not pay for the store, Zoho, Flask, spyne or Prefect.
"""

from __future__ import annotations

import logging

import click

from connector.cli.common import AppContext, pass_app
from connector.cli.errors import ErrorBoundary
from connector.cli.lazy import Lazy, LazyGroup

__all__ = ["COMMANDS", "main"]

COMMANDS = {
    "audit": Lazy("connector.cli.audit:audit",
                  "Inspect sync runs: one audit unit per flow run."),
    "backfill": Lazy("connector.cli.sync:backfill",
                     "First load or re-sync of a date range (resumable: run it again to go on)."),
    "bridge": Lazy("connector.cli.bridge:bridge",
                   "Serve the QuickBooks Web Connector endpoint at /qbwc (and /healthz)."),
    "company": Lazy("connector.cli.company:company",
                    "Register and manage QuickBooks company files (one QBWC user each)."),
    "demo": Lazy("connector.cli.demo:demo",
                 "Run the whole system end to end on the built-in simulators (SQLite)."),
    "flows": Lazy("connector.cli.flows:flows",
                  "Run the Prefect flows here (they need: pip install 'ml-connector[flows]')."),
    "ping": Lazy("connector.cli.zoho:ping", "Check Zoho (token, org, edition, modules, fields, "
                 "credits) and each company's polling."),
    "qwc": Lazy("connector.cli.company:qwc",
                "Write the .qwc file that registers company NAME in the Web Connector."),
    "review": Lazy("connector.cli.sync:review",
                   "QuickBooks records the sync left for a person to decide."),
    "sandbox": Lazy("connector.cli.sandbox:sandbox", "Simulators of QuickBooks, the Web "
                    "Connector and Zoho, to try ml-connector safely."),
    "sync": Lazy("connector.cli.sync:sync", "Send what QuickBooks answered to Zoho CRM now "
                 "(what the qb-to-zoho flow runs)."),
    "sync-back": Lazy("connector.cli.sync_back:sync_back", "Turn the Zoho changes notified so "
                      "far into QuickBooks Mods (sent at the next session)."),
    "undo": Lazy("connector.cli.undo:undo", "Undo a sync or backfill run: delete what it "
                 "created, give back what it overwrote, forget its links."),
    "zoho": Lazy("connector.cli.zoho:zoho", "Connect ml-connector to a Zoho CRM org and "
                 "prepare the org for syncing."),
}


class Root(LazyGroup, ErrorBoundary):
    """The top group: lazy subcommands, one error boundary for all of them."""


@click.group(cls=Root, lazy=COMMANDS)
@click.option("--log-level", default=None, help="Override MLC_LOG_LEVEL.",
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                                case_sensitive=False))
@click.option("--debug", is_flag=True, help="Show the full traceback when a command fails.")
@click.pass_context
def cli(ctx: click.Context, log_level: str | None, debug: bool) -> None:
    """Sync QuickBooks Desktop with Zoho CRM."""
    from connector.config import Settings

    settings = Settings()
    if log_level:
        settings = settings.model_copy(update={"log_level": log_level.upper()})
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if settings.log_level != "DEBUG":
        # httpx logs every request at INFO: a line per Zoho or SOAP call would bury ours.
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
    ctx.obj = AppContext(settings)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@pass_app
def info(app: AppContext) -> None:
    """Show where ml-connector keeps its data and how it is configured."""
    from connector.private import access

    s = app.settings
    version = app.db.schema_version()  # opens (and on first use creates) the database
    checked = [access(s.data_dir, directory=True)]
    click.echo(f"data directory : {s.data_dir} ({checked[0].describe()})")
    database = app.db.file
    if database is not None:
        checked.append(access(database))
    where = f" ({checked[-1].describe()})" if database is not None else ""
    click.echo(f"database       : {app.db.safe_url}{where}")
    click.echo(f"schema version : {version}")
    if s.secret_key:
        click.echo("secret key     : MLC_SECRET_KEY")
    else:
        checked.append(access(s.key_file))
        click.echo(f"secret key     : {s.key_file} ({checked[-1].describe()})")
    click.echo(f"bridge         : http://{s.bridge_host}:{s.bridge_port}/qbwc")
    click.echo(f"log level      : {s.log_level}")
    for found in checked:
        if found.too_open:
            click.echo(f"warning: {found.advice()}", err=True)


def main() -> None:
    # Errors of the environment are turned into one line by the group (ErrorBoundary).
    cli(standalone_mode=True)


if __name__ == "__main__":
    main()

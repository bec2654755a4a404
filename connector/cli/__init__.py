"""The ``ml-connector`` command: the one place that wires settings, store, bridge and flows.

Subcommand groups live in sibling modules and are attached at the bottom of this file.
"""

from __future__ import annotations

import logging

import click

from connector.cli.common import AppContext, pass_app
from connector.cli.errors import ErrorBoundary
from connector.config import Settings
from connector.private import access

__all__ = ["main"]


@click.group(cls=ErrorBoundary)
@click.option("--log-level", default=None, help="Override MLC_LOG_LEVEL (DEBUG, INFO, WARNING).")
@click.option("--debug", is_flag=True, help="Show the full traceback when a command fails.")
@click.pass_context
def cli(ctx: click.Context, log_level: str | None, debug: bool) -> None:
    """Sync QuickBooks Desktop with Zoho CRM."""
    settings = Settings()
    if log_level:
        settings.log_level = log_level.upper()
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = AppContext(settings)


@cli.command()
@pass_app
def info(app: AppContext) -> None:
    """Show where ml-connector keeps its data and how it is configured."""
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


from connector.cli.company import company, qwc  # noqa: E402  (subcommands attach after `cli`)

cli.add_command(company)
cli.add_command(qwc)

from connector.cli.audit import audit  # noqa: E402

cli.add_command(audit)

from connector.cli.demo import demo  # noqa: E402

cli.add_command(demo)

from connector.cli.zoho import ping, zoho  # noqa: E402

cli.add_command(zoho)
cli.add_command(ping)

from connector.cli.channels import channels_command, renew_command, watch_command  # noqa: E402

for _command in (watch_command, channels_command, renew_command):
    zoho.add_command(_command)

from connector.cli.bridge import bridge  # noqa: E402

cli.add_command(bridge)

from connector.cli.sandbox import sandbox  # noqa: E402

cli.add_command(sandbox)

from connector.cli.sandbox_zoho import zoho_sandbox  # noqa: E402

sandbox.add_command(zoho_sandbox)

from connector.cli.sync import backfill, review, sync  # noqa: E402

cli.add_command(sync)
cli.add_command(backfill)
cli.add_command(review)

from connector.cli.sync_back import sync_back, sync_back_policy  # noqa: E402

cli.add_command(sync_back)
cli.add_command(sync_back_policy)


def main() -> None:
    # Errors of the environment are turned into one line by the group (ErrorBoundary).
    cli(standalone_mode=True)


if __name__ == "__main__":
    main()

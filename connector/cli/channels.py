"""``ml-connector zoho watch|channels|renew-channels``: the channels Zoho calls us back on."""

from __future__ import annotations

import click

from connector import runs
from connector.audit import RunStatus
from connector.cli.common import AppContext, pass_app
from connector.notify import list_channels, watch
from connector.store.types import utcnow
from connector.zoho.connection import load_connection, open_client

__all__ = ["watch_command", "channels_command", "renew_command"]


@click.command("watch")
@click.option("--notify-url", required=True,
              help="Public https URL of the bridge's /zoho/notify (Zoho must reach it).")
@click.option("--name", default="default", show_default=True, help="Zoho connection to watch.")
@pass_app
def watch_command(app: AppContext, notify_url: str, name: str) -> None:
    """Ask Zoho to call back on changes to Accounts, Contacts, Deals, Products (and Invoices)."""
    connection = load_connection(app.db, name)
    with open_client(app.settings, app.db, app.secrets, name=name) as client:
        row = watch(app.db, client, notify_url=notify_url, connection_id=connection.id,
                    now=utcnow(), lifetime=app.settings.channel_lifetime)
    click.secho(f"Zoho channel {row.channel_id} is live", fg="green", bold=True)
    click.echo(f"  watching : {', '.join(e.partition('.')[0] for e in row.events)}")
    click.echo(f"  calls    : {row.notify_url}")
    click.echo(f"  expires  : {row.expires_at:%Y-%m-%d %H:%M} UTC (renewed by the renew_channels "
               "flow, or `ml-connector zoho renew-channels`)")


@click.command("channels")
@click.option("--all", "include_replaced", is_flag=True, help="Also list replaced channels.")
@pass_app
def channels_command(app: AppContext, include_replaced: bool) -> None:
    """List the notification channels with their expiry."""
    rows = list_channels(app.db, now=utcnow(), renew_within=app.settings.channel_renew_within,
                         include_replaced=include_replaced)
    if not rows:
        click.echo("no channels; open one with `ml-connector zoho watch --notify-url URL`")
        return
    click.echo(f"{'CHANNEL':17} {'STATE':17} {'EXPIRES (UTC)':17} {'MODULES':42} URL")
    for row in rows:
        click.echo(f"{row.channel_id:17} {row.state:17} {row.expires_at:%Y-%m-%d %H:%M} "
                   f"{','.join(row.modules):42} {row.notify_url}")


@click.command("renew-channels")
@click.option("--name", default="default", show_default=True, help="Zoho connection.")
@pass_app
def renew_command(app: AppContext, name: str) -> None:
    """Renew channels about to expire, re-open lapsed ones and fetch what they missed."""
    result = runs.renew_channels(app.runs, name)
    counts, summary = result.summary.counts, result.summary
    click.echo(f"renewed {counts['updated']}, re-opened {counts['created']}, unchanged "
               f"{counts['unchanged']}, failed {counts['failed']}; {counts['read']} missed "
               f"change(s) queued (audit run {summary.run_id})")
    if summary.status != RunStatus.COMPLETED:
        raise click.ClickException(summary.error or "some channels could not be renewed; "
                                   f"see `ml-connector audit show {summary.run_id}`")

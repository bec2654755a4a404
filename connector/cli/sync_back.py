"""``ml-connector sync-back``: the Zoho -> QuickBooks cycle by hand.

``sync-back`` runs the same library call as the zoho-to-qb Prefect flow, in this process: the
Mods it queues reach QuickBooks at the next Web Connector session.
"""

from __future__ import annotations

import click

from connector import runs
from connector.cli.common import AppContext, pass_app
from connector.cli.sync import echo_result

__all__ = ["sync_back"]


@click.command("sync-back")
@click.option("--company", default=None, help="Only this company's records (default: all).")
@click.option("--name", default="default", show_default=True,
              help="Zoho connection whose notifications to apply.")
@pass_app
def sync_back(app: AppContext, company: str | None, name: str) -> None:
    """Turn the Zoho changes notified so far into QuickBooks Mods (sent at the next session)."""
    if not echo_result(runs.sync_back(app.runs, name, company)):
        raise click.ClickException("the sync-back stopped; the notifications it did not finish "
                                   "wait for the next run (see `ml-connector audit list`)")

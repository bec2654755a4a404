"""``ml-connector sync-back`` and ``sync-back-policy``: the Zoho -> QuickBooks cycle by hand.

``sync-back`` runs the same library call as the zoho-to-qb Prefect flow, in this process: the
Mods it queues reach QuickBooks at the next Web Connector session.
"""

from __future__ import annotations

import click

from connector import runs
from connector.cli.common import AppContext, pass_app
from connector.cli.sync import echo_result
from connector.sync.zoho_to_qb import set_void_closed_invoices

__all__ = ["sync_back", "sync_back_policy"]


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


@click.command("sync-back-policy")
@click.argument("company")
@click.option("--void-closed-invoices/--keep-invoices", "void", required=True,
              help="Void a QuickBooks invoice when its Deal is closed lost or deleted in Zoho "
                   "(default: keep it and only record the event).")
@pass_app
def sync_back_policy(app: AppContext, company: str, void: bool) -> None:
    """Choose what a Deal closed lost in Zoho does to the company's QuickBooks invoice."""
    set_void_closed_invoices(app.db, company, void)
    click.echo(f"{company}: a Deal closed lost in Zoho now "
               + ("voids its QuickBooks invoice" if void else "leaves its QuickBooks invoice "
                  "untouched (the event is recorded in the audit)"))

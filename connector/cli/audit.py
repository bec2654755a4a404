"""``ml-connector audit``: the sync cycles, as the data team sees them in the Prefect UI."""

from __future__ import annotations

import click

from connector.audit import COUNT_KEYS, changes_text, find_events, get_run, list_runs, run_events
from connector.cli.common import AppContext, pass_app
from connector.qbwc import get_company
from connector.store import AuditEvent

__all__ = ["audit"]


@click.group()
def audit() -> None:
    """Inspect sync runs: one audit unit per flow run."""


@audit.command("list")
@click.option("--company", default=None, help="Only runs of this company.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@pass_app
def audit_list(app: AppContext, company: str | None, limit: int) -> None:
    """List recent runs with their counts."""
    company_id = get_company(app.db, company).id if company else None
    runs = list_runs(app.db, company_id=company_id, limit=limit)
    if not runs:
        click.echo("no sync runs recorded yet")
        return
    click.echo(f"{'RUN':>5} {'FLOW':14} {'COMPANY':14} {'STATUS':22} {'STARTED (UTC)':19} "
               + " ".join(f"{k[:7]:>7}" for k in COUNT_KEYS))
    for run in runs:
        click.echo(f"{run.run_id:>5} {run.flow:14} {(run.company or '-'):14} {run.status:22} "
                   f"{run.started_at:%Y-%m-%d %H:%M:%S} "
                   + " ".join(f"{run.counts.get(k, 0):>7}" for k in COUNT_KEYS))


@audit.command("show")
@click.argument("run_id", type=int)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1))
@pass_app
def audit_show(app: AppContext, run_id: int, limit: int) -> None:
    """Show one run: its summary and the records it touched."""
    try:
        summary = get_run(app.db, run_id)
    except LookupError:
        raise click.ClickException(
            f"no audit run {run_id}; see `ml-connector audit list`"
        ) from None
    click.echo(summary.markdown())
    click.echo("")
    for e in run_events(app.db, run_id, limit=limit):
        click.echo(f"{e.at:%H:%M:%S} {_event_text(e)}")


def _event_text(e: AuditEvent) -> str:
    """``updated Customer 'Acme' (80000001-..) -> Accounts 57..: Phone=555-0142 [code] why``"""
    named = repr(e.qb_name) if e.qb_name else ""
    if e.qb_id:  # a Zoho-born record QuickBooks has not made yet has a name and no ListID
        named = f"{named} ({e.qb_id})" if named else e.qb_id
    record = f"{e.qb_type or ''} {named}".strip() or f"{e.zoho_module} {e.zoho_id}"
    detail = f" [{e.error_code}] {e.error_message}" if e.error_code or e.error_message else ""
    fields = f": {changes_text(e)}" if e.changed_fields else ""
    return (f"{e.action:10} {record} -> {e.zoho_module or ''} {e.zoho_id or ''}"
            f"{fields}{detail}")


@audit.command("find")
@click.argument("name")
@click.option("--company", default=None, help="Only runs of this company.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@pass_app
def audit_find(app: AppContext, name: str, company: str | None, limit: int) -> None:
    """A record's history across runs, newest first.

    NAME is part of a QuickBooks name (any case), or a whole QuickBooks id (ListID, TxnID) or
    Zoho record id.
    """
    if not name.strip():
        raise click.UsageError("NAME is empty: give part of a name, a QuickBooks id or a Zoho id")
    company_id = get_company(app.db, company).id if company else None
    found = find_events(app.db, name, company_id=company_id, limit=limit)
    if not found:
        click.echo(f"no audit events for {name.strip()!r} (names match in part and in any "
                   "case, QuickBooks and Zoho ids whole)")
        return
    more = f"; the newest {limit} shown, --limit for more" if len(found) == limit else ""
    click.echo(f"{len(found)} audit events for {name.strip()!r}, newest first (UTC){more}")
    for f in found:
        click.echo(f"{f.event.at:%Y-%m-%d %H:%M:%S} run {f.event.run_id:<5} {f.flow:14} "
                   f"{(f.company or '-'):14} {_event_text(f.event)}")

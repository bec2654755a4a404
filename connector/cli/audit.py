"""``ml-connector audit``: the sync cycles, as the data team sees them in the Prefect UI."""

from __future__ import annotations

import click

from connector.audit import COUNT_KEYS, changes_text, get_run, list_runs, run_events
from connector.cli.common import AppContext, pass_app
from connector.qbwc import get_company

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
        named = f"{e.qb_name!r} ({e.qb_id})" if e.qb_name else e.qb_id or ""
        record = f"{e.qb_type or ''} {named}".strip() or f"{e.zoho_module} {e.zoho_id}"
        detail = f" [{e.error_code}] {e.error_message}" if e.error_code or e.error_message else ""
        fields = f": {changes_text(e)}" if e.changed_fields else ""
        click.echo(
            f"{e.at:%H:%M:%S} {e.action:10} {record} -> {e.zoho_module or ''} {e.zoho_id or ''}"
            f"{fields}{detail}"
        )

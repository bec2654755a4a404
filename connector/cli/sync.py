"""``ml-connector sync``, ``backfill`` and ``review``: the QuickBooks -> Zoho cycle by hand.

``sync`` runs the same library call as the qb_to_zoho Prefect flow, in this process.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import click

from connector.audit import AuditSummary, list_runs
from connector.cli.common import AppContext, pass_app
from connector.errors import ConnectorError
from connector.qbwc import get_company
from connector.reviews import list_reviews
from connector.store import Company, ReviewStatus
from connector.sync import SyncOptions, client_factory, pending_companies, run_company
from connector.sync.backfill import backfill_status, mark_for_resync, queue_reads

__all__ = ["sync", "backfill", "review"]


def _progress(done: int, total: int) -> None:
    click.echo(f"  synced {done} of {total} stored responses")


def _run(app: AppContext, companies: list[Company]) -> bool:
    """Sync each company and print its audit summary; True when every run completed."""
    opener = client_factory(app.settings, app.db, app.secrets)
    options = SyncOptions.from_settings(app.settings)
    ok = True
    for company in companies:
        click.secho(f"{company.name}:", bold=True)
        summary: AuditSummary
        try:
            summary = run_company(app.db, company, opener, options=options, progress=_progress)
        except ConnectorError:
            ok = False
            summary = list_runs(app.db, company_id=company.id, limit=1)[0]
        click.echo(summary.markdown())
    return ok


@click.command("sync")
@click.option("--company", default=None, help="Only this company (default: every company "
              "with stored QuickBooks responses waiting).")
@pass_app
def sync(app: AppContext, company: str | None) -> None:
    """Send what QuickBooks answered to Zoho CRM now (what the qb-to-zoho flow runs)."""
    companies = [get_company(app.db, company)] if company else pending_companies(app.db)
    if not companies:
        click.echo("nothing to sync: no stored QuickBooks responses are waiting")
        return
    if not _run(app, companies):
        raise click.ClickException("the sync stopped; the responses it did not finish wait for "
                                   "the next run (see `ml-connector audit list`)")


def _day(value: datetime | None, end: bool) -> datetime | None:
    if value is None:
        return None
    return datetime.combine(value.date(), time.max if end else time.min, tzinfo=UTC)


@click.command("backfill")
@click.option("--company", required=True, help="The company to load or re-sync.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Start of the range (UTC day); default: everything.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="End of the range for stored responses (UTC day, inclusive).")
@click.option("--quickbooks/--no-quickbooks", default=True, show_default=True,
              help="Queue QuickBooks reads (modified since --since) for the next session.")
@click.option("--stored/--no-stored", default=True, show_default=True,
              help="Re-send the records of responses already stored in the range now.")
@pass_app
def backfill(app: AppContext, company: str, since: datetime | None, until: datetime | None,
             quickbooks: bool, stored: bool) -> None:
    """First load or re-sync of a date range (resumable: run it again to go on)."""
    found = get_company(app.db, company)
    assert found.id is not None
    start, end = _day(since, False), _day(until, True)
    if quickbooks:
        queued = queue_reads(app.db, found, app.settings, since=start)
        click.echo(f"queued {queued} QuickBooks read(s) for the next Web Connector session")
    if stored:
        marked = mark_for_resync(app.db, found.id, since=start, until=end)
        click.echo(f"reopened {marked} stored response(s) for a forced re-sync")
        if marked and not _run(app, [found]):
            raise click.ClickException("the re-sync stopped; run the backfill again to go on")
    status = backfill_status(app.db, found.id)
    click.echo(f"waiting: {status.reads_waiting} QuickBooks read(s) for the next session, "
               f"{status.responses_waiting} stored response(s) for the next sync")


@click.group()
def review() -> None:
    """QuickBooks records the sync left for a person to decide."""


@review.command("list")
@click.option("--company", default=None, help="Only this company.")
@click.option("--all", "show_all", is_flag=True, help="Resolved items too.")
@pass_app
def review_list(app: AppContext, company: str | None, show_all: bool) -> None:
    """List open review items (e.g. customers that match several Zoho Accounts)."""
    company_id = get_company(app.db, company).id if company else None
    items = list_reviews(app.db, company_id=company_id, status=None if show_all else ReviewStatus.OPEN)
    if not items:
        click.echo("nothing to review")
        return
    for item in items:
        click.echo(f"#{item.id} [{item.status}] {item.qb_type} {item.qb_id} "
                   f"{item.qb_name or ''!s}: {len(item.candidates)} candidates in "
                   f"{item.zoho_module} ({', '.join(item.candidates)})")
        click.echo(f"    {item.reason}")

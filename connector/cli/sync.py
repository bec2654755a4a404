"""``ml-connector sync``, ``backfill`` and ``review``: the QuickBooks -> Zoho cycle by hand.

``sync`` and ``backfill`` call the same run layer as the qb-to-zoho and backfill Prefect
flows, in this process.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, time
from pathlib import Path

import click

from connector import runs
from connector.cli.common import AppContext, pass_app
from connector.hints import shell_arg
from connector.plans import confirm_plan, load_plan, plan_csv_path, summary_lines, write_csv
from connector.qbwc import get_company
from connector.review_import import import_decisions, read_decisions
from connector.reviews import ZOHO_ACCOUNT, decide, list_reviews
from connector.store import Company
from connector.store.rows import require_id, require_row
from connector.store.types import utcnow
from connector.sync.progress import ProgressReport
from connector.sync.responses import reopen_record

__all__ = ["ProgressBar", "sync", "backfill", "review", "echo_result"]


class ProgressBar:
    """A sync's progress on stderr: one bar redrawn in place on a terminal; elsewhere (a log
    file, CI) a line per chunk."""

    width = 24

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, report: ProgressReport) -> None:
        if not self.tty:
            click.echo(f"  synced {report.line()}", err=True)
            return
        filled = round(self.width * report.percent / 100)
        bar = "#" * filled + "." * (self.width - filled)
        # Back to the line's start, draw, clear what a longer earlier line left behind.
        click.echo(f"\r  [{bar}] {report.line()}\x1b[K", err=True, nl=False)
        if report.done >= report.total:
            click.echo("", err=True)


def echo_result(result: runs.RunResult) -> bool:
    """Print a run's audit summary; True when it did its work (it neither failed nor waits
    for a person)."""
    click.secho(f"{result.target}:", bold=True)
    click.echo(result.markdown())
    return not (result.failed or result.waiting)


def _csv_needs_plan(csv_path: Path | None, plan: bool) -> None:
    if csv_path is not None and not plan:
        raise click.UsageError("--csv writes a plan's rows: give it with --plan")


def echo_plan(app: AppContext, result: runs.PlanResult, csv_path: Path | None,
              then: str | None = None) -> bool:
    """Print a plan's summary and write its CSV; True unless planning failed. ``then`` is the
    command that does what the plan shows (default: confirming it for the next sync)."""
    if result.plan is None or result.plan.id is None:
        return echo_result(result.run)
    click.secho(f"{result.run.target}:", bold=True)
    for line in summary_lines(result.plan, result.rows):
        click.echo(line)
    path = write_csv(csv_path or plan_csv_path(app.settings.data_dir, result.plan.id),
                     result.rows)
    click.echo(f"every row: {path}")
    click.echo("nothing was written to Zoho or QuickBooks; to write what this plan says: "
               + (then or f"ml-connector sync --confirm {result.plan.id}"))
    return True


@click.command("sync")
@click.option("--company", default=None, help="Only this company (default: every company "
              "with stored QuickBooks responses waiting).")
@click.option("--plan", "plan", is_flag=True,
              help="Only work out what the sync would do (nothing is written); keep the plan.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="With --plan: write the plan's rows here (default: "
              "<data dir>/plans/plan-<id>.csv).")
@click.option("--confirm", "confirm", type=int, default=None, metavar="PLAN_ID",
              help="Sync the plan's company, writing what plan PLAN_ID said (records changed "
              "since are matched again).")
@pass_app
def sync(app: AppContext, company: str | None, plan: bool, csv_path: Path | None,
         confirm: int | None) -> None:
    """Send what QuickBooks answered to Zoho CRM now (what the qb-to-zoho flow runs)."""
    _csv_needs_plan(csv_path, plan)
    if confirm is not None:
        if plan:
            raise click.UsageError("give --plan or --confirm, not both")
        company = _confirm(app, confirm, company)
    names = [company] if company else runs.companies_waiting(app.runs)
    if not names:
        click.echo("nothing to sync: no stored QuickBooks responses are waiting")
        return
    if plan:
        planned = [echo_plan(app, runs.plan_sync(app.runs, name),
                             csv_path if len(names) == 1 else None) for name in names]
        if not all(planned):
            raise click.ClickException("planning stopped (see `ml-connector audit list`)")
        return
    results = []
    with app.ctrl_c.armed():
        for name in names:
            if app.ctrl_c.asked.is_set():
                break  # the companies not started yet are not runs a person stopped
            results.append(runs.sync_quickbooks(app.runs, name, progress=ProgressBar()))
    stopped = [result for result in results if not echo_result(result)]
    if any(r.failed for r in stopped):
        raise click.ClickException("the sync stopped; the responses it did not finish wait for "
                                   "the next run (see `ml-connector audit list`)")
    if stopped:
        # Exit 1 all the same: the responses are not synced, and a script must not think so.
        raise click.ClickException("nothing was written for "
                                   + ", ".join(shell_arg(r.target) for r in stopped)
                                   + ": each waits for a person (see above)")


def _confirm(app: AppContext, plan_id: int, company: str | None) -> str:
    """Confirm plan ``plan_id``; the name of its company."""
    planned = load_plan(app.db, plan_id)
    with app.db.session() as s:
        owner = require_row(s, Company, planned.company_id)
    if company is not None and get_company(app.db, company).id != owner.id:
        raise click.UsageError(f"plan #{plan_id} is company {owner.name!r}'s, not {company!r}'s")
    confirm_plan(app.db, plan_id, planned.company_id, now=utcnow())
    click.echo(f"plan #{plan_id} confirmed: the sync of {owner.name!r} writes what it said")
    return owner.name


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
@click.option("--plan", "plan", is_flag=True,
              help="Only work out what re-sending the stored range would do; nothing is "
              "queued, reopened or written.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="With --plan: write the plan's rows here.")
@pass_app
def backfill(app: AppContext, company: str, since: datetime | None, until: datetime | None,
             quickbooks: bool, stored: bool, plan: bool, csv_path: Path | None) -> None:
    """First load or re-sync of a date range (resumable: run it again to go on)."""
    _csv_needs_plan(csv_path, plan)
    if plan:
        planned = runs.plan_sync(app.runs, company, backfill=stored, since=_day(since, False),
                                 until=_day(until, True))
        # The backfill itself re-sends the range: the same command, without --plan.
        again = ["ml-connector backfill --company", shell_arg(company)]
        again += [f"--{name} {day:%Y-%m-%d}" for name, day in (("since", since),
                                                               ("until", until)) if day]
        again += [f"--no-{name}" for name, on in (("quickbooks", quickbooks),
                                                  ("stored", stored)) if not on]
        if not echo_plan(app, planned, csv_path, then=" ".join(again)):
            raise click.ClickException("planning stopped (see `ml-connector audit list`)")
        return
    with app.ctrl_c.armed():
        result = runs.backfill(app.runs, company, since=_day(since, False),
                               until=_day(until, True), read_quickbooks=quickbooks,
                               resync_stored=stored, progress=ProgressBar())
    ok = echo_result(result.run)
    click.echo("\n".join(result.lines()))
    if result.run.waiting:
        raise click.ClickException("nothing was written: the backfill waits for a person "
                                   "(see above); running it again will not help until then")
    if not ok:
        raise click.ClickException("the backfill stopped; run it again to go on")


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
    items = (list_reviews(app.db, company_id=company_id, status=None) if show_all
             else list_reviews(app.db, company_id=company_id))
    if not items:
        click.echo("nothing to review")
        return
    for item in items:
        where = (f"{len(item.candidates)} candidates in {item.zoho_module} "
                 f"({', '.join(item.candidates)})" if item.qb_type == "Customer"
                 else f"{item.zoho_module} {', '.join(item.candidates)}")
        click.echo(f"#{item.id} [{item.status}] {item.qb_type} {item.qb_id} "
                   f"{item.qb_name or ''!s}: {where}")
        click.echo(f"    {item.reason}")
        if item.decision:
            click.echo(f"    decided: {item.decision} {item.decision_zoho_id or ''}".rstrip())


@review.command("resolve")
@click.argument("item_id", type=int)
@click.option("--link", "link_to", default=None, metavar="ZOHO_ID",
              help="Adopt this candidate: the existing Zoho record takes the QuickBooks record.")
@click.option("--create", is_flag=True, help="None of the candidates: create a new record (for "
              "an Account created in Zoho: a QuickBooks customer).")
@click.option("--ignore", is_flag=True,
              help="Close the item: seen, nothing for the sync to do (e.g. a money conflict).")
@pass_app
def review_resolve(app: AppContext, item_id: int, link_to: str | None, create: bool,
                   ignore: bool) -> None:
    """Settle a review item; the next sync applies the decision."""
    if sum((bool(link_to), create, ignore)) != 1:
        raise click.UsageError("give exactly one of --link ZOHO_ID, --create or --ignore")
    item = decide(app.db, item_id, link_to=link_to, now=utcnow(), ignore=ignore)
    if ignore:
        click.echo(f"#{item.id}: {item.qb_type} {item.qb_name or item.qb_id} closed, nothing "
                   "to apply")
        return
    with app.db.session() as s:
        company = require_row(s, Company, item.company_id)
    if item.qb_type == ZOHO_ACCOUNT:
        click.echo(f"#{item.id}: Zoho Account {item.qb_name or item.qb_id} becomes a QuickBooks "
                   "customer")
        click.echo("the next sync-back (`ml-connector sync-back --company "
                   f"{shell_arg(company.name)}`) queues it; QuickBooks makes it at the next Web "
                   "Connector session")
        return
    reopened = reopen_record(app.db, item.company_id, item.qb_type, "ListID", item.qb_id)
    what = (f"adopts {item.zoho_module} {link_to}" if link_to
            else f"gets a new {item.zoho_module} record")
    click.echo(f"#{item.id}: {item.qb_type} {item.qb_name or item.qb_id} {what}")
    click.echo(f"applied by the next sync (`ml-connector sync --company {shell_arg(company.name)}`)"
               if reopened else "applied when the next Web Connector session reads it again")


@review.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--company", required=True, help="The company the decisions are about.")
@pass_app
def review_import(app: AppContext, path: Path, company: str) -> None:
    """Settle many review items at once from a plan's CSV: in its decision column, a
    candidate's Zoho id to link, or "create"; the next sync applies them."""
    found = get_company(app.db, company)
    done, refused = import_decisions(app.db, require_id(found), read_decisions(path),
                                     now=utcnow())
    for item in done:
        reopen_record(app.db, item.company_id, item.qb_type, "ListID", item.qb_id)
    click.echo(f"{len(done)} decision(s) recorded; applied by the next sync "
               f"(`ml-connector sync --company {shell_arg(found.name)}`)")
    for line in refused:
        click.echo(f"  refused: {line}")
    if refused:
        raise click.ClickException(f"{len(refused)} row(s) refused; fix them and import again")

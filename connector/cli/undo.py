"""``ml-connector undo RUN``: take back what one QuickBooks -> Zoho run wrote to Zoho."""

from __future__ import annotations

import click

from connector.cli.common import AppContext, pass_app
from connector.cli.sync import echo_result
from connector.runs.undo import plan_undo_run, undo_run
from connector.undo import undo_lines

__all__ = ["undo"]


@click.command("undo")
@click.argument("run_id", type=int, metavar="RUN")
@click.option("--plan", "plan", is_flag=True,
              help="List what undoing RUN would do; nothing is written.")
@click.option("--confirm", "confirm", is_flag=True,
              help="Do it: delete what RUN created, give adopted and updated records their "
              "values back, forget its links (itself an audited run).")
@click.option("--all", "show_all", is_flag=True,
              help="With --plan: list every step, not the first 30.")
@pass_app
def undo(app: AppContext, run_id: int, plan: bool, confirm: bool, show_all: bool) -> None:
    """Undo a sync or backfill run: delete what it created, give back what it overwrote,
    forget its links.

    RUN is the audit run (see `ml-connector audit list`).

    Records created are deleted (into Zoho's recycle bin), records adopted or updated get the
    values they held before, their links are forgotten; a record changed since the run is
    skipped and listed.
    """
    if plan == confirm:
        raise click.UsageError("give --plan (see what would be done) or --confirm (do it)")
    if plan:
        for line in undo_lines(plan_undo_run(app.runs, run_id),
                               first=None if show_all else 30):
            click.echo(line)
        click.echo(f"nothing was written; to do it: ml-connector undo {run_id} --confirm")
        return
    result = undo_run(app.runs, run_id)
    if result.plan is not None:
        # The steps done are in the run's audit below; what it skipped needs a person.
        for line in undo_lines(result.plan, first=0, rest="in the run's audit below"):
            click.echo(line)
    if not echo_result(result.run):
        raise click.ClickException(f"the undo stopped; what it did is in `ml-connector audit "
                                   f"show {result.run.summary.run_id}`, and `ml-connector undo "
                                   f"{run_id} --confirm` tries the rest again")

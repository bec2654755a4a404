"""``ml-connector sandbox``: the simulators of the outside systems, driven from the command line.

``sandbox qb`` plays QuickBooks Desktop plus the Web Connector against a running bridge, so a
user can watch real sessions without a Windows PC. Other simulators attach to this group.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from connector.cli.common import AppContext, pass_app
from connector.cli.sandbox_zoho import zoho_sandbox
from connector.sandbox.qbd import DEFAULT_COMPANY_FILE, QuickBooksSimulator, seed_company
from connector.sandbox.webconnector import SessionReport, WebConnector

__all__ = ["sandbox"]


@click.group()
def sandbox() -> None:
    """Simulators of QuickBooks, the Web Connector and Zoho, to try ml-connector safely."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.UsageError("--password-stdin was given but stdin held no password")
        return password
    return str(click.prompt("QBWC password", hide_input=True))


def _simulator(company_file: str, state_file: Path | None, customers: int, invoices: int,
               lines: int, seed: int) -> QuickBooksSimulator:
    restored = state_file is not None and state_file.exists()
    qb = QuickBooksSimulator(company_file, state_file=state_file)
    if restored:
        click.echo(f"QuickBooks: company file restored from {state_file}")
        return qb
    seed_company(qb, customers=customers, invoices=invoices, lines_per_invoice=lines, seed=seed)
    click.echo(
        f"QuickBooks: seeded {customers} customer(s), {invoices} invoice(s) x {lines} line(s)"
        f" in {company_file}"
    )
    if state_file is not None:
        qb.save()
    return qb


def _show(number: int, report: SessionReport) -> None:
    click.echo(f"session {number}: {report.describe()}")
    if report.client_version_reply.startswith("W:"):
        click.echo(f"  warning from the bridge: {report.client_version_reply[2:]}")
    if report.percents:
        click.echo(f"  progress: {' '.join(f'{p}%' for p in report.percents)}")


@sandbox.command("qb")
@click.option("--url", required=True, help="The bridge endpoint, e.g. http://127.0.0.1:8765/qbwc.")
@click.option("--user", "username", required=True, help="QBWC user name of the registered company.")
@click.option("--password-stdin", is_flag=True, help="Read the QBWC password from stdin.")
@click.option("--company-file", default=DEFAULT_COMPANY_FILE, show_default=True,
              help="The file the simulated QuickBooks has open (match the registration).")
@click.option("--seed-customers", type=click.IntRange(0), default=20, show_default=True)
@click.option("--seed-invoices", type=click.IntRange(0), default=10, show_default=True)
@click.option(
    "--lines", type=click.IntRange(1), default=3, show_default=True, help="Lines per invoice."
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Random seed of the generated data."
)
@click.option("--sessions", type=click.IntRange(1), default=1, show_default=True)
@click.option("--every", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Seconds between sessions (longer if the bridge asks to postpone).")
@click.option("--state-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Keep the simulated company file here between runs (JSON).")
@click.option("--drop-after", type=click.IntRange(1), default=None,
              help="Lose the connection after N requests in the first session.")
@pass_app
def qb(_app: AppContext, url: str, username: str, password_stdin: bool, company_file: str,
       seed_customers: int, seed_invoices: int, lines: int, seed: int, sessions: int, every: float,
       state_file: Path | None, drop_after: int | None) -> None:
    """Run the QuickBooks simulator and a Web Connector against a running bridge."""
    password = _read_password(password_stdin)
    quickbooks = _simulator(company_file, state_file, seed_customers, seed_invoices, lines, seed)
    with WebConnector(url, username, password, quickbooks) as connector:
        report: SessionReport | None = None
        for number in range(1, sessions + 1):
            if report is not None:
                time.sleep(connector.wait_after(report, every))
            report = connector.run_session(drop_after=drop_after if number == 1 else None)
            _show(number, report)
    asked = ", ".join(
        f"{name} x{count}" for name, count in sorted(quickbooks.requests_by_type.items())
    )
    click.echo(
        f"QuickBooks answered {quickbooks.requests_handled} document(s): {asked or 'nothing'}"
    )
    if report is not None and report.refused:
        # A real Web Connector shows this in red; a script driving the sandbox needs the code.
        raise click.ClickException(f"the bridge refused the Web Connector: {report.describe()}")

sandbox.add_command(zoho_sandbox)

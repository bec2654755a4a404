"""``ml-connector company …`` and ``ml-connector qwc``: register QuickBooks company files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from connector.cli.common import AppContext, pass_app
from connector.hints import shell_arg
from connector.qbwc import (
    add_company,
    get_company,
    list_companies,
    render_qwc,
    set_active,
    set_company_file,
    set_password,
)
from connector.store import ClosedDealPolicy, InvoiceLinesPolicy, ZohoBornPolicy
from connector.sync.policy import describe, money_policy, set_policy, show_policy

__all__ = ["company", "qwc"]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("QBWC password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.BadParameter("the password must not be empty", param_hint="password")
    return password


@click.group()
def company() -> None:
    """Register and manage QuickBooks company files (one QBWC user each)."""


@company.command("add")
@click.argument("name")
@click.option("--qbwc-user", required=True, help="User name the Web Connector logs in with.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--company-file",
    default=None,
    help="Full path of the .qbw file. Another path is accepted only when it holds the same "
    "QuickBooks company (a mapped drive vs. its UNC path); other companies are refused.",
)
@click.option(
    "--pin-company-file",
    is_flag=True,
    help="Make the Web Connector open exactly --company-file (it then refuses the file under "
    "any other path). Default: it uses the file open in QuickBooks.",
)
@click.option("--poll-minutes", default=10, show_default=True, type=click.IntRange(min=1))
@pass_app
def company_add(app: AppContext, name: str, qbwc_user: str, password_stdin: bool,
                company_file: str | None, pin_company_file: bool, poll_minutes: int) -> None:
    """Register company NAME."""
    password = _read_password(password_stdin)
    row = add_company(app.db, name, qbwc_user, password, company_file=company_file,
                      pin_company_file=pin_company_file, poll_minutes=poll_minutes)
    click.echo(
        f"added company {row.name!r} (QBWC user {row.qbwc_user!r}, every {row.poll_minutes} min)"
    )
    click.echo(
        f"next: ml-connector qwc {shell_arg(row.name)} --url https://<your-host>/qbwc "
        f"> {shell_arg(row.name + '.qwc')}"
    )


@company.command("list")
@pass_app
def company_list(app: AppContext) -> None:
    """List registered companies and when the Web Connector last polled."""
    rows = list_companies(app.db)
    if not rows:
        click.echo("no companies yet: ml-connector company add NAME --qbwc-user USER")
        return
    click.echo(
        f"{'NAME':20} {'QBWC USER':16} {'ACTIVE':6} {'EVERY':>5}  {'LAST POLL':20} COMPANY FILE"
    )
    for c in rows:
        last = c.last_poll_at.strftime("%Y-%m-%d %H:%M UTC") if c.last_poll_at else "never"
        click.echo(f"{c.name:20} {c.qbwc_user:16} {'yes' if c.active else 'no':6} "
                   f"{c.poll_minutes:>4}m  {last:20} {c.company_file or '(any)'}"
                   + (" (pinned)" if c.pin_company_file else ""))


@company.command("disable")
@click.argument("name")
@pass_app
def company_disable(app: AppContext, name: str) -> None:
    """Refuse Web Connector logins for NAME (nothing is deleted)."""
    set_active(app.db, name, False)
    click.echo(f"company {name!r} disabled")


@company.command("enable")
@click.argument("name")
@pass_app
def company_enable(app: AppContext, name: str) -> None:
    """Accept Web Connector logins for NAME again."""
    set_active(app.db, name, True)
    click.echo(f"company {name!r} enabled")


@company.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def company_set_password(app: AppContext, name: str, password_stdin: bool) -> None:
    """Change the QBWC password of NAME (also lifts a lockout)."""
    get_company(app.db, name)
    set_password(app.db, name, _read_password(password_stdin))
    click.echo(f"password of {name!r} changed; enter the same one in the Web Connector")


@company.command("set-file")
@click.argument("name")
@click.argument("company_file", required=False)
@click.option("--pin-company-file/--no-pin-company-file", default=None,
              help="Make the Web Connector open exactly this path, or the file open in "
              "QuickBooks [default: as before].")
@pass_app
def company_set_file(app: AppContext, name: str, company_file: str | None,
                     pin_company_file: bool | None) -> None:
    """Register the .qbw path for NAME (omit it to accept any path). The QuickBooks company
    learned so far is forgotten: the next session learns it again."""
    set_company_file(app.db, name, company_file, pin=pin_company_file)
    pinned = get_company(app.db, name).pin_company_file
    click.echo(f"company {name!r} now expects {company_file or 'any company file'}"
               + (" (pinned)" if pinned else ""))


@company.command("policy")
@click.argument("name")
@click.option("--zoho-born", type=click.Choice([p.value for p in ZohoBornPolicy]), default=None,
              help="An Account created in Zoho with no QuickBooks customer: wait in `review "
              "list` (default), become a QuickBooks customer, or only be audited.")
@click.option("--closed-deals", type=click.Choice([p.value for p in ClosedDealPolicy]),
              default=None, help="A Deal closed lost or deleted in Zoho: keep the invoice and "
              "wait in `review list` (default), void the invoice, or only be audited.")
@click.option("--invoice-lines", type=click.Choice([p.value for p in InvoiceLinesPolicy]),
              default=None, help="A Zoho Invoice's line edits: restored to QuickBooks' lines "
              "and raised for review (quickbooks, default), or written into QuickBooks as an "
              "InvoiceMod (both-ways).")
@pass_app
def company_policy(app: AppContext, name: str, zoho_born: str | None,
                   closed_deals: str | None, invoice_lines: str | None) -> None:
    """Show or change what records made, closed or edited in Zoho do in NAME's QuickBooks."""
    if zoho_born is None and closed_deals is None and invoice_lines is None:
        policy = show_policy(app.db, name)
    else:
        policy = set_policy(app.db, name,
                            zoho_born=ZohoBornPolicy(zoho_born) if zoho_born else None,
                            closed_deals=ClosedDealPolicy(closed_deals) if closed_deals else None,
                            invoice_lines=InvoiceLinesPolicy(invoice_lines) if invoice_lines
                            else None)
    born, closed = describe(policy)
    click.echo(f"{name}: --zoho-born {policy.zoho_born}: {born}")
    click.echo(f"{name}: --closed-deals {policy.closed_deals}: {closed}")
    click.echo(f"{name}: --invoice-lines {policy.invoice_lines}: {money_policy(policy)}")


@click.command()
@click.argument("name")
@click.option(
    "--url",
    required=True,
    help="Public URL of the bridge's /qbwc endpoint (https unless localhost).",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
@pass_app
def qwc(app: AppContext, name: str, url: str, output: Path | None) -> None:
    """Write the .qwc file that registers company NAME in the Web Connector."""
    text = render_qwc(get_company(app.db, name), url)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(
            f"wrote {output}: open it in the QuickBooks Web Connector (Add an application)",
            err=True,
        )

"""``ml-connector zoho mapping``: see and change which of the org's values each QuickBooks
state gets (Deal stages, Invoice statuses) and the fixed values of unfed mandatory fields."""

from __future__ import annotations

from collections.abc import Sequence

import click

from connector.cli.common import AppContext, pass_app
from connector.mapping.values import choose, resolve_values, target
from connector.store.rows import require_id
from connector.store.types import utcnow
from connector.sync.org import Org, OrgSource, load_org, overrides_for
from connector.zoho.connection import load_connection, open_client
from connector.zoho.org_state import load_overrides, save_overrides

__all__ = ["mapping"]

_HOW = ("change with: ml-connector zoho mapping --set KEY=VALUE (VALUE '-' leaves it unset; "
        "--reset KEY goes back to the default)")


def _assignment(text: str) -> tuple[str, str]:
    key, eq, value = text.partition("=")
    if not eq or not key.strip():
        raise click.UsageError(f"--set takes KEY=VALUE, not {text!r}")
    return key.strip(), value.strip()


def _options(org: Org) -> list[str]:
    lines = []
    for module, api_name in (("Deals", "Stage"), ("Invoices", "Status")):
        info = org.meta.field(module, api_name)
        if info is not None:
            shown = ", ".join(o.display + (f" ({o.forecast_type})" if o.forecast_type else "")
                              for o in info.choices)
            lines.append(f"  {module}.{api_name}: {shown}")
    return lines


def render(org: Org, name: str) -> None:
    click.echo(f"Zoho value mapping of connection {name!r} (org metadata read "
               f"{org.meta.fetched_at:%Y-%m-%d %H:%M} UTC)")
    for r in org.values.resolutions:
        t = r.target
        value = r.value if r.value is not None else "(unset)"
        click.echo(f"  {t.key:<13} {t.module + '.' + t.field:<16} {t.meaning:<36} "
                   f"{value:<24} {r.problem or r.how}")
    for module, fixed in org.values.fixed.items():
        for api_name, value in fixed.items():
            click.echo(f"  {module + '.' + api_name:<30} {'fixed value (new records)':<36} "
                       f"{value}")
    for unfed in org.values.unfed:
        click.secho(f"  {unfed.module}.{unfed.field.api_name} is mandatory and nothing feeds it: "
                    f"new {unfed.module} fail until it has a fixed value", fg="red")
    for problem in org.values.problems:
        click.secho(f"  {problem}", fg="red")
    click.echo("values the org offers:")
    for line in _options(org):
        click.echo(line)
    click.echo(_HOW)


@click.command("mapping")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Map a state to one of the org's values (open-stage, won-stage, lost-stage, "
                   "invoice-open, invoice-paid, invoice-void) or give a mandatory field a fixed "
                   "value (Deals.Region=North). Repeatable.")
@click.option("--reset", multiple=True, metavar="KEY",
              help="Back to the default chosen by meaning (or drop a fixed value). Repeatable.")
@click.option("--refresh", is_flag=True, help="Read the org's fields metadata from Zoho first.")
@click.option("--name", default="default", show_default=True, help="Name of the connection.")
@pass_app
def mapping(app: AppContext, assignments: Sequence[str], reset: Sequence[str], refresh: bool,
            name: str) -> None:
    """Show which of the org's values each QuickBooks state gets; change them with --set."""
    source = OrgSource.from_settings(require_id(load_connection(app.db, name)), app.settings)
    with open_client(app.settings, app.db, app.secrets, name=name) as client:
        # A change is checked against the org as it is now, not as it was yesterday.
        org = load_org(app.db, client, source, now=utcnow(), refresh=refresh or bool(assignments))
    overrides = load_overrides(app.db, source.connection_id)
    for text in assignments:
        key, value = _assignment(text)
        try:
            overrides[key] = choose(org.meta, key, value)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    for key in reset:
        if key not in overrides and target(key) is None and "." not in key:
            raise click.UsageError(f"nothing to reset for {key!r}")
        overrides.pop(key, None)
    if assignments or reset:
        save_overrides(app.db, source.connection_id, overrides, now=utcnow())
        org = Org(org.meta, resolve_values(org.meta, overrides_for(app.db, source)))
    render(org, name)

"""``ml-connector sandbox zoho``: run the Zoho CRM simulator on two local ports.

Point the connector at it with ``MLC_ZOHO_ACCOUNTS_URL`` (everything else follows the
``api_domain`` of the token responses); drive it from another process through
``{api}/__admin/`` (edit records as a salesperson, read call counts, inject faults).
"""

from __future__ import annotations

import threading

import click

from connector.sandbox.zoho import ZohoSimulator
from connector.sandbox.zoho.profiles import PROFILES
from connector.sandbox.zoho.schema import EDITIONS

__all__ = ["zoho_sandbox"]


@click.command("zoho")
@click.option("--port-accounts", type=int, default=0, show_default=True,
              help="Port of the accounts (OAuth) server; 0 picks a free one.")
@click.option("--port-api", type=int, default=0, show_default=True,
              help="Port of the CRM API server; 0 picks a free one.")
@click.option("--client-id", default=None, help="Register this OAuth client.")
@click.option("--client-secret", default=None, help="Secret of --client-id.")
@click.option("--redirect-uri", default=None, help="Redirect URI registered for the client.")
@click.option("--profile", type=click.Choice(sorted(PROFILES)), default="default",
              show_default=True, help="The org's shape: its pipeline, statuses, custom fields.")
@click.option("--edition", type=click.Choice(sorted(EDITIONS)), default=None,
              help="Edition (default: the profile's, professional unless 'standard').")
@click.option("--dc", default="us", show_default=True, help="Data centre the org lives in.")
@click.option("--latency", type=float, default=0.0, show_default=True,
              help="Seconds every API call takes.")
@click.option("--duration", type=float, default=None,
              help="Stop after this many seconds (default: run until Ctrl-C).")
def zoho_sandbox(port_accounts: int, port_api: int, client_id: str | None,
                 client_secret: str | None, redirect_uri: str | None, profile: str,
                 edition: str | None, dc: str,
                 latency: float, duration: float | None) -> None:
    """Serve a simulated Zoho CRM org (accounts server + API) on 127.0.0.1."""
    if bool(client_id) != bool(client_secret):
        raise click.UsageError("--client-id and --client-secret go together")
    sim = ZohoSimulator(profile=profile, edition=edition, dc=dc, latency=latency)
    with sim.serve(accounts_port=port_accounts, api_port=port_api) as urls:
        click.echo(f"Zoho CRM simulator: data centre {dc}, {sim.edition} edition, "
                   f"profile {profile}, modules {', '.join(sim.modules)}")
        click.echo(f"accounts server : {urls.accounts_url}   (set MLC_ZOHO_ACCOUNTS_URL to this)")
        click.echo(f"API server      : {urls.api_url}   (the api_domain of every token)")
        click.echo(f"admin API       : {urls.api_url}/__admin/state")
        click.echo(f"org id          : {sim.org_id}   (zoho connect --client-credentials --org-id)")
        if client_id and client_secret:
            sim.register_client(client_id, client_secret, redirect_uri)
            click.echo(f"client id       : {client_id}")
            click.echo(f"refresh token   : {sim.issue_refresh_token(client_id)}")
        click.echo("Press Ctrl-C to stop." if duration is None else f"Stopping in {duration} s.")
        try:
            threading.Event().wait(duration)
        except KeyboardInterrupt:
            click.echo("stopped")
    sim.close()

"""``ml-connector zoho connect|setup`` and ``ml-connector ping``: the first commands a user runs."""

from __future__ import annotations

import webbrowser
from collections.abc import Sequence

import click

from connector.cli.channels import channels_command, renew_command, watch_command
from connector.cli.common import AppContext, pass_app
from connector.cli.zoho_mapping import mapping
from connector.cli.zoho_mapping import render as render_mapping
from connector.errors import ConfigError
from connector.store import ZohoConnection
from connector.store.rows import require_id
from connector.store.types import utcnow
from connector.sync.org import OrgSource, load_org
from connector.zoho import (
    MemoryTokenStore,
    OAuthApp,
    TokenEndpoint,
    TokenGrant,
    ZohoAuth,
    ZohoClient,
    edition,
    required_custom_fields,
)
from connector.zoho.auth import ClientCredentials, Credential
from connector.zoho.browser import authorize_in_browser
from connector.zoho.connection import (
    NewConnection,
    describe_mode,
    load_connection,
    open_client,
    save_connection,
)
from connector.zoho.fields import FieldCheck, OrgInfo
from connector.zoho.oauth import CLIENT_CREDENTIALS, org_id_of
from connector.zoho.ping import FAIL, PASS, SKIP, WARN, Check, ping_failed, run_ping
from connector.zoho.regions import REGIONS, accounts_url_for, region_of_accounts_url
from connector.zoho.retry import RetryPolicy

__all__ = ["zoho", "ping"]

# Someone is waiting at the terminal: a couple of quick tries, then say what went wrong.
_CONNECT_RETRY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=2.0)
_STYLE = {PASS: ("PASS", "green"), WARN: ("WARN", "yellow"), FAIL: ("FAIL", "red"),
          SKIP: ("SKIP", "bright_black")}


@click.group()
def zoho() -> None:
    """Connect ml-connector to a Zoho CRM org and prepare the org for syncing."""


def _accounts_url(app: AppContext, region: str | None, accounts_url: str | None) -> str:
    if region and accounts_url:
        raise click.UsageError("pass either --region or --accounts-url, not both")
    if accounts_url or region:
        return accounts_url_for(region, accounts_url)
    return accounts_url_for(app.settings.zoho_region, app.settings.zoho_accounts_url)


def _obtain_grant(endpoint: TokenEndpoint, grant_code: str | None, refresh_token: str | None,
                  browser: bool, port: int,
                  org_id: str | None) -> tuple[TokenEndpoint, TokenGrant, str | Credential]:
    """Exchange whatever the user brought for tokens and what mints the next ones (a refresh
    token or client credentials); the endpoint may move data centre."""
    if org_id:
        credential = ClientCredentials(org_id_of(org_id))
        return endpoint, credential.mint(endpoint), credential
    if refresh_token:
        return endpoint, endpoint.refresh(refresh_token), refresh_token
    if browser:
        auth = authorize_in_browser(endpoint, port=port, open_url=webbrowser.open,
                                    echo=click.echo)
        server = (auth.accounts_server or endpoint.app.accounts_url).rstrip("/")
        if server != endpoint.app.accounts_url:
            click.echo(f"your Zoho account lives at {server}; exchanging the code there")
            endpoint.close()
            endpoint = TokenEndpoint(OAuthApp(server, endpoint.app.client_id,
                                              endpoint.app.client_secret), retry=_CONNECT_RETRY)
        grant = endpoint.exchange_code(auth.code, redirect_uri=auth.redirect_uri)
    elif grant_code:
        grant = endpoint.exchange_code(grant_code)
    else:
        raise click.UsageError("pass exactly one of --grant-code, --refresh-token, --browser")
    if not grant.refresh_token:
        raise ConfigError("Zoho returned no refresh token, so the connection would die within "
                          "the hour; generate the grant code with access_type=offline (the "
                          "Self Client in the API console does so) and connect again")
    return endpoint, grant, grant.refresh_token


@zoho.command("connect")
@click.option("--region", type=click.Choice(list(REGIONS)), default=None,
              help="Data centre of the Zoho account (default: MLC_ZOHO_REGION, else us).")
@click.option("--accounts-url", default=None,
              help="Accounts server URL instead of a region (simulator, private cloud).")
@click.option("--client-id", default=None, help="Client id from the Zoho API console.")
@click.option("--grant-code", default=None, help="A grant code (Self Client > Generate Code).")
@click.option("--refresh-token", default=None, help="An existing refresh token for this client.")
@click.option("--browser", is_flag=True, help="Authorise in the browser (local redirect listener).")
@click.option("--client-credentials", is_flag=True,
              help="Headless: a Self Client's own tokens for --org-id (no refresh token; a new "
                   "access token is fetched whenever one is needed).")
@click.option("--org-id", default=None,
              help="--client-credentials: the Zoho CRM org id (profile picture > org id).")
@click.option("--redirect-uri", default=None,
              help="Redirect URI registered for the client, if the grant code needs it.")
@click.option("--port", default=8766, show_default=True, type=click.IntRange(1, 65535),
              help="--browser: port of the listener (redirect URI http://127.0.0.1:PORT/callback).")
@click.option("--name", default="default", show_default=True, help="Name of the connection.")
@pass_app
def connect(app: AppContext, region: str | None, accounts_url: str | None,
            client_id: str | None, grant_code: str | None, refresh_token: str | None,
            browser: bool, client_credentials: bool, org_id: str | None,
            redirect_uri: str | None, port: int, name: str) -> None:
    """Authorise ml-connector for a Zoho CRM org and store the connection (encrypted)."""
    if sum(bool(x) for x in (grant_code, refresh_token, browser, client_credentials)) != 1:
        raise click.UsageError("pass exactly one of --grant-code, --refresh-token, --browser, "
                               "--client-credentials")
    if client_credentials != bool(org_id and org_id_of(org_id)):
        raise click.UsageError("--client-credentials and --org-id go together (the org id is "
                               "in Zoho CRM under your profile picture)")
    client_id = client_id or app.settings.zoho_client_id
    if not client_id:
        raise click.UsageError("--client-id is required (or set MLC_ZOHO_CLIENT_ID)")
    secret = app.settings.zoho_client_secret
    secret_text = (secret.get_secret_value() if secret
                   else click.prompt("Zoho client secret", hide_input=True))
    app_cfg = OAuthApp(_accounts_url(app, region, accounts_url), client_id.strip(),
                       secret_text.strip(), redirect_uri)
    endpoint, grant, credential = _obtain_grant(TokenEndpoint(app_cfg, retry=_CONNECT_RETRY),
                                                grant_code, refresh_token, browser, port,
                                                org_id if client_credentials else None)
    auth = ZohoAuth(endpoint, credential, MemoryTokenStore(grant))
    with ZohoClient(auth) as client:
        org = client.org()
        if isinstance(credential, ClientCredentials) and org.id != credential.org_id:
            raise ConfigError(f"the token Zoho issued for org {credential.org_id} opens org "
                              f"{org.id} ({org.name}); check --org-id")
        has_invoices = "Invoices" in client.module_names()
        row = save_connection(app.db, app.secrets, NewConnection(
            app=endpoint.app, region=region or region_of_accounts_url(endpoint.app.accounts_url),
            refresh_token=credential if isinstance(credential, str) else "", grant=grant,
            org_id=org.id, edition=org.edition, mode=auth.credential.mode), name=name)
    _report_connected(app, row, org, grant, has_invoices)


def _report_connected(app: AppContext, row: ZohoConnection, org: OrgInfo, grant: TokenGrant,
                      has_invoices: bool) -> None:
    limits = edition(org.edition)
    click.secho(f"Connected to Zoho CRM as connection {row.name!r}", fg="green", bold=True)
    click.echo(f"  organisation : {org.name} (org id {org.id})")
    click.echo(f"  edition      : {org.edition.title()} - {limits.concurrency} calls at once; "
               f"Invoices {'available' if has_invoices else 'not in this edition'}")
    click.echo(f"  api_domain   : {grant.api_domain}")
    click.echo(f"  accounts     : {row.accounts_url} ({row.region or 'custom'})")
    click.echo(f"  scopes       : {grant.scope or '(not reported)'}")
    click.echo(f"  tokens       : {describe_mode(row)}")
    if row.auth_mode == CLIENT_CREDENTIALS:
        click.echo(f"  stored in    : {app.db.safe_url} (client secret and access token "
                   "encrypted)")
        # https://zoho.com/crm/developer/docs/api/v4/client-credentials.html
        click.echo("  note         : Zoho recommends client credentials for one-off tasks "
                   "(migrations, tests) and a grant code (--grant-code) for integrations")
    else:
        click.echo(f"  stored in    : {app.db.safe_url} (refresh token and secret encrypted)")
    click.echo("next: ml-connector zoho setup   (creates the custom fields the sync needs and "
               "shows which of the org's stages and statuses it will use)")


def _describe(check: FieldCheck) -> str:
    f = check.field
    state = {"ok": "present", "missing": "will be created",
             "not_unique": "EXISTS BUT NOT UNIQUE", "wrong_type": "EXISTS WITH ANOTHER TYPE",
             "no_module": "MODULE MISSING"}[check.status]
    size = f"({f.length})" if f.data_type == "text" else ""
    return (f"  {f.module + '.' + f.api_name:<22} {f.data_type}{size}"
            f"{', unique' if f.unique else ''}  - {state}")


@zoho.command("setup")
@click.option("--yes", is_flag=True, help="Create the missing fields without asking.")
@click.option("--name", default="default", show_default=True, help="Name of the connection.")
@pass_app
def setup(app: AppContext, yes: bool, name: str) -> None:
    """Create the custom fields the sync needs (a unique QuickBooks key per module), then read
    the org's fields metadata and show how its picklist values will be used."""
    source = OrgSource.from_settings(require_id(load_connection(app.db, name)), app.settings)
    with open_client(app.settings, app.db, app.secrets, name=name) as client:
        has_invoices = "Invoices" in client.module_names()
        checks = client.check_custom_fields(required_custom_fields(has_invoices=has_invoices))
        click.echo("Custom fields ml-connector needs in Zoho CRM:")
        for check in checks:
            click.echo(_describe(check))
        missing = [c for c in checks if c.status == "missing"]
        problems = [c for c in checks if c.status not in ("ok", "missing")]
        if missing:
            if not yes:
                click.confirm(f"Create {len(missing)} field(s) now?", abort=True, default=True)
            for check in missing:
                client.create_field(check.field)
                click.echo(f"  created {check.field.module}.{check.field.api_name}")
        else:
            click.echo("Nothing to create.")
        org = load_org(app.db, client, source, now=utcnow(), refresh=True)
    render_mapping(org, name)
    if problems:
        raise click.ClickException(
            "fix these fields by hand in Zoho (Setup > Modules and Fields): make each a "
            "single-line text field with 'Do not allow duplicate values' ticked")
    if not has_invoices:
        click.echo("(no Invoices module in this edition: its key field is not needed)")


def render_checks(checks: Sequence[Check]) -> None:
    width = max(len(c.name) for c in checks)
    for check in checks:
        word, colour = _STYLE[check.status]
        click.echo(f"  {click.style(word, fg=colour, bold=True)}  {check.name:<{width}}  "
                   f"{check.detail}")
        if check.hint and check.status in (FAIL, WARN):
            click.echo(f"  {'':4}  {'':<{width}}  {click.style('fix: ' + check.hint, fg=colour)}")
    counts = {s: sum(1 for c in checks if c.status == s) for s in _STYLE}
    summary = (f"{counts[FAIL]} failed, {counts[WARN]} warnings, {counts[PASS]} passed"
               + (f", {counts[SKIP]} skipped" if counts[SKIP] else ""))
    click.secho(summary, fg="red" if counts[FAIL] else "green", bold=True)


@click.command()
@click.option("--name", default="default", show_default=True, help="Zoho connection to check.")
@pass_app
def ping(app: AppContext, name: str) -> None:
    """Check Zoho (token, org, edition, modules, fields, credits) and each company's polling."""
    click.echo(f"ml-connector ping ({app.db.safe_url})")
    checks = run_ping(app.settings, app.db, app.secrets, name=name)
    render_checks(checks)
    if ping_failed(checks):
        raise SystemExit(1)


zoho.add_command(mapping)
for _command in (watch_command, channels_command, renew_command):
    zoho.add_command(_command)

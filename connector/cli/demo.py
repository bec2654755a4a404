"""``ml-connector demo``: the whole system, end to end, on the built-in simulators.

What a user would do runs as real commands in their own processes (the bridge with waitress,
``company add``, ``qwc``, ``zoho connect``, ``zoho setup``, ``ping``); what lives elsewhere in
real life is simulated here: QuickBooks + the Web Connector on "the Windows PC" and Zoho CRM.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import click
import httpx
from sqlmodel import col, func, select

from connector.cli.demo_org import plan_and_confirm, prefill_org, undo_first_load
from connector.config import Settings
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.sandbox.webconnector import WebConnector
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database, RawResponse, Watermark
from connector.store.types import utcnow

__all__ = ["demo"]

ACME_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Acme Ltd.qbw"
GLOBEX_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Globex.qbw"
CLIENT_ID, CLIENT_SECRET = "1000.DEMOCLIENT", "demo-client-secret"


def _step(title: str) -> None:
    click.secho(f"\n== {title}", fg="cyan", bold=True)


class Shell:
    """Runs ``ml-connector`` commands as a user would, in a fresh process each."""

    def __init__(self, env: dict[str, str]):
        self.env = env

    def run(self, *args: str, stdin: str | None = None, check: bool = True) -> int:
        shown = " ".join(f'"{a}"' if " " in a else a for a in args)
        click.secho(f"$ ml-connector {shown}", fg="yellow")
        # Our own CLI under this interpreter; the exit code is judged below (``check``).
        done = subprocess.run([sys.executable, "-m", "connector.cli", *args],  # noqa: S603
                              input=stdin, env=self.env, text=True, capture_output=True,
                              timeout=120, check=False)
        for line in (done.stdout + done.stderr).splitlines():
            click.echo(f"  {line}")
        if check and done.returncode != 0:
            raise click.ClickException(
                f"`ml-connector {shown}` failed with exit code {done.returncode}"
            )
        return done.returncode

    def start(self, *args: str) -> subprocess.Popen[str]:
        click.secho(f"$ ml-connector {' '.join(args)} &", fg="yellow")
        return subprocess.Popen([sys.executable, "-m", "connector.cli", *args],  # noqa: S603
                                env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


class _Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[str]) -> None:
    for _ in range(150):
        if proc.poll() is not None:
            raise click.ClickException(
                f"the bridge exited: {proc.stderr.read() if proc.stderr else ''}"
            )
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise click.ClickException(f"the bridge did not answer {url} within 15 s")


def _session(wc: WebConnector, label: str) -> None:
    report = wc.run_session()
    click.echo(f"  [{label}] {report.describe()}")


def _stored(db: Database) -> None:
    waiting = col(RawResponse.processed_at).is_(None)
    with db.session() as s:
        responses = s.exec(select(func.count()).select_from(RawResponse).where(waiting)).one()
        # The bridge counted each response's records when it stored it: no need to parse again.
        counts = s.exec(
            select(RawResponse.company_id, RawResponse.entity, func.sum(RawResponse.record_count))
            .where(waiting)
            .group_by(col(RawResponse.company_id), col(RawResponse.entity))
            .order_by(col(RawResponse.company_id), col(RawResponse.entity))
        ).all()
        marks = s.exec(select(Watermark)).all()
    click.echo(f"  {responses} raw QuickBooks responses stored, waiting for the sync:")
    for company_id, entity, n in counts:
        click.echo(f"    company #{company_id}: {n:4} {entity} records")
    click.echo(f"  {len(marks)} watermarks, e.g. " + ", ".join(
        f"#{m.company_id} {m.entity} @ {m.value:%H:%M:%S}" for m in marks[:3]))


def _zoho_landed(zoho: ZohoSimulator) -> None:
    counts = {m: len(zoho.records(m)) for m in ("Accounts", "Contacts", "Deals", "Products",
                                                 "Invoices")}
    click.echo("  in Zoho CRM now: " + ", ".join(f"{n} {m}" for m, n in counts.items()))
    accounts = {a["id"]: a for a in zoho.records("Accounts")}
    products = {p["id"]: p for p in zoho.records("Products")}
    deal = max(zoho.records("Deals"), key=lambda d: len(zoho.related_products(d["id"])))
    account = accounts.get((deal.get("Account_Name") or {}).get("id", ""), {})
    click.echo(f"  e.g. Deal {deal['Deal_Name']!r}: {deal['Amount']} ({deal['Stage']}), "
               f"closing {deal['Closing_Date']}")
    contacts = {c["id"]: c for c in zoho.records("Contacts")}
    contact = contacts.get((deal.get("Contact_Name") or {}).get("id", ""), {})
    click.echo(f"       Account {account.get('Account_Name')!r}, Contact "
               f"{contact.get('Full_Name') or contact.get('Last_Name')!r}, "
               f"QBD_Key {deal['QBD_Key']}")
    click.echo("       Products (code): " + ", ".join(
        f"{products[p]['Product_Name']} ({products[p].get('Product_Code')})"
        for p in zoho.related_products(deal["id"])))


def _first_contact(shell: Shell, settings: Settings, zoho: ZohoSimulator,
                   wc_acme: WebConnector, wc_globex: WebConnector) -> None:
    _session(wc_acme, "Acme")
    _session(wc_globex, "Globex")
    _step("4. Sync to Zoho CRM (the qb-to-zoho flow's work, run here by the CLI): the org is "
          "in use, so the first load waits for a confirmed plan")
    plan_and_confirm(shell, settings)
    _zoho_landed(zoho)


def _delta(shell: Shell, acme: QuickBooksSimulator, wc_acme: WebConnector) -> None:
    _step("5. A bookkeeper edits QuickBooks; the next poll and sync carry only what changed")
    cafe = acme.company.add_customer("Café Zürich GmbH", Email="einkauf@cafe-zuerich.ch",
                                     Phone="+41 44 123 45 67")
    service = next(i for i in acme.company.listed("Item") if i.kind == "ItemService")
    acme.company.add_invoice(cafe.list_id, lines=[{"ItemRef": service.list_id, "Quantity": 3}])
    regular = acme.company.listed("Customer")[5]
    acme.company.modify_customer(regular.list_id, Phone="+1 555 0100")
    click.echo(f"  bookkeeper: added customer {cafe.name!r} with an invoice, changed the phone "
               f"of {regular.name!r}")
    _session(wc_acme, "Acme")
    shell.run("sync", "--company", "Acme Ltd")


def _write_back(shell: Shell, zoho: ZohoSimulator, acme: QuickBooksSimulator,
                wc_acme: WebConnector) -> None:
    _step("6. A salesperson edits Zoho; the change travels back to QuickBooks")
    regular = acme.company.listed("Customer")[7]
    account = next(a for a in zoho.records("Accounts")
                   if str(a.get("QBD_Key", "")).endswith(":" + regular.list_id))
    zoho.wait_for_notifications()  # let the echoes of our own sync arrive first
    zoho.edit_record("Accounts", account["id"], Phone="+1 555 0177")
    zoho.wait_for_notifications()
    click.echo(f"  salesperson: phone of {account['Account_Name']!r} in Zoho -> +1 555 0177 "
               f"(QuickBooks has {regular.fields.get('Phone')!r})")
    deal = next(d for d in zoho.records("Deals") if d.get("QBD_Key"))
    zoho.edit_record("Deals", deal["id"], Amount=1.0)
    zoho.wait_for_notifications()
    click.echo(f"  salesperson: Amount of Deal {deal['Deal_Name']!r} in Zoho -> 1.00 "
               f"(QuickBooks bills {deal['Amount']}); QuickBooks owns money")
    shell.run("sync-back", "--company", "Acme Ltd")
    _session(wc_acme, "Acme")
    click.echo(f"  QuickBooks now: phone of {regular.name!r} is "
               f"{acme.company.customer(regular.list_id).fields.get('Phone')!r}")
    click.echo(f"  Zoho now: Amount of Deal {deal['Deal_Name']!r} is "
               f"{zoho.record('Deals', deal['id'])['Amount']} again (see review list below)")
    shell.run("audit", "find", str(deal["Deal_Name"]))


def _run(shell: Shell, settings: Settings, zoho: ZohoSimulator, bridge_url: str) -> None:
    _step("1. Register two QuickBooks company files (each gets its own Web Connector user)")
    shell.run("company", "add", "Acme Ltd", "--qbwc-user", "acme", "--password-stdin",
              "--company-file", ACME_FILE, "--poll-minutes", "15", stdin="acme-pass\n")
    shell.run("company", "add", "Globex", "--qbwc-user", "globex", "--password-stdin",
              "--company-file", GLOBEX_FILE, stdin="globex-pass\n")
    shell.run("qwc", "Acme Ltd", "--url", bridge_url, "-o", str(settings.data_dir / "acme.qwc"))

    _step("2. Connect Zoho CRM (simulated org) and prepare its custom fields")
    grant = zoho.grant_code(CLIENT_ID)
    shell.run("zoho", "connect", "--client-id", CLIENT_ID, "--grant-code", grant)
    shell.run("zoho", "setup", "--yes")
    # Zoho calls the bridge back on every change (ids only); the bridge checks channel + token.
    shell.run("zoho", "watch", "--notify-url", bridge_url.replace("/qbwc", "/zoho/notify"))

    _step("3. The Web Connector polls: first contact reads everything, paged by iterators")
    # The seeded books were last touched three days ago, as a real company file would be.
    clock = _Clock(utcnow() - timedelta(days=3))
    acme = QuickBooksSimulator(ACME_FILE, company_name="Acme Ltd", clock=clock)
    seed_company(acme, customers=60, invoices=30, lines_per_invoice=3, seed=1)
    globex = QuickBooksSimulator(GLOBEX_FILE, company_name="Globex", clock=clock)
    seed_company(globex, customers=12, invoices=5, lines_per_invoice=2, seed=2)
    clock.now = utcnow()
    prefilled = prefill_org(zoho, acme)
    with WebConnector(bridge_url, "acme", "acme-pass", acme) as wc_acme, \
            WebConnector(bridge_url, "globex", "globex-pass", globex) as wc_globex:
        _first_contact(shell, settings, zoho, wc_acme, wc_globex)
        _delta(shell, acme, wc_acme)
        _write_back(shell, zoho, acme, wc_acme)

        _step("7. What goes wrong in real life is refused cleanly")
        with WebConnector(bridge_url, "acme", "wrong-pass", acme) as wrong:
            _session(wrong, "wrong password")
        mixed_up = QuickBooksSimulator(GLOBEX_FILE, company_name="Globex")
        with WebConnector(bridge_url, "acme", "acme-pass", mixed_up) as wrong_file:
            _session(wrong_file, "Acme user, Globex file open")
        # Until Acme's own file is open again, `ping` names the mix-up; the bookkeeper fixes it.
        _session(wc_acme, "Acme, its own file open again")

    _step("8. Undo Acme's first load: what it created goes to Zoho's recycle bin, the Accounts "
          "it adopted get their values back")
    undo_first_load(shell, settings, zoho, prefilled)

    _step("9. Check everything from the user's side")
    shell.run("ping")
    shell.run("company", "list")
    shell.run("audit", "list")
    shell.run("review", "list")
    db = Database(settings.resolved_database_url)
    _stored(db)
    db.dispose()


@click.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the demo's database here (default: a new temporary directory).")
def demo(data_dir: Path | None) -> None:
    """Run the whole system end to end on the built-in simulators (SQLite)."""
    for name in ("httpx", "httpcore", "werkzeug"):
        logging.getLogger(name).setLevel(logging.WARNING)
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="mlc-demo-"))
    settings = Settings(data_dir=data_dir, database_url=None, min_poll_seconds=0,
                        max_returned_customers=25, max_returned_invoices=10)
    port = _free_port()
    bridge_url = f"http://127.0.0.1:{port}/qbwc"
    zoho = ZohoSimulator(org_name="Demo Org")
    zoho.register_client(CLIENT_ID, CLIENT_SECRET)
    with zoho.serve() as urls:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLC_")}
        env.update(MLC_DATA_DIR=str(data_dir), MLC_MIN_POLL_SECONDS="0",
                   MLC_MAX_RETURNED_CUSTOMERS="25", MLC_MAX_RETURNED_INVOICES="10",
                   MLC_ZOHO_ACCOUNTS_URL=urls.accounts_url, MLC_ZOHO_CLIENT_SECRET=CLIENT_SECRET,
                   MLC_LOG_LEVEL="WARNING")
        shell = Shell(env)
        click.secho(f"ml-connector demo — data in {data_dir}", bold=True)
        click.echo(f"Zoho CRM simulator: accounts {urls.accounts_url}, API {urls.api_url}")
        bridge = shell.start("bridge", "--port", str(port))
        try:
            _wait_healthy(bridge_url.replace("/qbwc", "/healthz"), bridge)
            click.echo(f"  bridge up at {bridge_url}")
            _run(shell, settings, zoho, bridge_url)
        finally:
            bridge.terminate()
            bridge.wait(timeout=10)
    _step("Done")
    click.echo("What ran: the SOAP bridge (waitress) served two simulated Web Connectors over "
               "HTTP; QuickBooks answers were stored raw with watermarks per company; Zoho was "
               "connected and prepared over OAuth; the org already held Accounts, so the first "
               "`ml-connector sync` (the library call the qb-to-zoho Prefect flow makes, here "
               "without a Prefect server) waited for a plan, confirmed, then turned the stored "
               "records into Zoho Accounts (existing ones adopted by e-mail or phone), Contacts, "
               "Products, Deals and Invoices over HTTP, "
               "then carried only the bookkeeper's changes; Zoho's change notifications reached "
               "the bridge and `ml-connector sync-back` queued the salesperson's edit, which the "
               "next Web Connector session wrote into QuickBooks; `ml-connector undo` took Acme's "
               "first load back, skipping what later runs changed; every run is in `audit list`. "
               "Not shown: the Prefect server and deployments themselves (prefect.yaml): the "
               "CLI runs the same library calls the flows make.")

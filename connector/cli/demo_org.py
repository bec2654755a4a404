"""The demo's first contact with a Zoho org the sales team already uses: the Accounts it holds
before the load, the plan, its confirmation, and at the end the undo of that load."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from sqlmodel import col, select

from connector.config import Settings
from connector.phones import e164
from connector.sandbox.qbd import QuickBooksSimulator
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Company, Database, SyncPlan

if TYPE_CHECKING:
    from connector.cli.demo import Shell

__all__ = ["prefill_org", "plan_and_confirm", "undo_first_load"]


def prefill_org(zoho: ZohoSimulator, acme: QuickBooksSimulator) -> list[str]:
    """Accounts the sales team keyed in over the years: some are Acme's customers by e-mail
    or by phone (typed their own way), some only share a name, two share one e-mail, the rest
    are prospects. Returns the ids of those made."""
    # The demo's later steps edit the first customers: they stay clear of the review.
    people = [c for c in acme.company.listed("Customer")[10:]
              if c.parent_id is None and c.fields.get("Email") and c.fields.get("Phone")]
    by_email, by_phone, by_name, shared = people[:4], people[4:6], people[6:9], people[9]
    made: list[str] = []

    def account(**fields: object) -> str:
        made.append(zoho.create_record("Accounts", **fields)["id"])
        return made[-1]

    for c in by_email:
        owner = account(Account_Name=f"{c.name} (old CRM)")
        zoho.create_record("Contacts", Last_Name=c.name.split(",")[0],
                           Email=str(c.fields["Email"]).upper(), Account_Name={"id": owner})
    for c in by_phone:
        digits = (e164(str(c.fields["Phone"])) or "")[2:]
        account(Account_Name=f"{c.name} (trade show)",
                Phone=f"+1 ({digits[:3]}) {digits[3:6]} {digits[6:]}")
    for c in by_name:
        account(Account_Name=c.name.upper())
    for twin in ("East", "West"):
        owner = account(Account_Name=f"{shared.name} {twin}")
        zoho.create_record("Contacts", Last_Name="Buyer", Email=shared.fields["Email"],
                           Account_Name={"id": owner})
    for n in range(5):
        account(Account_Name=f"Prospect {n + 1} Ltd", Phone=f"+44 20 7946 01{n:02d}")
    click.echo(f"  the sales team's Zoho org already holds {len(made)} Accounts: "
               f"{len(by_email)} are Acme customers by e-mail, {len(by_phone)} by phone (typed "
               f"another way), {len(by_name)} only share a customer's name, 2 share one "
               "customer's e-mail, 5 are prospects")
    return made


def plan_and_confirm(shell: Shell, settings: Settings) -> None:
    """The first sync refuses to write into the populated org; each company is planned,
    read and confirmed in turn (the next one's plan then sees what the first one claimed)."""
    shell.run("sync", check=False)
    for company in ("Acme Ltd", "Globex"):
        shell.run("sync", "--company", company, "--plan")
        db = Database(settings.resolved_database_url)
        try:
            with db.session() as s:
                plan_id = s.exec(select(SyncPlan.id)
                                 .join(Company, col(Company.id) == SyncPlan.company_id)
                                 .where(Company.name == company)
                                 .order_by(col(SyncPlan.id).desc())).first()
        finally:
            db.dispose()
        click.echo("  (a person reads the plan and its CSV, then confirms it; the customers "
                   "held for review wait in `review list`)")
        shell.run("sync", "--confirm", str(plan_id))


def undo_first_load(shell: Shell, settings: Settings, zoho: ZohoSimulator,
                    prefilled: list[str]) -> None:
    """Undo Acme's first load: the records later runs changed are skipped and listed."""
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as s:
            load = s.exec(select(SyncPlan.applied_run_id)
                          .join(Company, col(Company.id) == SyncPlan.company_id)
                          .where(Company.name == "Acme Ltd")).first()
    finally:
        db.dispose()
    if load is None:
        raise click.ClickException("Acme's first load is not recorded")
    shell.run("undo", str(load), "--plan")
    shell.run("undo", str(load), "--confirm")
    keyed = [a for a in zoho.records("Accounts") if a["id"] in prefilled and a.get("QBD_Key")]
    kept = (f"; {len(keyed)} changed since the load keep their QuickBooks key" if keyed
            else "")
    click.echo(f"  Zoho now: {len(zoho.records('Accounts'))} Accounts; "
               f"{len(prefilled) - len(keyed)} of the sales team's {len(prefilled)} hold again "
               f"what they held before the load{kept}")

"""The first load of a company into a Zoho org that already holds Accounts waits for a
person: a plan is made (``sync --plan``), read, and confirmed (``sync --confirm PLAN_ID``);
the sync then writes what the plan said. An empty org, a company that has synced before, or
MLC_FIRST_LOAD_NEEDS_PLAN=false go straight on.
"""

from __future__ import annotations

from connector.errors import WaitsForPerson
from connector.hints import shell_arg
from connector.mapping.keys import ACCOUNT, CONTACT
from connector.plans.saved import confirmed_plan, plan_rows
from connector.store import Company, Database
from connector.store.rows import require_id
from connector.sync.confirmed import ConfirmedPlan, PlannedAccount
from connector.sync.links import any_written
from connector.zoho.client import ZohoClient
from connector.zoho.fields import QBD_KEY

__all__ = ["FirstLoadNeedsPlan", "first_load_gate"]


class FirstLoadNeedsPlan(WaitsForPerson):
    """A first load into a populated org that nobody has confirmed yet."""


def _org_holds_accounts(client: ZohoClient) -> bool:
    # COQL, not SQL, and QBD_KEY is our own field name.
    rows, _ = client.coql(f"select id from Accounts where {QBD_KEY} is null limit 1")  # noqa: S608
    return bool(rows)


def _load(db: Database, plan_id: int) -> ConfirmedPlan:
    rows = plan_rows(db, plan_id)
    return ConfirmedPlan(plan_id, {
        r.qb_id: PlannedAccount(r.edit_sequence, r.action, r.zoho_id,
                                tuple(str(c) for c in r.candidates), r.reason)
        for r in rows if r.qb_type == ACCOUNT.qb_type and r.zoho_module == ACCOUNT.zoho_module
    }, {r.qb_id: r.zoho_id for r in rows
        if r.qb_type == CONTACT.qb_type and r.action == "link" and r.zoho_id})


def first_load_gate(db: Database, client: ZohoClient, company: Company, *,
                    required: bool) -> ConfirmedPlan | None:
    """The confirmed plan this run follows (None: none to follow); raises
    ``FirstLoadNeedsPlan`` when the run must not write before a person confirmed one."""
    company_id = require_id(company)
    confirmed = confirmed_plan(db, company_id)
    if confirmed is not None:
        return _load(db, require_id(confirmed))
    if not required or any_written(db, company_id) or not _org_holds_accounts(client):
        return None
    raise FirstLoadNeedsPlan(
        f"company {company.name!r} was never synced to this Zoho org, which already holds "
        "Accounts: nothing was written. See what the first sync would do with "
        f"`ml-connector sync --company {shell_arg(company.name)} --plan`, then run it with "
        "`ml-connector sync --confirm PLAN_ID` (or set MLC_FIRST_LOAD_NEEDS_PLAN=false)")

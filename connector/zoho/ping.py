"""The checks behind ``ml-connector ping``: is everything we depend on actually working?

Each check is a plain function returning ``Check`` results (pass, warn, fail or skip), with a
hint that tells the user how to fix a failure. Nothing here prints; the CLI renders them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import httpx
from sqlmodel import col, select

from connector.audit import RunStatus
from connector.config import Settings
from connector.crypto import SecretBox
from connector.errors import ConnectorError
from connector.hints import shell_arg
from connector.mapping.values import OrgValues
from connector.qbwc.retention import retention, scans_outstanding
from connector.qbwc.watermarks import watermarks
from connector.runs.env import UseCase
from connector.store import AuditRun, Company, Database, SyncBackPolicy
from connector.store.rows import require_id
from connector.store.types import utcnow
from connector.sync.org import OrgSource, load_org
from connector.sync.policy import describe, money_policy, policy_of
from connector.zoho.checks import FAIL, PASS, SKIP, WARN, Check
from connector.zoho.client import ZohoClient
from connector.zoho.connection import describe_mode, load_connection, open_client
from connector.zoho.fields import SYNC_MODULES, required_custom_fields
from connector.zoho.limits import credit_usage
from connector.zoho.metadata import OrgMeta
from connector.zoho.ping_org import MANDATORY, MAPPING, mapping_checks
from connector.zoho.regions import REGIONS
from connector.zoho.retry import RetryPolicy

__all__ = ["Check", "PASS", "WARN", "FAIL", "SKIP", "zoho_checks", "company_checks",
           "run_ping", "ping_failed"]

CONNECT = "ml-connector zoho connect --client-id ID --grant-code CODE (or --browser)"
# A poll this much later than the company's interval means the Web Connector stopped.
_LATE_FACTOR = 3
# ping asks once and reports; it does not sit through a long backoff.
_PING_RETRY = RetryPolicy(attempts=2, base_delay=0.5, max_delay=2.0)


def _ago(moment: datetime, now: datetime) -> str:
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} days ago"


def _fail(name: str, exc: ConnectorError, hint: str) -> Check:
    return Check(name, FAIL, str(exc), hint)


def _refresh_check(client: ZohoClient, region: str | None) -> list[Check]:
    token = client.auth.force_refresh()
    expected = REGIONS[region].api_domain if region in REGIONS else None
    note = "" if expected in (None, token.api_domain) else f" (the region's usual: {expected})"
    until = token.expires_at.strftime("%H:%M UTC") if token.expires_at else "?"
    return [Check("Zoho token refresh", PASS,
                  f"access token valid until {until}; API at {token.api_domain}{note}")]


def _org_checks(client: ZohoClient, stored_org: str | None) -> list[Check]:
    org = client.org()
    detail = (f"{org.name or '(unnamed)'} (org id {org.id}), {org.edition.title()} edition"
              + ("" if org.paid else " (trial or free)")
              + (f", {org.licenses} user licences" if org.licenses else ""))
    if stored_org and org.id != stored_org:
        return [Check("Zoho organisation", FAIL, f"{detail}; the connection was made for org "
                      f"{stored_org}", "the refresh token now opens another org; " + CONNECT)]
    names = client.module_names()
    missing = [m for m in SYNC_MODULES if m not in names and m != "Invoices"]
    checks = [Check("Zoho organisation", PASS, detail)]
    if missing:
        checks.append(Check("Zoho modules", FAIL, f"missing: {', '.join(missing)}",
                            "enable these modules in Zoho CRM (Setup > Modules and Fields)"))
    elif "Invoices" not in names:
        checks.append(Check("Zoho modules", WARN, _NO_INVOICES,
                            "invoice lines then live only as Products related to each Deal; "
                            "Professional edition and above add Invoices with line items"))
    else:
        checks.append(Check("Zoho modules", PASS, ", ".join(SYNC_MODULES)))
    return checks


def _field_check(client: ZohoClient, has_invoices: bool) -> Check:
    wanted = required_custom_fields(has_invoices=has_invoices)
    results = client.check_custom_fields(wanted)
    bad = [r for r in results if not r.ok]
    if not bad:
        by_name: dict[str, list[str]] = {}
        for f in wanted:
            by_name.setdefault(f.api_name + (" (unique)" if f.unique else ""), []).append(f.module)
        return Check("custom fields", PASS,
                     "; ".join(f"{name} on {', '.join(mods)}" for name, mods in by_name.items()))
    words = {"missing": "missing", "not_unique": "not unique", "wrong_type": "not a text field",
             "no_module": "module missing"}
    detail = "; ".join(f"{r.field.module}.{r.field.api_name} {words.get(r.status, r.status)}"
                       for r in bad)
    return Check("custom fields", FAIL, detail, "run `ml-connector zoho setup` to create them")


def _org_view(db: Database, client: ZohoClient, connection_id: int, settings: Settings,
              now: datetime) -> tuple[OrgMeta, OrgValues]:
    org = load_org(db, client, OrgSource.from_settings(connection_id, settings), now=now,
                   refresh=True)
    return org.meta, org.values


def _credit_check(db: Database, settings: Settings, connection_id: int, now: datetime) -> Check:
    used = credit_usage(db, connection_id, now.date())
    budget = settings.zoho_daily_credit_budget
    share = used / budget if budget else 1.0
    detail = f"{used:,} of {budget:,} credits used today (UTC day), {share:.1%}"
    hint = "raise MLC_ZOHO_DAILY_CREDIT_BUDGET if the org's allowance has room, or wait a day"
    if share >= 1.0:
        return Check("API credits", FAIL, detail, hint)
    if share >= 0.8:
        return Check("API credits", WARN, detail, hint)
    return Check("API credits", PASS, detail)


_LATER = ("Zoho token refresh", "Zoho organisation", "Zoho modules", "custom fields", MAPPING,
          MANDATORY)
_NO_INVOICES = "no Invoices module in this edition"


def _skipped(names: Sequence[str]) -> list[Check]:
    return [Check(n, SKIP, "not checked: an earlier check failed") for n in names]


def _guarded(name: str, step: Callable[[], list[Check]], hint: str) -> list[Check]:
    try:
        return step()
    except ConnectorError as exc:
        return [Check(name, FAIL, str(exc), hint)]


def zoho_checks(settings: Settings, db: Database, secrets: SecretBox, *, name: str = "default",
                transport: httpx.BaseTransport | None = None,
                accounts_transport: httpx.BaseTransport | None = None,
                clock: Callable[[], datetime] = utcnow) -> list[Check]:
    """Connection, token refresh, org and edition, modules, our custom fields, credits."""
    try:
        row = load_connection(db, name)
        client = open_client(settings, db, secrets, name=name, transport=transport,
                             accounts_transport=accounts_transport, retry=_PING_RETRY,
                             clock=clock)
    except ConnectorError as exc:
        return [Check("Zoho connection", FAIL, str(exc), CONNECT),
                *_skipped([*_LATER, "API credits"])]
    connection_id = require_id(row)
    shown = row.client_id if len(row.client_id) <= 16 else row.client_id[:16] + "…"
    checks = [Check("Zoho connection", PASS, f"client {shown} at {row.accounts_url} "
                    f"({row.region or 'custom accounts server'}); {describe_mode(row)}")]
    trouble = "check Zoho's status page, the network, and the connection's scopes"
    steps: list[tuple[str, Callable[[], list[Check]], str]] = [
        ("Zoho token refresh", lambda: _refresh_check(client, row.region), CONNECT),
        ("Zoho organisation", lambda: _org_checks(client, row.org_id), trouble),
        ("custom fields", lambda: [_field_check(
            client, not any(c.detail == _NO_INVOICES for c in checks))], trouble),
        # Read afresh (and stored): ping is where a user looks after changing the org.
        (MAPPING, lambda: mapping_checks(*_org_view(db, client, connection_id, settings,
                                                    clock())), trouble),
    ]
    with client:
        for step_name, step, hint in steps:
            checks.extend(_guarded(step_name, step, hint))
            if any(c.status == FAIL for c in checks):
                done = {c.name for c in checks}
                checks.extend(_skipped([n for n in _LATER if n not in done]))
                break
    checks.append(_credit_check(db, settings, connection_id, clock()))
    return checks


def company_checks(db: Database, *, now: datetime,
                   settings: Settings | None = None) -> list[Check]:
    settings = settings or Settings()
    with db.session() as s:
        companies = list(s.exec(select(Company).order_by(col(Company.name))))
        marks = {c.id: watermarks(s, require_id(c)) for c in companies}
        policies = {c.id: policy_of(s, require_id(c)) for c in companies}
        last_syncs = {c.id: s.exec(select(AuditRun)
                                   .where(AuditRun.company_id == c.id)
                                   .where(col(AuditRun.flow).in_([UseCase.QB_TO_ZOHO,
                                                                  UseCase.BACKFILL]))
                                   .order_by(col(AuditRun.id).desc()).limit(1)).first()
                      for c in companies}
    if not companies:
        return [Check("QuickBooks companies", WARN, "none registered yet",
                      "register one with `ml-connector company add NAME --qbwc-user USER`")]
    checks: list[Check] = []
    for c in companies:
        checks.extend(_one_company(c, now))
        if c.active and c.last_poll_at is not None:
            checks.append(_deletions(c, marks[c.id], settings, now))
        if c.active:
            checks.extend(_waiting(c, last_syncs[c.id]))
            checks.extend(_policy_checks(c, policies[c.id]))
    return checks


def _waiting(c: Company, last: AuditRun | None) -> list[Check]:
    """A company whose last sync waits for a person syncs nothing until that person acts."""
    if last is None or last.status != RunStatus.WAITING:
        return []
    # The run's error names its kind, says why, then what to do: "Kind: why. What to do".
    why, _, todo = (last.error or "").split(": ", 1)[-1].partition(". ")
    return [Check(f"QuickBooks {c.name!r} sync", WARN,
                  f"audit run {last.id} waits for a person: {why}",
                  todo or f"ml-connector audit show {last.id}")]


def _deletions(c: Company, marks: dict[str, datetime], settings: Settings,
               now: datetime) -> Check:
    """Are QuickBooks' deletions read before its deleted lists forget them?"""
    label = f"QuickBooks {c.name!r} deletions"
    state = retention(marks, settings.deleted_retention)
    pending = scans_outstanding(marks)
    closes = state.closes_at()
    if state.last_read is None or closes is None:
        return Check(label, SKIP, "not read yet (the first full read finds every record)")
    read = f"last read {_ago(state.last_read, now)}"
    if state.lapsed(now) or pending:
        return Check(label, WARN, f"{read}, longer than QuickBooks keeps deletions "
                     f"({settings.deleted_retention_days:g} days): some may be lost"
                     + (f"; a scan of {', '.join(pending)} ids is pending" if pending else ""),
                     "let the Web Connector poll: the next session scans every live id and "
                     "closes in Zoho what QuickBooks no longer has")
    if closes - now <= settings.deleted_retention_warning:
        return Check(label, WARN, f"{read}; QuickBooks forgets deletions older than "
                     f"{settings.deleted_retention_days:g} days, from {closes:%Y-%m-%d %H:%M} UTC",
                     "let the Web Connector poll before then (Update Selected), or deletions "
                     "will be found only by a full scan of every record")
    return Check(label, PASS, read)


def _policy_checks(c: Company, policy: SyncBackPolicy) -> list[Check]:
    born, closed = describe(policy)
    return [Check(f"QuickBooks {c.name!r} money", PASS, f"{money_policy(policy)}; {closed}"),
            Check(f"QuickBooks {c.name!r} Zoho-born records", PASS, born)]


def _one_company(c: Company, now: datetime) -> list[Check]:
    label = f"QuickBooks {c.name!r}"
    if not c.active:
        return [Check(label, SKIP, "disabled (ml-connector company enable to resume)")]
    if c.last_poll_at is None:
        return [Check(f"{label} polls", FAIL, "the Web Connector has never polled",
                      f"load the .qwc file: ml-connector qwc {shell_arg(c.name)} --url https://<host>/qbwc"
                      " > company.qwc, open it in the Web Connector, then Update Selected")]
    late = now - c.last_poll_at > timedelta(minutes=_LATE_FACTOR * c.poll_minutes)
    polled = Check(f"{label} polls", WARN if late else PASS,
                   f"last poll {_ago(c.last_poll_at, now)} (every {c.poll_minutes} min expected)",
                   "is the PC on, QuickBooks Web Connector running and Auto-Run ticked?"
                   if late else None)
    seen = c.last_company_file_seen or "?"
    if c.last_file_matched is False:
        matched = Check(f"{label} company file", FAIL,
                        f"the Web Connector had {seen} open; expected {c.company_file}",
                        f"open {c.company_file} in QuickBooks, or accept the new path with "
                        f"ml-connector company set-file {shell_arg(c.name)} PATH")
    else:
        matched = Check(f"{label} company file", PASS,
                        f"{seen}" + ("" if c.company_file else " (any file accepted)"))
    return [polled, matched]


def run_ping(settings: Settings, db: Database, secrets: SecretBox, *, name: str = "default",
             transport: httpx.BaseTransport | None = None,
             accounts_transport: httpx.BaseTransport | None = None,
             clock: Callable[[], datetime] = utcnow) -> list[Check]:
    return [*zoho_checks(settings, db, secrets, name=name, transport=transport,
                         accounts_transport=accounts_transport, clock=clock),
            *company_checks(db, now=clock(), settings=settings)]


def ping_failed(checks: Sequence[Check]) -> bool:
    return any(c.status == FAIL for c in checks)

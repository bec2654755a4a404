"""``ZohoSimulator``: the public face of the simulated Zoho CRM org and its accounts server."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from connector.sandbox.zoho import ops
from connector.sandbox.zoho.admin import handle_admin
from connector.sandbox.zoho.api import accounts_app, api_app
from connector.sandbox.zoho.core import Core
from connector.sandbox.zoho.limits import Faults
from connector.sandbox.zoho.notify import Delivery
from connector.sandbox.zoho.oauth import DEFAULT_SCOPE
from connector.sandbox.zoho.profiles import OrgProfile
from connector.sandbox.zoho.profiles import profile as find_profile
from connector.sandbox.zoho.server import InProcessTransport, SimUrls, serve_pair

__all__ = ["ZohoSimulator"]

DEFAULT_MODULES = ("Accounts", "Contacts", "Deals", "Products", "Invoices")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ZohoSimulator:
    """A Zoho CRM org (one data centre, one edition) with its accounts server.

    ``serve()`` runs both on real 127.0.0.1 ports; ``accounts_transport()`` and
    ``api_transport()`` answer in-process, and token responses then name
    ``http://zoho-api.sim`` as ``api_domain`` (mount the API transport there, the accounts
    transport at ``http://zoho-accounts.sim``). ``search_lag`` is how many clock seconds a
    write takes to reach the search index. ``profile`` (a name from ``PROFILES`` or an
    ``OrgProfile``) shapes the org: its picklists, custom fields and, unless ``edition`` is
    given, its edition.
    """

    def __init__(self, *, dc: str = "us", edition: str | None = None,
                 profile: str | OrgProfile = "default",
                 clock: Callable[[], datetime] | None = None,
                 concurrency_limit: int | None = None, sub_concurrency_limit: int = 10,
                 daily_credits: int | None = None, latency: float = 0.0,
                 org_name: str = "Sandbox Org", modules: Iterable[str] = DEFAULT_MODULES,
                 users: int = 10, currency: str = "USD", multi_currency: bool = False,
                 search_lag: float = 30.0,
                 notify_transport: httpx.BaseTransport | None = None):
        shape = find_profile(profile)
        self._core = Core(
            dc=dc, edition=edition or shape.edition, profile=shape, clock=clock or _utc_now,
            concurrency_limit=concurrency_limit,
            sub_concurrency_limit=sub_concurrency_limit, daily_credits=daily_credits,
            latency=latency, org_name=org_name, modules=list(modules), users=users,
            currency=currency, multi_currency=multi_currency, search_lag=search_lag,
            notify_transport=notify_transport)
        self._api = api_app(self._core, handle_admin)
        self._accounts = accounts_app(self._core)

    # ---- serving ---------------------------------------------------------------------
    @contextmanager
    def serve(self, *, accounts_port: int = 0, api_port: int = 0) -> Iterator[SimUrls]:
        with serve_pair(self._accounts, self._api, accounts_port, api_port) as urls:
            self._core.served_api_url, self._core.served_accounts_url = urls.api_url, \
                urls.accounts_url
            try:
                yield urls
            finally:
                self._core.served_api_url = self._core.served_accounts_url = None

    def accounts_transport(self) -> httpx.BaseTransport:
        return InProcessTransport(self._accounts)

    def api_transport(self) -> httpx.BaseTransport:
        return InProcessTransport(self._api)

    def close(self) -> None:
        """Stop the callback worker (it is a daemon thread, so this is only tidiness)."""
        self._core.notifier.close()

    # ---- the org ---------------------------------------------------------------------
    @property
    def dc(self) -> str:
        return self._core.dc

    @property
    def edition(self) -> str:
        return self._core.edition.name

    @property
    def org_id(self) -> str:
        return self._core.org_id

    @property
    def profile(self) -> OrgProfile:
        return self._core.profile

    @property
    def modules(self) -> list[str]:
        return list(self._core.store.records)

    # ---- accounts --------------------------------------------------------------------
    def register_client(self, client_id: str, client_secret: str,
                        redirect_uri: str | None = None, *, self_client: bool = True) -> None:
        """``self_client=False`` is a server-based client: no client-credentials grant."""
        self._core.accounts.register_client(client_id, client_secret, redirect_uri,
                                            self_client=self_client)

    def delete_client(self, client_id: str) -> None:
        """Delete the client as in the API console: its tokens stop working too."""
        self._core.accounts.delete_client(client_id)

    def grant_code(self, client_id: str, scope: str = DEFAULT_SCOPE) -> str:
        """A self-client grant code (offline access): works once, for 60 clock seconds."""
        return self._core.accounts.grant_code(client_id, scope)

    def issue_refresh_token(self, client_id: str, scope: str = DEFAULT_SCOPE) -> str:
        return self._core.accounts.issue_refresh_token(client_id, scope)

    def revoke_refresh_token(self, token: str) -> None:
        self._core.accounts.revoke(token)

    def expire_access_tokens(self) -> None:
        self._core.accounts.expire_access_tokens()

    # ---- faults and limits -------------------------------------------------------------
    @property
    def faults(self) -> Faults:
        return self._core.faults

    @property
    def latency(self) -> float:
        return self._core.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._core.latency = seconds

    @property
    def calls(self) -> list[tuple[str, str, int]]:
        return self._core.calls.all()

    def call_count(self, method: str | None = None, path_contains: str | None = None) -> int:
        return self._core.calls.count(method, path_contains)

    def coql_queries(self) -> list[str]:
        """The COQL queries answered so far, oldest first."""
        return list(self._core.queries)

    @property
    def max_in_flight_seen(self) -> int:
        return self._core.limiter.max_in_flight_seen

    @property
    def max_sub_in_flight_seen(self) -> int:
        return self._core.limiter.max_sub_in_flight_seen

    @property
    def count_429(self) -> int:
        return self._core.limiter.count_429

    @property
    def credits_used(self) -> int:
        return self._core.limiter.credits_used

    @property
    def credits_remaining(self) -> int | None:
        return self._core.limiter.credits_remaining

    # ---- records, as a salesperson -------------------------------------------------------
    def records(self, module: str) -> list[dict[str, Any]]:
        store = self._core.store
        with store.lock:
            return [store.render(r) for r in store.records[ops.module_or_error(
                self._core, module)].values()]

    def record(self, module: str, record_id: str) -> dict[str, Any]:
        rec = self._core.store.get(ops.module_or_error(self._core, module), str(record_id))
        if rec is None:
            raise KeyError(f"no {module} record with id {record_id}")
        return self._core.store.render(rec)

    def create_record(self, module: str, **fields: Any) -> dict[str, Any]:
        return ops.create_record(self._core, module, fields)

    def edit_record(self, module: str, record_id: str, **fields: Any) -> dict[str, Any]:
        return ops.edit_record(self._core, module, record_id, fields)

    def delete_record(self, module: str, record_id: str) -> None:
        ops.delete_record(self._core, module, record_id)

    def related_products(self, deal_id: str) -> list[str]:
        return list(self._core.store.relations.get(str(deal_id), {}))

    def relate_product(self, deal_id: str, product_id: str) -> None:
        """A salesperson adds a Product to a Deal's related list by hand."""
        store = self._core.store
        with store.lock:
            store.relations.setdefault(str(deal_id), {})[str(product_id)] = self._core.clock()

    # ---- fields ----------------------------------------------------------------------
    def add_field(self, module: str, api_name: str, data_type: str = "text",
                  unique: bool = False, **options: Any) -> dict[str, Any]:
        return ops.add_field(self._core, module, api_name, data_type, unique=unique, **options)

    def remove_field(self, module: str, api_name: str) -> None:
        ops.remove_field(self._core, module, api_name)

    def fields(self, module: str) -> list[str]:
        return [f.api_name for f in self._core.store.fields[ops.module_or_error(
            self._core, module)]]

    def alter_field(self, module: str, api_name: str, **changes: Any) -> dict[str, Any]:
        """Change a field as an admin would in Setup: ``length``, ``mandatory``, ``pick_list``
        (strings or ``PicklistOption``: renamed, removed or new options)."""
        return ops.alter_field(self._core, module, api_name, **changes)

    def field_meta(self, module: str, api_name: str) -> dict[str, Any]:
        """One field as ``GET /settings/fields`` shows it (picklist options included)."""
        found = self._core.store.field_map(ops.module_or_error(self._core, module)).get(api_name)
        if found is None:
            raise KeyError(f"{module} has no field {api_name!r}")
        return found.meta()

    # ---- notifications and workflows ------------------------------------------------------
    def wait_for_notifications(self, timeout: float = 5.0) -> bool:
        return self._core.notifier.wait_idle(timeout)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._core.notifier.lock:
            return list(self._core.notifier.deliveries)

    def lapse_channels(self) -> None:
        self._core.notifier.lapse()

    @property
    def channels(self) -> list[dict[str, Any]]:
        core = self._core
        return [c.describe(core.api_base(), core.store.module_ids)
                for c in core.notifier.live()]

    @property
    def workflow_runs(self) -> list[tuple[str, str, str]]:
        """(module, operation, id) for every record a Zoho workflow ran on."""
        return list(self._core.workflow_runs)

"""``/__admin/`` on the API server: the test's and the demo's back door.

It mirrors the Python helpers so another process (``ml-connector sandbox zoho``, the demo)
can act as a salesperson, read call counts, inject faults and expire tokens. No auth, no
limits, not counted in ``calls``: it is not part of Zoho.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from connector.sandbox.zoho import ops
from connector.sandbox.zoho.http import Resp
from connector.sandbox.zoho.oauth import DEFAULT_SCOPE

if TYPE_CHECKING:
    from connector.sandbox.zoho.core import Core

__all__ = ["handle_admin"]

Body = dict[str, Any]
AdminFn = Callable[["Core", dict[str, str], Body, dict[str, str]], Any]


def _state(core: Core, p: dict[str, str], body: Body, args: dict[str, str]) -> Any:
    return {
        "dc": core.dc, "edition": core.edition.name, "org_name": core.org_name,
        "modules": list(core.store.records), "api_url": core.served_api_url,
        "accounts_url": core.served_accounts_url, "latency": core.latency,
        "concurrency_limit": core.limiter.concurrency,
        "sub_concurrency_limit": core.limiter.sub_concurrency,
        "credits_used": core.limiter.credits_used,
        "credits_remaining": core.limiter.credits_remaining,
        "max_in_flight_seen": core.limiter.max_in_flight_seen, "count_429": core.limiter.count_429,
        "channels": [c.channel_id for c in core.notifier.live()],
        "record_counts": {m: len(r) for m, r in core.store.records.items()},
    }


def _calls(core: Core, p: dict[str, str], body: Body, args: dict[str, str]) -> Any:
    method, path = args.get("method"), args.get("path_contains")
    calls = [c for c in core.calls.all() if (not method or c[0] == method.upper())
             and (not path or path in c[1])]
    return {"count": len(calls), "calls": [list(c) for c in calls],
            "max_in_flight_seen": core.limiter.max_in_flight_seen,
            "count_429": core.limiter.count_429}


def _records(core: Core, p: dict[str, str], body: Body, args: dict[str, str]) -> Any:
    module = ops.module_or_error(core, p["module"])
    with core.store.lock:
        return {"data": [core.store.render(r) for r in core.store.records[module].values()]}


def _record(core: Core, p: dict[str, str], body: Body, args: dict[str, str]) -> Any:
    rec = core.store.get(ops.module_or_error(core, p["module"]), p["id"])
    if rec is None:
        raise ValueError(f"no {p['module']} record with id {p['id']}")
    return {"data": core.store.render(rec)}


def _fault(core: Core, p: dict[str, str], body: Body, args: dict[str, str]) -> Any:
    n, where = int(body.get("n", 1)), body.get("path_contains")
    if body.get("kind") == "timeout":
        core.faults.timeout_next(n, float(body.get("seconds", 5.0)), path_contains=where)
    else:
        core.faults.fail_next(n, int(body.get("status", 500)), path_contains=where)
    return {"status": "ok"}


def _latency(core: Core, p: dict[str, str], body: Body, args: dict[str, str]) -> Any:
    core.latency = float(body.get("seconds", 0.0))
    return {"latency": core.latency}


def _client(core: Core, p: dict[str, str], body: Body, args: dict[str, str]) -> Any:
    core.accounts.register_client(str(body["client_id"]), str(body["client_secret"]),
                                  body.get("redirect_uri"),
                                  self_client=bool(body.get("self_client", True)))
    return {"status": "ok"}


def _deliveries(core: Core, p: dict[str, str], body: Body, args: dict[str, str]) -> Any:
    with core.notifier.lock:
        return {"deliveries": [{"url": d.url, "payload": d.payload, "status": d.status,
                                "error": d.error} for d in core.notifier.deliveries]}


def _ok(action: Callable[[], Any]) -> Any:
    action()
    return {"status": "ok"}


M, ID = r"(?P<module>\w+)", r"(?P<id>\d+)"
ROUTES: list[tuple[str, str, AdminFn]] = [
    ("GET", "state", _state),
    ("GET", "calls", _calls),
    ("GET", "notifications", _deliveries),
    ("GET", f"records/{M}", _records),
    ("GET", f"records/{M}/{ID}", _record),
    ("POST", f"records/{M}",
     lambda c, p, b, a: {"data": ops.create_record(c, p["module"], b)}),
    ("PATCH", f"records/{M}/{ID}",
     lambda c, p, b, a: {"data": ops.edit_record(c, p["module"], p["id"], b)}),
    ("DELETE", f"records/{M}/{ID}",
     lambda c, p, b, a: _ok(lambda: ops.delete_record(c, p["module"], p["id"]))),
    ("POST", "faults", _fault),
    ("DELETE", "faults", lambda c, p, b, a: _ok(c.faults.clear)),
    ("PUT", "latency", _latency),
    ("POST", "tokens/expire", lambda c, p, b, a: _ok(c.accounts.expire_access_tokens)),
    ("POST", "tokens/revoke", lambda c, p, b, a: _ok(lambda: c.accounts.revoke(b["token"]))),
    ("POST", "clients", _client),
    ("DELETE", r"clients/(?P<client_id>[\w.]+)",
     lambda c, p, b, a: _ok(lambda: c.accounts.delete_client(p["client_id"]))),
    ("POST", "grant-code", lambda c, p, b, a: {"code": c.accounts.grant_code(
        str(b["client_id"]), b.get("scope", DEFAULT_SCOPE))}),
    ("POST", "refresh-token", lambda c, p, b, a: {"refresh_token": c.accounts.issue_refresh_token(
        str(b["client_id"]), b.get("scope", DEFAULT_SCOPE))}),
    ("POST", f"fields/{M}", lambda c, p, b, a: {"field": ops.add_field(
        c, p["module"], str(b["api_name"]), str(b.get("data_type", "text")),
        unique=bool(b.get("unique")), mandatory=bool(b.get("mandatory")))}),
    ("DELETE", rf"fields/{M}/(?P<api_name>\w+)",
     lambda c, p, b, a: _ok(lambda: ops.remove_field(c, p["module"], p["api_name"]))),
]


def handle_admin(core: Core, request: Request) -> Resp:
    path = request.path[len("/__admin/"):].strip("/")
    for method, pattern, fn in ROUTES:
        match = re.fullmatch(pattern, path)
        if match and method == request.method:
            try:
                raw = request.get_data(cache=False)
                body = json.loads(raw) if raw.strip() else {}
                return Resp(200, fn(core, match.groupdict(), body, dict(request.args.items())))
            except (ValueError, KeyError, TypeError) as exc:
                return Resp(400, {"error": f"{type(exc).__name__}: {exc}"})
    return Resp(404, {"error": f"no admin route {request.method} /__admin/{path}"})

"""The request/response shapes every route handler sees, and query-parameter checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connector.sandbox.zoho.errors import ApiError

if TYPE_CHECKING:
    from connector.sandbox.zoho.core import Core

__all__ = [
    "Req", "Resp", "Handler", "Route", "ScopeNeed", "no_content",
    "int_param", "fields_param", "since_param", "ids_param", "require_body_list",
    "scopes_allow", "require_scopes", "missing_param",
    "IN_PROCESS_API", "IN_PROCESS_ACCOUNTS", "IN_PROCESS_KEY", "TIMEOUT_HEADER",
]

# Base URLs the in-process transports answer; token responses carry IN_PROCESS_API then.
IN_PROCESS_API = "http://zoho-api.sim"
IN_PROCESS_ACCOUNTS = "http://zoho-accounts.sim"
IN_PROCESS_KEY = "zoho_sim.in_process"
TIMEOUT_HEADER = "X-Zoho-Sim-Timeout"

MAX_FIELDS = 50
MAX_IDS = 100


@dataclass
class Req:
    method: str
    path: str
    args: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    scopes: tuple[str, ...] = ()


@dataclass
class Resp:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["Core", Req, dict[str, str]], Resp]
# (service, resource, operation), e.g. ("modules", "deals", "READ")
ScopeNeed = tuple[str, str, str]


def _one() -> int:
    return 1


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    scopes: Callable[[dict[str, str], Req], list[ScopeNeed]]
    cost: Callable[[Req, dict[str, str]], int] = lambda req, params: _one()
    heavy: Callable[[Req], bool] = lambda req: False


def no_content() -> Resp:
    return Resp(204)


def int_param(req: Req, name: str, default: int, low: int, high: int) -> int:
    raw = req.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "INVALID_DATA", "invalid data",
                       {"param_name": name, "expected_data_type": "integer"}) from None
    if not low <= value <= high:
        raise ApiError(400, "INVALID_DATA", "invalid data",
                       {"param_name": name, "minimum": low, "maximum": high})
    return value


def missing_param(name: str) -> ApiError:
    return ApiError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                    {"param_name": name})


def _list_param(req: Req, name: str, limit: int, message: str,
                required: bool) -> list[str] | None:
    """A comma-separated query parameter with Zoho's "missing" and "too many" answers."""
    raw = req.args.get(name)
    if not raw:
        if required:
            raise missing_param(name)
        return None
    items = [i.strip() for i in raw.split(",") if i.strip()]
    if len(items) > limit:
        raise ApiError(400, "LIMIT_EXCEEDED", message, {"param_name": name, "limit": limit})
    return items


def fields_param(req: Req, known: Iterable[str], *, required: bool) -> list[str] | None:
    names = _list_param(req, "fields", MAX_FIELDS, "Max field limit exceeded", required)
    allowed = set(known) | {"id"}
    for name in names or []:
        if name not in allowed:
            raise ApiError(400, "INVALID_DATA", "invalid data",
                           {"param_name": "fields", "api_name": name})
    return names


def ids_param(req: Req, *, required: bool) -> list[str] | None:
    return _list_param(req, "ids", MAX_IDS, "Record count exceeded", required)


def since_param(req: Req) -> datetime | None:
    raw = req.headers.get("if-modified-since")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(400, "INVALID_DATA", "invalid data",
                       {"param_name": "If-Modified-Since", "expected_data_type": "datetime"})
    return moment


def require_body_list(req: Req, key: str, limit: int) -> list[Any]:
    body = req.body if isinstance(req.body, dict) else {}
    items = body.get(key)
    if not isinstance(items, list) or not items:
        raise ApiError(400, "MANDATORY_NOT_FOUND", "required field not found",
                       {"api_name": key, "json_path": f"$.{key}"})
    if len(items) > limit:
        raise ApiError(400, "LIMIT_EXCEEDED", "Record count exceeded",
                       {"api_name": key, "limit": limit})
    return items


def scopes_allow(scopes: tuple[str, ...], need: ScopeNeed) -> bool:
    """``ZohoCRM.modules.ALL`` covers ``ZohoCRM.modules.deals.READ``, and so on."""
    service, resource, op = (part.lower() for part in need)
    granted = {s.lower() for s in scopes}
    # WRITE ("edit records") covers creating and updating, as Zoho's scope table says.
    ops = {"all", op} | ({"write"} if op in ("create", "update") else set())
    candidates = {f"zohocrm.{service}.{o}" for o in ops}
    if resource:
        candidates |= {f"zohocrm.{service}.{resource}.{o}" for o in ops}
    return bool(granted & candidates)


def require_scopes(req: Req, needs: list[ScopeNeed]) -> None:
    for need in needs:
        if not scopes_allow(req.scopes, need):
            raise ApiError(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL",
                           {"required": ".".join(("ZohoCRM", *[p for p in need if p]))})

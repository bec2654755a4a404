"""The two WSGI apps — API server and accounts server — and the route table dispatcher.

Every API call passes one gate, in Zoho's order: injected fault, authentication
(``Authorization: Zoho-oauthtoken …``), route and module, OAuth scope, concurrency and
sub-concurrency, credits, the handler, then the rest of the simulated latency.
``/__admin/`` on the API server bypasses the gate (the test's back door, see ``admin.py``).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from connector.sandbox.zoho.errors import STATUS_BODIES, ApiError, error_body
from connector.sandbox.zoho.http import (
    IN_PROCESS_ACCOUNTS,
    IN_PROCESS_API,
    IN_PROCESS_KEY,
    TIMEOUT_HEADER,
    Req,
    Resp,
    Route,
    require_scopes,
)
from connector.sandbox.zoho.limits import Fault
from connector.sandbox.zoho.oauth import TokenError

if TYPE_CHECKING:
    from connector.sandbox.zoho.core import Core

__all__ = ["Router", "api_app", "accounts_app", "WsgiApp"]

log = logging.getLogger(__name__)
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MAX_BODY = 10 * 1024 * 1024


class Router:
    def __init__(self, routes: list[Route]):
        self._routes = [(route, re.compile(route.pattern + "/?")) for route in routes]

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        other_method = False
        for route, pattern in self._routes:
            match = pattern.fullmatch(path)
            if match and route.method == method:
                return route, match.groupdict()
            other_method = other_method or bool(match)
        if other_method:
            raise ApiError(405, "INVALID_REQUEST_METHOD",
                           "The http request method type is not a valid one")
        raise ApiError(404, "INVALID_URL_PATTERN",
                       "Please check if the URL trying to access is a correct one")

    def prepare(self, core: Core, route: Route, params: dict[str, str], req: Req) -> None:
        module = params.get("module")
        if module is not None and module not in core.store.records:
            # Also what an edition without the module (Standard: no Invoices) answers.
            raise ApiError(400, "INVALID_MODULE", "the module name given seems to be invalid",
                           {"resource_path_index": 0})
        require_scopes(req, route.scopes(params, req))

    def execute(self, core: Core, req: Req) -> Resp:
        """Run one request without the gate and without charging it: a composite sub-request,
        which its composite call's one credit pays for."""
        route, params = self.resolve(req.method, req.path)
        self.prepare(core, route, params, req)
        return route.handler(core, req, params)


def _parse(request: Request) -> Req:
    body = None
    if request.method in ("POST", "PUT", "PATCH"):
        raw = request.get_data(cache=False)
        if len(raw) > MAX_BODY:
            raise ApiError(413, "LIMIT_EXCEEDED", "request body too large", {"limit": MAX_BODY})
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise ApiError(400, "INVALID_DATA", "body",
                               {"expected_data_type": "jsonobject"}) from None
    return Req(request.method, request.path, dict(request.args.items()),
               {k.lower(): v for k, v in request.headers.items()}, body)


def _authenticate(core: Core, request: Request) -> tuple[str, ...]:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Zoho-oauthtoken" or not token.strip():
        raise ApiError(401, "AUTHENTICATION_FAILURE", "Authentication failed")
    access = core.accounts.check(token.strip())
    if access is None:
        raise ApiError(401, "INVALID_TOKEN", "invalid oauth token")
    return access.scope


def _fault_error(fault: Fault) -> ApiError:
    code, message = STATUS_BODIES.get(fault.status, ("INTERNAL_ERROR", "injected failure"))
    return ApiError(fault.status, code, message)


def _hold(fault: Fault | None, resp: Resp, in_process: bool) -> None:
    """A timeout fault: the work is done, the answer is late (or, in-process, never comes)."""
    if fault is None or fault.kind != "timeout":
        return
    if in_process:
        resp.headers[TIMEOUT_HEADER] = str(fault.seconds)
    else:
        time.sleep(fault.seconds)


def _handle_api(core: Core, request: Request, in_process: bool) -> Resp:
    fault = core.faults.take(request.path)
    try:
        if fault is not None and fault.kind == "fail":
            raise _fault_error(fault)
        if fault is not None and fault.kind == "expire":
            core.accounts.expire_access_tokens()
        if fault is not None and fault.kind == "revoke":
            core.accounts.revoke_all()
        scopes = _authenticate(core, request)
        req = _parse(request)
        req.scopes = scopes
        route, params = core.router.resolve(req.method, req.path)
        core.router.prepare(core, route, params, req)
        with core.limiter.slot(route.heavy(req)):
            started = time.perf_counter()
            core.limiter.charge(route.cost(req, params))
            resp = route.handler(core, req, params)
            # The answer leaves ``latency`` after the call arrived (or when the work is done,
            # if that takes longer): our own CPU time is part of Zoho's latency, not added.
            time.sleep(max(0.0, core.latency - (time.perf_counter() - started)))
    except ApiError as exc:
        resp = Resp(exc.status, exc.body())
        if fault is not None and fault.retry_after is not None:
            resp.headers["Retry-After"] = str(fault.retry_after)
    except Exception:  # a simulator bug must still look like Zoho's 500, and be logged
        log.exception("zoho sim: %s %s failed", request.method, request.path)
        resp = Resp(500, error_body("INTERNAL_ERROR", "Internal server error occurred."))
    _hold(fault, resp, in_process)
    core.calls.add(request.method, request.path, resp.status)
    return resp


def _handle_accounts(core: Core, request: Request, in_process: bool) -> Resp:
    fault = core.faults.take(request.path)
    params = dict(request.values.items())
    try:
        if fault is not None and fault.kind == "fail":
            resp = Resp(fault.status, {"error": "server_error"})
        elif request.path == "/oauth/v2/token" and request.method == "POST":
            api_domain = IN_PROCESS_API if in_process else core.api_base()
            resp = Resp(200, core.accounts.token(params, api_domain))
        elif request.path == "/oauth/v2/token/revoke" and request.method == "POST":
            core.accounts.revoke(params.get("token", ""))
            resp = Resp(200, {"status": "success"})
        elif request.path == "/oauth/v2/auth" and request.method == "GET":
            base = IN_PROCESS_ACCOUNTS if in_process else (
                core.served_accounts_url or IN_PROCESS_ACCOUNTS)
            resp = Resp(302, None, {"Location": core.accounts.authorize(params, base)})
        else:
            resp = Resp(404, {"error": "not_found"})
    except TokenError as exc:
        resp = Resp(exc.status if request.path != "/oauth/v2/auth" else 400, exc.body)
    _hold(fault, resp, in_process)
    core.calls.add(request.method, request.path, resp.status)
    return resp


def _respond(resp: Resp) -> Response:
    if resp.body is None or resp.status in (204, 304):
        return Response(status=resp.status, headers=resp.headers)
    return Response(json.dumps(resp.body), status=resp.status, headers=resp.headers,
                    content_type="application/json;charset=UTF-8")


def _wsgi(core: Core, handler: Callable[[Core, Request, bool], Resp]) -> WsgiApp:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        resp = handler(core, request, bool(environ.get(IN_PROCESS_KEY)))
        return _respond(resp)(environ, start_response)
    return app


def api_app(core: Core, admin: Callable[[Core, Request], Resp]) -> WsgiApp:
    def handler(core: Core, request: Request, in_process: bool) -> Resp:
        if request.path.startswith("/__admin/"):
            return admin(core, request)
        return _handle_api(core, request, in_process)
    return _wsgi(core, handler)


def accounts_app(core: Core) -> WsgiApp:
    return _wsgi(core, _handle_accounts)

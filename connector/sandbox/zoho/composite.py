"""``POST /__composite_requests``: up to five sub-requests in one call.

Sub-requests run in order; a later one may use an earlier answer through
``@{sub_request_id:$.data[0].details.id}`` (only when ``concurrent_execution`` is false).
The call costs one credit, whatever it bundles ("consuming just one credit per composite
call": Zoho's v8 Composite API overview), and holds one concurrency slot and one of the ten
sub-concurrency slots: Zoho lists Composite among its "complex" APIs (Kaizen #93 and #203;
specs/zoho/BRIEF.md section 4.2).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from connector.sandbox.zoho.errors import ApiError
from connector.sandbox.zoho.http import Req, Resp, Route

if TYPE_CHECKING:
    from connector.sandbox.zoho.core import Core

__all__ = ["ROUTES", "MAX_SUB_REQUESTS"]

MAX_SUB_REQUESTS = 5
_REFERENCE = re.compile(r"@\{([A-Za-z0-9][A-Za-z0-9_]*):(\$[^}]*)\}")
_STEP = re.compile(r"\.([A-Za-z_$][\w$]*)|\[(\d+)\]")


def _follow(document: Any, path: str) -> Any:
    if not path.startswith("$"):
        raise KeyError(path)
    for name, index in _STEP.findall(path[1:]):
        document = document[int(index)] if index else document[name]
    return document


def _resolve(value: Any, done: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(v, done) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, done) for v in value]
    if not isinstance(value, str):
        return value

    def swap(match: re.Match[str]) -> str:
        sub_id, path = match.group(1), match.group(2)
        try:
            return str(_follow(done[sub_id], path))
        except (KeyError, IndexError, TypeError, ValueError):
            raise ApiError(400, "INVALID_REFERENCE", "the reference given seems to be invalid",
                           {"reference": match.group(0)}, wrap="__composite_requests") from None
    whole = _REFERENCE.fullmatch(value)
    if whole:
        swap(whole)  # validates the reference
        return _follow(done[whole.group(1)], whole.group(2))
    return _REFERENCE.sub(swap, value)


def _sub_request(core: Core, parent: Req, item: Any, index: int,
                 done: dict[str, Any], concurrent: bool) -> tuple[str | None, Resp]:
    if not isinstance(item, dict) or not isinstance(item.get("uri"), str):
        raise ApiError(400, "MANDATORY_NOT_FOUND", "required field not found",
                       {"api_name": "uri", "json_path": f"$.__composite_requests[{index}].uri"},
                       wrap="__composite_requests")
    if not concurrent:
        item = _resolve(item, done)
    elif _REFERENCE.search(repr(item)):
        raise ApiError(400, "NOT_SUPPORTED", "references need concurrent_execution false",
                       {"json_path": f"$.__composite_requests[{index}]"},
                       wrap="__composite_requests")
    path = urlsplit(item["uri"]).path
    if not path.startswith("/crm/v8/") or "__composite_requests" in path:
        raise ApiError(400, "NOT_SUPPORTED", "the sub-request uri is not supported",
                       {"json_path": f"$.__composite_requests[{index}].uri"},
                       wrap="__composite_requests")
    sub = Req(str(item.get("method", "GET")).upper(), path,
              {k: str(v) for k, v in (item.get("params") or {}).items()},
              {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()},
              item.get("body"), parent.scopes)
    try:
        resp = core.router.execute(core, sub)
    except ApiError as exc:
        resp = Resp(exc.status, exc.body())
    return item.get("sub_request_id"), resp


def composite(core: Core, req: Req, p: dict[str, str]) -> Resp:
    body = req.body if isinstance(req.body, dict) else {}
    items = body.get("__composite_requests")
    if not isinstance(items, list) or not items:
        raise ApiError(400, "MANDATORY_NOT_FOUND", "required field not found",
                       {"api_name": "__composite_requests"})
    if len(items) > MAX_SUB_REQUESTS:
        raise ApiError(400, "LIMIT_EXCEEDED", "limit exceeded",
                       {"api_name": "__composite_requests", "limit": MAX_SUB_REQUESTS})
    if body.get("rollback_on_fail"):
        raise ApiError(400, "NOT_SUPPORTED", "rollback_on_fail is not supported here",
                       {"api_name": "rollback_on_fail"})
    concurrent = bool(body.get("concurrent_execution"))
    done: dict[str, Any] = {}
    answers: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        sub_id, resp = _sub_request(core, req, item, index, done, concurrent)
        if sub_id:
            done[str(sub_id)] = resp.body
        answers.append({"code": "SUCCESS", "message": "success", "status": "success",
                        "details": {"response": {"status_code": resp.status, "body": resp.body,
                                                 "headers": {}}}})
    failed = sum(1 for a in answers if a["details"]["response"]["status_code"] >= 400)
    status = 200 if not failed else 400 if failed == len(answers) else 207
    return Resp(status, {"__composite_requests": answers})


ROUTES: list[Route] = [
    # Sub-requests check their own scopes; the call's one credit covers them all.
    Route("POST", r"/crm/v8/__composite_requests", composite, lambda p, req: [],
          lambda req, p: 1, lambda req: True),
]

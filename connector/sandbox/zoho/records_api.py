"""Records: list (page / page_token / If-Modified-Since), get, insert, update, upsert, delete,
deleted records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connector.sandbox.zoho.errors import ApiError
from connector.sandbox.zoho.http import (
    Req,
    Resp,
    Route,
    fields_param,
    ids_param,
    int_param,
    no_content,
    require_body_list,
    since_param,
)
from connector.sandbox.zoho.limits import credits_for_records
from connector.sandbox.zoho.store import ADMIN, ChangeEvent, Stored, User, iso
from connector.sandbox.zoho.writes import (
    ALL_TRIGGERS,
    batch_status,
    duplicate_fields,
    run_batch,
)

if TYPE_CHECKING:
    from connector.sandbox.zoho.core import Core

__all__ = ["ROUTES", "MAX_WRITE", "DISCRETE_LIMIT", "delete_ids"]

MAX_WRITE = 100
DISCRETE_LIMIT = 2000  # ``page`` reaches only the first 2,000 records; then page_token
SORTABLE = ("id", "Created_Time", "Modified_Time")
M = r"(?P<module>[A-Za-z][A-Za-z0-9_]*)"


def _key(rec: Stored, sort_by: str) -> tuple[Any, ...]:
    if sort_by == "Created_Time":
        return (rec.created, int(rec.id))
    if sort_by == "Modified_Time":
        return (rec.modified, int(rec.id))
    return (int(rec.id),)


def _choice(req: Req, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = req.args.get(name, default)
    if value not in allowed:
        raise ApiError(400, "INVALID_DATA", "invalid data",
                       {"param_name": name, "supported_values": list(allowed)})
    return value


@dataclass
class _Listing:
    sort_by: str
    order: str
    since: datetime | None
    page: int | None  # None: continuing from a page_token
    after: tuple[Any, ...] | None


def _listing(core: Core, req: Req, module: str, per_page: int) -> _Listing:
    token = req.args.get("page_token")
    if token:
        cursor = core.page_tokens.resolve(token)
        if cursor is None or cursor.module != module:
            raise ApiError(400, "INVALID_DATA", "invalid data", {"param_name": "page_token"})
        return _Listing(cursor.sort_by, cursor.sort_order, cursor.since, None, cursor.after)
    page = int_param(req, "page", 1, 1, 1_000_000)
    if page * per_page > DISCRETE_LIMIT:
        raise ApiError(400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                       "The limit of discrete pagination has been exceeded. "
                       "Use page_token to fetch records beyond 2000.", {"limit": DISCRETE_LIMIT})
    return _Listing(_choice(req, "sort_by", "id", SORTABLE),
                    _choice(req, "sort_order", "desc", ("asc", "desc")), since_param(req), page,
                    None)


def _by_ids(core: Core, module: str, ids: list[str], fields: list[str] | None) -> Resp:
    with core.store.lock:
        data = [core.store.render(r, fields) for i in ids if (r := core.store.get(module, i))]
    if not data:
        return no_content()
    return Resp(200, {"data": data, "info": {"count": len(data), "more_records": False}})


def list_records(core: Core, req: Req, p: dict[str, str]) -> Resp:
    module, store = p["module"], core.store
    fields = fields_param(req, store.field_map(module), required=True)
    ids = ids_param(req, required=False)
    if ids is not None:
        return _by_ids(core, module, ids, fields)
    per_page = int_param(req, "per_page", 200, 1, 200)
    q = _listing(core, req, module, per_page)
    desc = q.order == "desc"
    with store.lock:
        pool = [r for r in store.records[module].values()
                if q.since is None or r.modified > q.since]
        ordered = sorted(pool, key=lambda r: _key(r, q.sort_by), reverse=desc)
        if q.after is not None:
            after = q.after
            ordered = [r for r in ordered if (_key(r, q.sort_by) < after) == desc
                       and _key(r, q.sort_by) != after]
        start = (q.page - 1) * per_page if q.page else 0
        chunk = ordered[start:start + per_page]
        more = len(ordered) > start + per_page
        data = [store.render(r, fields) for r in chunk]
    if q.since is not None and not pool:
        return Resp(304)
    if not data:
        return no_content()
    info: dict[str, Any] = {
        "per_page": per_page, "count": len(data), "page": q.page, "sort_by": q.sort_by,
        "sort_order": q.order, "more_records": more, "next_page_token": None,
        "previous_page_token": None, "page_token_expiry": None,
    }
    if more:
        nxt, expires = core.page_tokens.issue(module, q.sort_by, q.order, q.since,
                                              _key(chunk[-1], q.sort_by))
        info.update(next_page_token=nxt, page_token_expiry=iso(expires))
    return Resp(200, {"data": data, "info": info})


def get_record(core: Core, req: Req, p: dict[str, str]) -> Resp:
    store = core.store
    fields = fields_param(req, store.field_map(p["module"]), required=False)
    with store.lock:
        rec = store.get(p["module"], p["id"])
        return Resp(200, {"data": [store.render(rec, fields)]}) if rec else no_content()


def _triggers(body: dict[str, Any]) -> frozenset[str]:
    """Without ``trigger`` Zoho runs every workflow, approval and blueprint on the write."""
    if "trigger" not in body:
        return ALL_TRIGGERS
    value = body["trigger"]
    if not isinstance(value, list):
        raise ApiError(400, "INVALID_DATA", "invalid data",
                       {"api_name": "trigger", "expected_data_type": "jsonarray"})
    return frozenset(str(v) for v in value)


def _write(core: Core, req: Req, module: str, mode: str, record_id: str | None = None) -> Resp:
    rows = require_body_list(req, "data", MAX_WRITE)
    if record_id is not None:
        rows = [{**rows[0], "id": record_id} if isinstance(rows[0], dict) else rows[0]]
    body: dict[str, Any] = req.body
    dup = (duplicate_fields(core.store, module, body.get("duplicate_check_fields"))
           if mode == "upsert" else [])
    result = run_batch(core.store, module, rows, mode=mode, dup=dup, actor=ADMIN,
                       triggers=_triggers(body))
    core.emit(result.events)
    return Resp(batch_status(mode, result.ok, len(rows)), {"data": result.items})


def insert(core: Core, req: Req, p: dict[str, str]) -> Resp:
    return _write(core, req, p["module"], "insert")


def update(core: Core, req: Req, p: dict[str, str]) -> Resp:
    return _write(core, req, p["module"], "update")


def update_one(core: Core, req: Req, p: dict[str, str]) -> Resp:
    return _write(core, req, p["module"], "update", p["id"])


def upsert(core: Core, req: Req, p: dict[str, str]) -> Resp:
    return _write(core, req, p["module"], "upsert")


def delete_ids(core: Core, module: str, ids: list[str], triggers: frozenset[str],
               actor: User = ADMIN) -> Resp:
    items: list[dict[str, Any]] = []
    gone: list[str] = []
    for record_id in ids:
        if core.store.delete(module, record_id, actor) is None:
            items.append({"code": "INVALID_DATA", "details": {"id": record_id},
                          "message": "the given id seems to be invalid", "status": "error"})
            continue
        gone.append(record_id)
        items.append({"code": "SUCCESS", "details": {"id": record_id},
                      "message": "record deleted", "status": "success"})
    if gone:
        core.emit([ChangeEvent(module, "delete", gone, {}, {}, triggers)])
    return Resp(batch_status("update", len(gone), len(ids)), {"data": items})


def _delete_triggers(req: Req) -> frozenset[str]:
    return frozenset() if req.args.get("wf_trigger") == "false" else ALL_TRIGGERS


def delete_many(core: Core, req: Req, p: dict[str, str]) -> Resp:
    ids = ids_param(req, required=True) or []
    return delete_ids(core, p["module"], ids, _delete_triggers(req))


def delete_one(core: Core, req: Req, p: dict[str, str]) -> Resp:
    return delete_ids(core, p["module"], [p["id"]], _delete_triggers(req))


def deleted_records(core: Core, req: Req, p: dict[str, str]) -> Resp:
    kind = _choice(req, "type", "all", ("all", "recycle", "permanent"))
    page = int_param(req, "page", 1, 1, 1_000_000)
    per_page = int_param(req, "per_page", 200, 1, 200)
    since = since_param(req)
    with core.store.lock:
        # Nothing is purged from the simulated recycle bin, so "permanent" is always empty.
        entries = [] if kind == "permanent" else [
            d for d in core.store.deleted[p["module"]] if since is None or d.deleted_time > since]
    if since is not None and not entries:
        return Resp(304)
    entries.sort(key=lambda d: (d.deleted_time, int(d.id)), reverse=True)
    chunk = entries[(page - 1) * per_page: page * per_page]
    if not chunk:
        return no_content()
    data = [{"deleted_by": d.deleted_by, "id": d.id, "display_name": d.display_name,
             "type": "recycle", "created_by": d.created_by, "deleted_time": iso(d.deleted_time)}
            for d in chunk]
    info = {"per_page": per_page, "count": len(data), "page": page,
            "more_records": len(entries) > page * per_page}
    return Resp(200, {"data": data, "info": info})


def _records_scope(op: str) -> Any:
    return lambda p, req: [("modules", p["module"].lower(), op)]


def _write_cost(req: Req, p: dict[str, str]) -> int:
    data = req.body.get("data") if isinstance(req.body, dict) else None
    return credits_for_records(len(data) if isinstance(data, list) else 1)


def _write_heavy(req: Req) -> bool:
    """Writes of more than ten records fall under Zoho's sub-concurrency limit."""
    data = req.body.get("data") if isinstance(req.body, dict) else None
    return isinstance(data, list) and len(data) > 10


def _list_heavy(req: Req) -> bool:
    """A listing sorted (``sort_by``) or of a custom view (``cvid``) falls under it too
    (Kaizen #93 and #203; specs/zoho/BRIEF.md section 4.2)."""
    return "sort_by" in req.args or "cvid" in req.args


ROUTES: list[Route] = [
    Route("POST", rf"/crm/v8/{M}/upsert", upsert, _records_scope("CREATE"), _write_cost,
          _write_heavy),
    Route("GET", rf"/crm/v8/{M}/deleted", deleted_records, _records_scope("READ")),
    Route("GET", rf"/crm/v8/{M}/(?P<id>\d+)", get_record, _records_scope("READ")),
    Route("PUT", rf"/crm/v8/{M}/(?P<id>\d+)", update_one, _records_scope("UPDATE"),
          _write_cost),
    Route("DELETE", rf"/crm/v8/{M}/(?P<id>\d+)", delete_one, _records_scope("DELETE")),
    Route("GET", rf"/crm/v8/{M}", list_records, _records_scope("READ"), heavy=_list_heavy),
    Route("POST", rf"/crm/v8/{M}", insert, _records_scope("CREATE"), _write_cost, _write_heavy),
    Route("PUT", rf"/crm/v8/{M}", update, _records_scope("UPDATE"), _write_cost, _write_heavy),
    Route("DELETE", rf"/crm/v8/{M}", delete_many, _records_scope("DELETE")),
]

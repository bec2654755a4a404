"""Related lists: Deals ↔ Products (``/Deals/{id}/Products``, and the reverse view from a
Product, ``/Products/{id}/Deals`` or as the org profile names it).

The relation carries no quantity or price — fields such as ``Quantity`` in the body are
ignored, as Zoho does; full invoice lines live in the Invoices module's subform.
"""

from __future__ import annotations

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
)
from connector.sandbox.zoho.schema import DEALS_PRODUCTS_LIST
from connector.sandbox.zoho.writes import batch_status

if TYPE_CHECKING:
    from connector.sandbox.zoho.core import Core

__all__ = ["ROUTES", "MAX_RELATED"]

MAX_RELATED = 100
PATTERN = r"/crm/v8/(?P<module>[A-Za-z][A-Za-z0-9_]*)/(?P<id>\d+)/(?P<related>[A-Za-z_]+)"


def _pair(core: Core, p: dict[str, str]) -> tuple[str, str]:
    """(parent module, related module) after checking the related list and the parent."""
    deals, products = DEALS_PRODUCTS_LIST
    lists = {(deals, products): products, (products, core.profile.product_deals_list): deals}
    related = lists.get((p["module"], p["related"]))
    if related is None or related not in core.store.records:
        raise ApiError(400, "INVALID_DATA", "the related list name given seems to be invalid",
                       {"resource_path_index": 2})
    if not core.store.exists(p["module"], p["id"]):
        raise ApiError(400, "INVALID_DATA", "the id given seems to be invalid",
                       {"resource_path_index": 1})
    return p["module"], related


def _deal_product(parent: str, parent_id: str, other_id: str) -> tuple[str, str]:
    return (parent_id, other_id) if parent == "Deals" else (other_id, parent_id)


def _linked(core: Core, parent: str, parent_id: str) -> list[str]:
    rel = core.store.relations
    if parent == "Deals":
        return list(rel.get(parent_id, {}))
    return [deal for deal, products in rel.items() if parent_id in products]


def get_related(core: Core, req: Req, p: dict[str, str]) -> Resp:
    parent, related = _pair(core, p)
    fields = fields_param(req, core.store.field_map(related), required=True)
    page = int_param(req, "page", 1, 1, 1_000_000)
    per_page = int_param(req, "per_page", 200, 1, 200)
    with core.store.lock:
        ids = _linked(core, parent, p["id"])
        chunk = ids[(page - 1) * per_page: page * per_page]
        data = [core.store.render(rec, fields) for i in chunk
                if (rec := core.store.get(related, i))]
    if not data:
        return no_content()
    info = {"per_page": per_page, "count": len(data), "page": page,
            "more_records": len(ids) > page * per_page}
    return Resp(200, {"data": data, "info": info})


def _item(ok: bool, record_id: str, message: str) -> dict[str, Any]:
    if ok:
        return {"code": "SUCCESS", "details": {"id": record_id}, "message": message,
                "status": "success"}
    return {"code": "INVALID_DATA", "details": {"id": record_id},
            "message": "the related id given seems to be invalid", "status": "error"}


def link(core: Core, req: Req, p: dict[str, str]) -> Resp:
    parent, related = _pair(core, p)
    rows = require_body_list(req, "data", MAX_RELATED)
    items = []
    with core.store.lock:
        for row in rows:
            other = str(row.get("id")) if isinstance(row, dict) else ""
            ok = core.store.exists(related, other)
            if ok:
                deal, product = _deal_product(parent, p["id"], other)
                core.store.relations.setdefault(deal, {})[product] = core.clock()
            items.append(_item(ok, other, "relation updated"))
    ok_count = sum(1 for i in items if i["status"] == "success")
    return Resp(batch_status("update", ok_count, len(items)), {"data": items})


def unlink(core: Core, req: Req, p: dict[str, str]) -> Resp:
    parent, _ = _pair(core, p)
    ids = ids_param(req, required=True) or []
    items = []
    with core.store.lock:
        for other in ids:
            deal, product = _deal_product(parent, p["id"], other)
            linked = core.store.relations.get(deal, {})
            ok = product in linked
            linked.pop(product, None)
            items.append(_item(ok, other, "relation removed"))
    ok_count = sum(1 for i in items if i["status"] == "success")
    return Resp(batch_status("update", ok_count, len(items)), {"data": items})


def _scope(op: str) -> Any:
    return lambda p, req: [("modules", p["module"].lower(), op),
                           ("modules", p["related"].lower(), "READ")]


ROUTES: list[Route] = [
    Route("GET", PATTERN, get_related, _scope("READ")),
    Route("PUT", PATTERN, link, _scope("UPDATE")),
    Route("DELETE", PATTERN, unlink, _scope("UPDATE")),
]

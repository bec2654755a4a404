"""``/actions/watch``: enable (POST), list (GET), replace (PUT), renew/trim (PATCH), disable.

``channel_expiry`` omitted, in the past or beyond one week silently becomes one hour from
now. Per-channel validation errors come back wrapped in ``{"watch": [...]}`` with HTTP 202,
as Zoho's own OpenAPI file describes — a client must read every item, not the status.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from connector.sandbox.zoho.errors import RecordFailure
from connector.sandbox.zoho.http import (
    Req,
    Resp,
    Route,
    int_param,
    missing_param,
    no_content,
    require_body_list,
)
from connector.sandbox.zoho.notify import DEFAULT_EXPIRY, MAX_EXPIRY, OPERATION_EVENTS, Channel
from connector.sandbox.zoho.store import iso

if TYPE_CHECKING:
    from connector.sandbox.zoho.core import Core

__all__ = ["ROUTES", "MAX_TOKEN"]

MAX_TOKEN = 50
MAX_CHANNELS_PER_CALL = 100
_EVENT_SUFFIXES = {"all", *OPERATION_EVENTS.values()}


def _bad(name: str, path: str, **extra: Any) -> RecordFailure:
    return RecordFailure("INVALID_DATA", "invalid data",
                         {"api_name": name, "json_path": f"{path}.{name}", **extra})


def _channel_id(item: dict[str, Any], path: str) -> str:
    raw = item.get("channel_id")
    if raw is None:
        raise RecordFailure("MANDATORY_NOT_FOUND", "required field not found",
                            {"api_name": "channel_id", "json_path": f"{path}.channel_id"})
    text = str(raw)
    if isinstance(raw, bool) or not text.isdigit() or len(text) > 19:
        raise _bad("channel_id", path, expected_data_type="long")
    return text


def _expiry(core: Core, raw: Any, path: str) -> datetime:
    now = core.clock()
    if raw is None:
        return now + DEFAULT_EXPIRY
    try:
        wanted = datetime.fromisoformat(str(raw))
    except ValueError:
        raise _bad("channel_expiry", path, expected_data_type="datetime") from None
    if wanted.tzinfo is None:
        raise _bad("channel_expiry", path, expected_data_type="datetime")
    return wanted if now < wanted <= now + MAX_EXPIRY else now + DEFAULT_EXPIRY


def _events(core: Core, raw: Any, path: str) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise _bad("events", path, expected_data_type="jsonarray")
    for event in raw:
        module, _, suffix = str(event).partition(".")
        if module not in core.store.records or suffix not in _EVENT_SUFFIXES:
            raise _bad("events", path)
    return [str(e) for e in raw]


def _fill(core: Core, channel: Channel, item: dict[str, Any], path: str, partial: bool) -> None:
    """Validate ``item`` onto ``channel``; a partial (PATCH) item touches only its keys."""
    if not partial or "events" in item:
        channel.events = _events(core, item.get("events"), path)
    if not partial or "notify_url" in item:
        url = item.get("notify_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise _bad("notify_url", path)
        channel.notify_url = url
    if not partial or "token" in item:
        token = item.get("token")
        if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN):
            raise _bad("token", path, maximum_length=MAX_TOKEN)
        channel.token = token
    if not partial or "channel_expiry" in item:
        channel.expiry = _expiry(core, item.get("channel_expiry"), path)
    if "return_affected_field_values" in item:
        channel.return_affected_field_values = bool(item["return_affected_field_values"])
    if "notify_on_related_action" in item:
        value = item["notify_on_related_action"]
        if not isinstance(value, bool):
            raise _bad("notify_on_related_action", path, expected_data_type="boolean")
        channel.notify_on_related_action = value


def _success(core: Core, channel: Channel, message: str) -> dict[str, Any]:
    events = [{
        "channel_expiry": iso(channel.expiry),
        "resource_uri": f"{core.api_base()}/crm/v8/{module}",
        "resource_id": core.store.module_ids.get(module, ""),
        "resource_name": module, "channel_id": channel.channel_id,
    } for module in sorted({e.split(".")[0] for e in channel.events})]
    return {"code": "SUCCESS", "details": {"events": events}, "message": message,
            "status": "success"}


def _apply(core: Core, req: Req, mode: str) -> Resp:
    items = require_body_list(req, "watch", MAX_CHANNELS_PER_CALL)
    answers: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        path = f"$.watch[{index}]"
        try:
            if not isinstance(item, dict):
                raise RecordFailure("INVALID_DATA", "invalid data", {"json_path": path})
            answers.append(_apply_one(core, item, path, mode))
        except RecordFailure as failure:
            answers.append(failure.item())
    ok = all(a["status"] == "success" for a in answers)
    return Resp((201 if mode == "create" else 200) if ok else 202, {"watch": answers})


def _apply_one(core: Core, item: dict[str, Any], path: str, mode: str) -> dict[str, Any]:
    cid = _channel_id(item, path)
    live = {c.channel_id: c for c in core.notifier.live()}
    if mode != "create" and cid not in live:
        raise RecordFailure("NOT_SUBSCRIBED", "the given channel is not subscribed",
                            {"api_name": "channel_id", "json_path": f"{path}.channel_id"})
    if mode == "patch" and item.get("_delete_events"):
        channel = live[cid]
        drop = set(_events(core, item.get("events"), path))
        remaining = [e for e in channel.events if e not in drop]
        with core.notifier.lock:
            if remaining:
                channel.events = remaining
            else:
                core.notifier.channels.pop(cid, None)
        return _success(core, channel, "Successfully removed the subscribe details")
    channel = Channel(cid, [], "", None, core.clock()) if mode != "patch" else _copy(live[cid])
    _fill(core, channel, item, path, partial=mode == "patch")
    with core.notifier.lock:
        core.notifier.channels[cid] = channel
    message = ("Successfully subscribed for actions-watch of the given module"
               if mode == "create" else "Successfully updated the subscribe details")
    return _success(core, channel, message)


def _copy(channel: Channel) -> Channel:
    return Channel(channel.channel_id, list(channel.events), channel.notify_url, channel.token,
                   channel.expiry, channel.return_affected_field_values,
                   notify_on_related_action=channel.notify_on_related_action)


def enable(core: Core, req: Req, p: dict[str, str]) -> Resp:
    return _apply(core, req, "create")


def replace(core: Core, req: Req, p: dict[str, str]) -> Resp:
    return _apply(core, req, "replace")


def patch(core: Core, req: Req, p: dict[str, str]) -> Resp:
    return _apply(core, req, "patch")


def disable(core: Core, req: Req, p: dict[str, str]) -> Resp:
    raw = req.args.get("channel_ids")
    if not raw:
        raise missing_param("channel_ids")
    answers = []
    live = {c.channel_id for c in core.notifier.live()}
    for cid in (c.strip() for c in raw.split(",") if c.strip()):
        if cid not in live:
            answers.append(RecordFailure("NOT_SUBSCRIBED", "the given channel is not subscribed",
                                         {"channel_id": cid}).item())
            continue
        with core.notifier.lock:
            core.notifier.channels.pop(cid, None)
        answers.append({"code": "SUCCESS", "details": {"channel_id": cid},
                        "message": "Successfully un-subscribed from actions-watch",
                        "status": "success"})
    ok = all(a["status"] == "success" for a in answers)
    return Resp(200 if ok else 202, {"watch": answers})


def list_channels(core: Core, req: Req, p: dict[str, str]) -> Resp:
    page = int_param(req, "page", 1, 1, 1_000_000)
    per_page = int_param(req, "per_page", 200, 1, 200)
    wanted_id, wanted_module = req.args.get("channel_id"), req.args.get("module")
    channels = [c for c in core.notifier.live()
                if (not wanted_id or c.channel_id == wanted_id)
                and (not wanted_module or any(e.startswith(f"{wanted_module}.")
                                              for e in c.events))]
    chunk = channels[(page - 1) * per_page: page * per_page]
    if not chunk:
        return no_content()
    watch = [c.describe(core.api_base(), core.store.module_ids) for c in chunk]
    info = {"per_page": per_page, "page": page, "count": len(watch),
            "more_records": len(channels) > page * per_page}
    return Resp(200, {"watch": watch, "info": info})


def _scope(op: str) -> Any:
    return lambda p, req: [("notifications", "", op)]


WATCH = r"/crm/v8/actions/watch"
ROUTES: list[Route] = [
    Route("GET", WATCH, list_channels, _scope("READ")),
    Route("POST", WATCH, enable, _scope("CREATE")),
    Route("PUT", WATCH, replace, _scope("UPDATE")),
    Route("PATCH", WATCH, patch, _scope("UPDATE")),
    Route("DELETE", WATCH, disable, _scope("DELETE")),
]

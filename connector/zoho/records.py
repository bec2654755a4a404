"""Records: batched writes with a typed result per record, reads, listings and deletions.

Writes go in batches of at most 100 (Zoho's cap), in parallel up to the org's concurrency.
Every answer carries one item per record sent (HTTP 207 when some failed); each becomes a
``RecordSaved`` or a ``RecordFailed``, so one bad record never stops the rest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.errors import FatalError, RecordError
from connector.zoho.base import ApiBase, Reply, as_dict, chunks, module_path
from connector.zoho.errors import record_error
from connector.zoho.limits import DELETED_READ, READ, Cost, write_cost

__all__ = [
    "MAX_WRITE_BATCH", "MAX_IDS", "MAX_FIELDS", "PAGE_REACH", "RecordSaved", "RecordFailed",
    "RecordResult", "RecordsApi", "walk_results",
]

MAX_WRITE_BATCH = 100
MAX_IDS = 100
MAX_FIELDS = 50
MAX_PER_PAGE = 200
# ``page`` reaches only the first 2,000 records of a listing; beyond that only page_token does.
PAGE_REACH = 2000


@dataclass(frozen=True, slots=True)
class RecordSaved:
    index: int
    id: str
    action: str  # "insert" or "update" (upsert says which it did), "delete" for deletions
    duplicate_field: str | None = None
    modified_time: str | None = None

    ok = True


@dataclass(frozen=True, slots=True)
class RecordFailed:
    index: int
    error: RecordError

    ok = False


RecordResult = RecordSaved | RecordFailed


def _saved(index: int, item: dict[str, Any], default_action: str) -> RecordSaved:
    details = as_dict(item.get("details"))
    return RecordSaved(
        index=index, id=str(details.get("id", "")),
        action=str(item.get("action") or default_action),
        duplicate_field=item.get("duplicate_field"),
        modified_time=details.get("Modified_Time"),
    )


def walk_results(reply: Reply, indices: Sequence[int], default_action: str,
                 key: str = "data") -> list[RecordResult]:
    """One result per record sent (``indices`` are the caller's positions), in order.

    A missing answer is itself a per-record failure rather than a silent success.
    """
    items = reply.items(key)
    body = reply.body
    if not items and isinstance(body, dict) and body.get("status") == "error":
        # One error for the whole call (a composite sub-request refused as a whole).
        return [RecordFailed(index, record_error(body)) for index in indices]
    results: list[RecordResult] = []
    for i, index in enumerate(indices):
        item = items[i] if i < len(items) else None
        if item is None:
            err = RecordError("Zoho returned no result for this record", code="NO_RESULT")
            results.append(RecordFailed(index, err))
        elif str(item.get("status", "")).lower() == "success":
            results.append(_saved(index, item, default_action))
        else:
            results.append(RecordFailed(index, record_error(item)))
    return results


def _check_fields(fields: Sequence[str]) -> str:
    if not fields:
        raise ValueError("Zoho needs the fields to return (at most 50)")
    if len(fields) > MAX_FIELDS:
        raise ValueError(f"Zoho returns at most {MAX_FIELDS} fields per call, {len(fields)} asked")
    return ",".join(fields)


def _modified_header(since: datetime | None) -> dict[str, str]:
    if since is None:
        return {}
    if since.tzinfo is None:
        raise ValueError("If-Modified-Since needs a timezone-aware datetime")
    return {"If-Modified-Since": since.isoformat(timespec="seconds")}


class RecordsApi(ApiBase):
    """Record calls of ``ZohoClient``."""

    def upsert(self, module: str, records: Sequence[Mapping[str, Any]], *,
               duplicate_check_fields: Sequence[str],
               trigger: Sequence[str] = ()) -> list[RecordResult]:
        """Insert or update by OUR unique key fields, never Zoho's default name matching."""
        keys = list(duplicate_check_fields)
        if not keys:
            raise ValueError("upsert needs duplicate_check_fields: Zoho would otherwise match "
                             "by name and merge different customers that share one")
        extra = {"duplicate_check_fields": keys}
        return self._write("POST", f"/{module_path(module)}/upsert", records, trigger, extra,
                           required=keys, default_action="upsert")

    def insert(self, module: str, records: Sequence[Mapping[str, Any]], *,
               trigger: Sequence[str] = ()) -> list[RecordResult]:
        return self._write("POST", f"/{module_path(module)}", records, trigger, {},
                           required=(), default_action="insert")

    def update(self, module: str, records: Sequence[Mapping[str, Any]], *,
               trigger: Sequence[str] = ()) -> list[RecordResult]:
        return self._write("PUT", f"/{module_path(module)}", records, trigger, {},
                           required=("id",), default_action="update")

    def _write(self, method: str, path: str, records: Sequence[Mapping[str, Any]],
               trigger: Sequence[str], extra: dict[str, Any], *, required: Sequence[str],
               default_action: str) -> list[RecordResult]:
        results: list[RecordResult] = []
        sendable: list[tuple[int, Mapping[str, Any]]] = []
        for index, record in enumerate(records):
            missing = [f for f in required if record.get(f) in (None, "")]
            if missing:
                results.append(RecordFailed(index, RecordError(
                    f"record has no value for {', '.join(missing)}; not sent, since Zoho "
                    "could not match it", code="MISSING_KEY", details={"fields": missing})))
            else:
                sendable.append((index, record))
        idempotent = method == "PUT" or "duplicate_check_fields" in extra

        def send(batch: Sequence[tuple[int, Mapping[str, Any]]]) -> list[RecordResult]:
            # "trigger": [] keeps the org's workflows, approvals and blueprints off our writes.
            body = {"data": [r for _, r in batch], "trigger": list(trigger), **extra}
            reply = self.call(method, path, body=body, cost=write_cost(len(batch)),
                              idempotent=idempotent)
            return walk_results(reply, [i for i, _ in batch], default_action)

        for batch_results in self.parallel(send, chunks(sendable, MAX_WRITE_BATCH)):
            results.extend(batch_results)
        results.sort(key=lambda r: r.index)
        return results

    def get_records(self, module: str, ids: Sequence[str],
                    fields: Sequence[str]) -> list[dict[str, Any]]:
        """Records by id (missing ids are simply absent from the answer)."""
        wanted = _check_fields(fields)

        def fetch(batch: Sequence[str]) -> list[dict[str, Any]]:
            reply = self.call("GET", f"/{module_path(module)}",
                              params={"ids": ",".join(batch), "fields": wanted}, cost=READ)
            return reply.items("data")

        return [r for page in self.parallel(fetch, chunks(list(ids), MAX_IDS)) for r in page]

    def get_whole_records(self, module: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Records by id, one call each: only a single-record GET returns subforms such as
        ``Invoiced_Items`` (a list read leaves them out). Missing ids are absent."""
        def fetch(record_id: str) -> list[dict[str, Any]]:
            if not record_id.isdigit():  # it becomes part of the URL path
                raise ValueError(f"{record_id!r} is not a Zoho record id")
            reply = self.call("GET", f"/{module_path(module)}/{record_id}", cost=READ)
            return reply.items("data")

        return [r for page in self.parallel(fetch, list(ids)) for r in page]

    def iter_records(self, module: str, fields: Sequence[str], *,
                     modified_since: datetime | None = None,
                     per_page: int = MAX_PER_PAGE) -> Iterator[dict[str, Any]]:
        """Every record (changed since ``modified_since``), ``page`` first, then ``page_token``."""
        params: dict[str, Any] = {"fields": _check_fields(fields),
                                  "per_page": min(per_page, MAX_PER_PAGE), "page": 1}
        headers = _modified_header(modified_since)
        yield from self._pages(f"/{module_path(module)}", params, headers, READ,
                               page_reach=PAGE_REACH)

    def iter_deleted(self, module: str, *, kind: str = "all",
                     modified_since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Deleted records (id, deleted_time, type): ``all``, ``recycle`` or ``permanent``.

        This API knows no page_token, so it pages by ``page`` all the way."""
        params: dict[str, Any] = {"type": kind, "per_page": MAX_PER_PAGE, "page": 1}
        yield from self._pages(f"/{module_path(module)}/deleted", params,
                               _modified_header(modified_since), DELETED_READ, page_reach=None)

    def _pages(self, path: str, params: dict[str, Any], headers: dict[str, str],
               cost: Cost, *, page_reach: int | None) -> Iterator[dict[str, Any]]:
        while True:
            reply = self.call("GET", path, params=params, headers=headers, cost=cost)
            if reply.status in (204, 304):
                return
            yield from reply.items("data")
            info = reply.info()
            if not info.get("more_records"):
                return
            token = info.get("next_page_token")
            page = int(params.get("page", 0))
            per_page = int(params["per_page"])
            beyond = page_reach is not None and (page + 1) * per_page > page_reach
            if "page_token" in params or beyond:
                if not token:
                    raise FatalError(
                        f"Zoho has more records at {path} beyond {PAGE_REACH} but sent no "
                        "next_page_token", code="NO_PAGE_TOKEN")
                params = {k: v for k, v in params.items() if k != "page"} | {"page_token": token}
            else:
                params = params | {"page": page + 1}

    def delete(self, module: str, ids: Sequence[str]) -> list[RecordResult]:
        """Delete by id (to the recycle bin), without firing the org's workflows."""
        id_list = list(ids)
        batches = [range(start, min(start + MAX_IDS, len(id_list)))
                   for start in range(0, len(id_list), MAX_IDS)]

        def remove(batch: range) -> list[RecordResult]:
            reply = self.call("DELETE", f"/{module_path(module)}",
                              params={"ids": ",".join(id_list[i] for i in batch),
                                      "wf_trigger": "false"}, cost=READ)
            return walk_results(reply, batch, "delete")

        return [r for results in self.parallel(remove, batches) for r in results]

"""Related lists (Products on a Deal) and composite requests that bundle several calls.

A Deal's Products related list carries no quantity or price: it only says which products an
invoice touched. Linking many deals costs one call per deal, so ``relate_many`` bundles up
to five of those calls into one composite request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from connector.zoho.base import ApiBase, Reply, as_dict, chunks, module_path
from connector.zoho.limits import COMPOSITE
from connector.zoho.records import MAX_IDS, RecordResult, walk_results

__all__ = ["MAX_COMPOSITE", "SubRequest", "SubResponse", "RelatedApi"]

MAX_COMPOSITE = 5
_RELATED_ACTIONS = {"PUT": "relate", "DELETE": "unrelate"}


@dataclass(frozen=True)
class SubRequest:
    method: str
    path: str  # below /crm/v8, e.g. "/Deals/123/Products"
    params: Mapping[str, Any] | None = None
    body: Any = None


@dataclass(frozen=True)
class SubResponse:
    status_code: int
    body: Any

    @property
    def reply(self) -> Reply:
        return Reply(self.status_code, self.body, httpx.Headers())


class RelatedApi(ApiBase):
    """Related-record and composite calls of ``ZohoClient``."""

    api_version: str = "v8"

    def composite(self, requests: Sequence[SubRequest]) -> list[SubResponse]:
        """Up to five calls in one round trip, run in order; one answer per sub-request."""
        if not 0 < len(requests) <= MAX_COMPOSITE:
            raise ValueError(f"a composite request holds 1 to {MAX_COMPOSITE} sub-requests")
        subs = [
            {"sub_request_id": str(i), "method": r.method,
             "uri": f"/crm/{self.api_version}{r.path}",
             **({"params": dict(r.params)} if r.params else {}),
             **({"body": r.body} if r.body is not None else {})}
            for i, r in enumerate(requests)
        ]
        reply = self.call("POST", "/__composite_requests",
                          body={"__composite_requests": subs, "concurrent_execution": False,
                                "rollback_on_fail": False},
                          cost=COMPOSITE,
                          idempotent=all(r.method != "POST" for r in requests))
        out: list[SubResponse] = []
        for item in reply.items("__composite_requests"):
            details = as_dict(item.get("details"))
            response = as_dict(details.get("response"))
            out.append(SubResponse(int(response.get("status_code", 0)), response.get("body")))
        return out

    def relate(self, module: str, record_id: str, related_list: str,
               related_ids: Sequence[str]) -> list[RecordResult]:
        """Add records to a related list (e.g. Products of a Deal), 100 ids per call."""
        return self._related_write("PUT", module, record_id, related_list, related_ids)

    def unrelate(self, module: str, record_id: str, related_list: str,
                 related_ids: Sequence[str]) -> list[RecordResult]:
        return self._related_write("DELETE", module, record_id, related_list, related_ids)

    def _related_write(self, method: str, module: str, record_id: str, related_list: str,
                       related_ids: Sequence[str]) -> list[RecordResult]:
        path = f"/{module_path(module)}/{record_id}/{module_path(related_list)}"
        ids = list(related_ids)
        results: list[RecordResult] = []
        for start in range(0, len(ids), MAX_IDS):
            batch = ids[start:start + MAX_IDS]
            if method == "PUT":
                reply = self.call(method, path, body={"data": [{"id": i} for i in batch]})
            else:
                reply = self.call(method, path, params={"ids": ",".join(batch)})
            results.extend(walk_results(reply, range(start, start + len(batch)),
                                        _RELATED_ACTIONS[method]))
        return results

    def related_records(self, module: str, record_id: str, related_list: str,
                        fields: Sequence[str]) -> list[dict[str, Any]]:
        path = f"/{module_path(module)}/{record_id}/{module_path(related_list)}"
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            reply = self.call("GET", path, params={"fields": ",".join(fields), "page": page,
                                                   "per_page": 200})
            rows.extend(reply.items("data"))
            if reply.status == 204 or not reply.info().get("more_records"):
                return rows
            page += 1

    def relate_many(self, module: str, related_list: str,
                    links: Mapping[str, Sequence[str]]) -> dict[str, list[RecordResult]]:
        """Link several records at once (deal id -> product ids), five deals per round trip."""
        too_long = [k for k, v in links.items() if len(v) > MAX_IDS]
        if too_long:
            raise ValueError(f"more than {MAX_IDS} related ids for {too_long[0]}; use relate()")
        owners = [k for k, v in links.items() if v]

        def send(batch: Sequence[str]) -> list[SubResponse]:
            subs = [SubRequest("PUT", f"/{module_path(module)}/{owner}/"
                                      f"{module_path(related_list)}",
                               body={"data": [{"id": i} for i in links[owner]]})
                    for owner in batch]
            return self.composite(subs)

        out: dict[str, list[RecordResult]] = {}
        for batch, answers in zip(chunks(owners, MAX_COMPOSITE),
                                  self.parallel(send, chunks(owners, MAX_COMPOSITE)), strict=True):
            for i, owner in enumerate(batch):
                answer = answers[i] if i < len(answers) else SubResponse(0, None)
                out[owner] = walk_results(answer.reply, range(len(links[owner])), "relate")
        return out

"""Related lists (Products on a Deal) and composite requests that bundle several calls.

A Deal's Products related list carries no quantity or price: it only says which products an
invoice touched. Linking many deals costs one call per deal, so ``relate_many`` bundles up
to five of those calls into one composite request; and since a relation can be added from
either side (Zoho's "Update Related Records" lists Products - to - Potentials), many Deals
that share a few Products go from the Products' side, a hundred Deals a call.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from connector.zoho.base import ApiBase, Reply, as_dict, chunks, module_path
from connector.zoho.limits import COMPOSITE
from connector.zoho.records import MAX_IDS, RecordResult, RecordSaved, walk_results

__all__ = ["MAX_COMPOSITE", "SubRequest", "SubResponse", "RelatedApi", "relating_calls"]

MAX_COMPOSITE = 5
_RELATED_ACTIONS = {"PUT": "relate", "DELETE": "unrelate"}


def relating_calls(owners: int, per_related: Iterable[int]) -> int:
    """The composite calls ``relate_many(..., back=...)`` takes to relate ``owners`` records,
    each related id shared by as many of them as ``per_related`` says: from the side taking
    fewer PUTs, five PUTs a call."""
    puts = min(owners, sum(math.ceil(n / MAX_IDS) for n in per_related))
    return math.ceil(puts / MAX_COMPOSITE)


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

    @property
    def refused(self) -> bool:
        """Refused as a whole (a path Zoho does not know), not record by record."""
        body = self.body
        return isinstance(body, dict) and body.get("status") == "error" and not body.get("data")


# One relation to add: (owner id, position of the related id in the owner's list).
_Pair = tuple[str, int]


@dataclass(frozen=True)
class _Relating:
    """One PUT of related ids onto one record's related list, and the relation of each id."""

    path: str
    ids: list[str]
    pairs: list[_Pair]


class RelatedApi(ApiBase):
    """Related-record and composite calls of ``ZohoClient``."""

    api_version: str = "v8"
    # (module, related list) the org refused every PUT of: not tried again by this client.
    refused_lists: set[tuple[str, str]]

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
                    links: Mapping[str, Sequence[str]], *,
                    back: str | None = None) -> dict[str, list[RecordResult]]:
        """Link several records at once (deal id -> product ids), five PUTs per round trip;
        the results per owner are in the order of its ids.

        ``back`` names the related list leading from the related records to ``module`` (a
        Product's Deals): the relations then go from whichever side takes fewer PUTs. A PUT
        refused as a whole from that side, or left unanswered, goes again from the owners'
        side, so a guess at the name never loses a relation; when every such PUT was refused
        (an org whose list is named otherwise) the client does not try that side again."""
        too_long = [k for k, v in links.items() if len(v) > MAX_IDS]
        if too_long:
            raise ValueError(f"more than {MAX_IDS} related ids for {too_long[0]}; use relate()")
        pairs = [(owner, i) for owner, ids in links.items() for i in range(len(ids))]
        owners_side = self._owners_side(module, related_list, links, pairs)
        found: dict[_Pair, RecordResult] = {}
        if back is not None and (related_list, back) not in self.refused_lists:
            # A related id goes into a URL path only when it is a Zoho id; the others go in
            # a body, from the owners' side.
            pathless = [p for p in pairs if not links[p[0]][p[1]].isdigit()]
            pathed = [p for p in pairs if links[p[0]][p[1]].isdigit()]
            related_side = self._related_side(related_list, back, links, pathed)
            if len(related_side) + len({o for o, _ in pathless}) < len(owners_side):
                refused = self._put_related(related_side, links, found)
                if pathed and len(refused) == len(pathed):
                    self.refused_lists.add((related_list, back))
                owners_side = self._owners_side(module, related_list, links,
                                                [*refused, *pathless])
        self._put_related(owners_side, links, found)
        return {owner: [found[(owner, i)] for i in range(len(ids))]
                for owner, ids in links.items() if ids}

    @staticmethod
    def _owners_side(module: str, related_list: str, links: Mapping[str, Sequence[str]],
                     pairs: Sequence[_Pair]) -> list[_Relating]:
        by_owner: defaultdict[str, list[_Pair]] = defaultdict(list)
        for pair in pairs:
            by_owner[pair[0]].append(pair)
        return [_Relating(f"/{module_path(module)}/{owner}/{module_path(related_list)}",
                          [links[owner][i] for _, i in mine], mine)
                for owner, mine in by_owner.items()]

    @staticmethod
    def _related_side(related_list: str, back: str, links: Mapping[str, Sequence[str]],
                      pairs: Sequence[_Pair]) -> list[_Relating]:
        by_related: defaultdict[str, list[_Pair]] = defaultdict(list)
        for owner, i in pairs:
            by_related[links[owner][i]].append((owner, i))
        return [_Relating(f"/{module_path(related_list)}/{related}/{module_path(back)}",
                          [owner for owner, _ in batch], list(batch))
                for related, theirs in by_related.items() for batch in chunks(theirs, MAX_IDS)]

    def _put_related(self, puts: Sequence[_Relating], links: Mapping[str, Sequence[str]],
                     found: dict[_Pair, RecordResult]) -> list[_Pair]:
        """Send ``puts``; each relation's result goes into ``found`` by pair, the related id
        as its id. Returns the pairs of PUTs refused as a whole or left unanswered (``found``
        keeps their failures too)."""
        def send(batch: Sequence[_Relating]) -> list[SubResponse]:
            return self.composite([SubRequest("PUT", r.path,
                                              body={"data": [{"id": i} for i in r.ids]})
                                   for r in batch])

        refused: list[_Pair] = []
        batches = chunks(list(puts), MAX_COMPOSITE)
        for batch, answers in zip(batches, self.parallel(send, batches), strict=True):
            for n, put in enumerate(batch):
                answer = answers[n] if n < len(answers) else SubResponse(0, None)
                if answer.refused or n >= len(answers):
                    refused += put.pairs
                for result, (owner, i) in zip(walk_results(answer.reply, range(len(put.ids)),
                                                           "relate"), put.pairs, strict=True):
                    found[(owner, i)] = (replace(result, index=i, id=links[owner][i])
                                         if isinstance(result, RecordSaved)
                                         else replace(result, index=i))
        return refused

"""COQL: exact lookups by our own keys.

Zoho's search API treats ``equals`` like "contains" and lags behind writes, so matching and
dedupe never use it; COQL answers exactly and at once. One call returns at most 2,000 rows;
longer answers are paged with ``LIMIT offset, count``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from connector.zoho.base import ApiBase, chunks, module_path
from connector.zoho.limits import coql_cost

__all__ = ["CoqlApi", "COQL_MAX_ROWS", "COQL_MAX_IN", "asked_rows", "quote"]

COQL_MAX_ROWS = 2000
# Zoho caps the values of one IN (...) list.
COQL_MAX_IN = 50
_LIMIT = re.compile(r"\blimit\s+(\d+)(?:\s*,\s*(\d+))?\s*$", re.IGNORECASE)
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_.$]*$")


def quote(value: str) -> str:
    """A COQL string literal; a quote inside is doubled (COQL's escape), so no value can
    end the literal and smuggle in criteria of its own."""
    return "'" + value.replace("'", "''") + "'"


def _field(name: str) -> str:
    if not _FIELD.match(name):
        raise ValueError(f"{name!r} is not a Zoho field API name")
    return name


def asked_rows(query: str) -> int:
    """Rows a query asks for (what Zoho charges by): the count of its LIMIT, else 200."""
    m = _LIMIT.search(query.strip())
    if not m:
        return 200
    return int(m.group(2) or m.group(1))


class CoqlApi(ApiBase):
    """COQL calls of ``ZohoClient``."""

    def coql(self, query: str) -> tuple[list[dict[str, Any]], bool]:
        """Run one query; the rows and whether Zoho has more beyond its LIMIT."""
        reply = self.call("POST", "/coql", body={"select_query": query},
                          cost=coql_cost(asked_rows(query)))
        if reply.status == 204:
            return [], False
        return reply.items("data"), bool(reply.info().get("more_records"))

    def coql_all(self, module: str, fields: Sequence[str], where: str, *,
                 page_size: int = COQL_MAX_ROWS) -> Iterator[dict[str, Any]]:
        """Every row matching ``where``, ordered by id so pages neither skip nor repeat rows."""
        select = ", ".join(_field(f) for f in fields)
        size = min(page_size, COQL_MAX_ROWS)
        offset = 0
        while True:
            # COQL, not SQL: fields and module pass _field/module_path, values were quoted.
            query = (f"select {select} from {module_path(module)} where {where} "  # noqa: S608
                     f"order by id asc limit {offset}, {size}")
            rows, more = self.coql(query)
            yield from rows
            if not more or len(rows) < size:
                return
            offset += size

    def coql_scan(self, module: str, fields: Sequence[str], where: str, *,
                  page_size: int = COQL_MAX_ROWS) -> Iterator[dict[str, Any]]:
        """Every row matching ``where`` (one criterion, or a parenthesised pair), paged by id
        rather than by offset: COQL reaches only the first 10,000 rows through offsets, an
        org's Accounts can be many more."""
        select = ", ".join(_field(f) for f in dict.fromkeys(["id", *fields]))
        size = min(page_size, COQL_MAX_ROWS)
        after: str | None = None
        while True:
            criteria = where if after is None else f"({where} and id > {quote(after)})"
            # COQL, not SQL: fields and module pass _field/module_path, values were quoted.
            query = (f"select {select} from {module_path(module)} where {criteria} "  # noqa: S608
                     f"order by id asc limit {size}")
            rows, more = self.coql(query)
            yield from rows
            if not more or len(rows) < size:
                return
            after = str(rows[-1]["id"])

    def find_by(self, module: str, field: str, values: Sequence[str],
                fields: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Records whose ``field`` equals one of ``values``, grouped by that value.

        Every value gets an entry; an empty list means no such record, two or more mean the
        key is not as unique as it should be, which the caller must treat as ambiguous.
        """
        wanted = list(dict.fromkeys([*fields, field]))
        found: dict[str, list[dict[str, Any]]] = {v: [] for v in values}
        batches = chunks(list(found), COQL_MAX_IN)

        def lookup(batch: Sequence[str]) -> list[dict[str, Any]]:
            where = f"{_field(field)} in ({', '.join(quote(v) for v in batch)})"
            return list(self.coql_all(module, wanted, where))

        for rows in self.parallel(lookup, batches):
            for row in rows:
                key = row.get(field)
                if isinstance(key, str) and key in found:
                    found[key].append(row)
        return found

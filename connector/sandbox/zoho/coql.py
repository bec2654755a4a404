"""A COQL subset (``POST /coql``): exact, immediate, the way to look records up.

``select f1, f2, Lookup.Field from Module where <criteria> [order by f [asc|desc]]
[limit offset, count | limit count [offset n]]``. As in Zoho: WHERE is required, more than
two criteria must be grouped in pairs (``((a and b) and c)``), ``''`` escapes a quote, at
most 2,000 rows per call (default 200) and 100,000 through offsets, 500 columns, 25
criteria, 100 values in an IN list. Text comparisons are exact but case-insensitive;
lookups compare by id (``Account_Name = '123'`` or ``Account_Name.id``) or through the
lookup (``Account_Name.QB_Key = 'x'``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connector.sandbox.zoho.errors import ApiError
from connector.sandbox.zoho.http import (
    Req,
    Resp,
    Route,
    missing_param,
    no_content,
    require_scopes,
)
from connector.sandbox.zoho.limits import coql_credits
from connector.sandbox.zoho.store import Store, Stored, iso

if TYPE_CHECKING:
    from connector.sandbox.zoho.core import Core

__all__ = ["ROUTES", "Query", "parse"]

MAX_LIMIT = 2000
DEFAULT_LIMIT = 200
MAX_OFFSET = 100_000
MAX_COLUMNS = 500
MAX_CRITERIA = 25
MAX_IN_VALUES = 100
_TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|
    (?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_$][\w$.]*))""", re.X)
_COMPARE = {"=", "!=", "<>", "<", ">", "<=", ">="}


@dataclass
class Query:
    columns: list[str]
    module: str
    where: Any
    order: list[tuple[str, bool]] = field(default_factory=list)
    offset: int = 0
    limit: int = DEFAULT_LIMIT


def _syntax(near: str, column: int) -> ApiError:
    return ApiError(400, "SYNTAX_ERROR", "error occurred while parsing the query",
                    {"near": near, "line": 1, "column": column})


class _Parser:
    def __init__(self, text: str):
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text.rstrip()):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise _syntax(text[pos:pos + 10].strip(), pos + 1)
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind), m.start(kind) + 1))
            pos = m.end()
        self.i = 0

    def peek(self, *words: str) -> bool:
        if self.i >= len(self.tokens):
            return False
        kind, value, _ = self.tokens[self.i]
        return value.lower() in words if kind in ("word", "op") else False

    def take(self, kind: str | None = None, *words: str) -> str:
        if self.i >= len(self.tokens):
            raise _syntax("end of query", 0)
        tkind, value, col = self.tokens[self.i]
        if (kind and tkind != kind) or (words and value.lower() not in words):
            raise _syntax(value, col)
        self.i += 1
        return value

    def query(self) -> Query:
        self.take("word", "select")
        columns = [self.take("word")]
        while self.peek(","):
            self.take("op")
            columns.append(self.take("word"))
        self.take("word", "from")
        module = self.take("word")
        if not self.peek("where"):
            raise ApiError(400, "SYNTAX_ERROR", "where clause is missing", {"clause": "where"})
        self.take("word")
        q = Query(columns, module, self.condition())
        self._tail(q)
        if self.i != len(self.tokens):
            raise _syntax(self.tokens[self.i][1], self.tokens[self.i][2])
        return q

    def _tail(self, q: Query) -> None:
        if self.peek("order"):
            self.take()
            self.take("word", "by")
            q.order.append(self._order_item())
            while self.peek(","):
                self.take()
                q.order.append(self._order_item())
        if self.peek("limit"):
            self.take()
            first = int(self.take("num"))
            if self.peek(","):
                self.take()
                q.offset, q.limit = first, int(self.take("num"))
            else:
                q.limit = first
                if self.peek("offset"):
                    self.take()
                    q.offset = int(self.take("num"))

    def _order_item(self) -> tuple[str, bool]:
        name = self.take("word")
        desc = False
        if self.peek("asc", "desc"):
            desc = self.take().lower() == "desc"
        return name, desc

    def condition(self) -> Any:
        left = self._primary()
        if not self.peek("and", "or"):
            return left
        op = self.take().lower()
        right = self._primary()
        if self.peek("and", "or"):  # Zoho wants explicit pairs: ((a and b) and c)
            raise _syntax(self.tokens[self.i][1], self.tokens[self.i][2])
        return (op, left, right)

    def _primary(self) -> Any:
        if self.peek("("):
            self.take()
            node = self.condition()
            self.take("op", ")")
            return node
        column = self.take("word")
        if self.peek("is"):
            self.take()
            negate = self.peek("not") and bool(self.take())
            self.take("word", "null")
            return ("notnull" if negate else "null", column, [])
        negate = self.peek("not") and bool(self.take())
        if self.peek("in"):
            self.take()
            self.take("op", "(")
            values = [self._value()]
            while self.peek(","):
                self.take()
                values.append(self._value())
            self.take("op", ")")
            return ("not in" if negate else "in", column, values)
        if self.peek("like"):
            self.take()
            return ("not like" if negate else "like", column, [self._value()])
        if self.peek("between"):
            self.take()
            low = self._value()
            self.take("word", "and")
            return ("between", column, [low, self._value()])
        op = self.take("op")
        if op not in _COMPARE:
            raise _syntax(op, 0)
        return (op, column, [self._value()])

    def _value(self) -> Any:
        kind, value, col = self.tokens[self.i] if self.i < len(self.tokens) else ("", "", 0)
        self.i += 1
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "word" and value.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[value.lower()]
        raise _syntax(value or "end of query", col)


def _leaves(node: Any) -> list[Any]:
    if node[0] in ("and", "or") and isinstance(node[1], tuple):
        return _leaves(node[1]) + _leaves(node[2])
    return [node]


def parse(text: str) -> Query:
    q = _Parser(text).query()
    if len(q.columns) > MAX_COLUMNS:
        raise ApiError(400, "LIMIT_EXCEEDED", "limit exceeded",
                       {"by": "columns", "limit": MAX_COLUMNS})
    if q.limit > MAX_LIMIT or q.limit < 1:
        raise ApiError(400, "LIMIT_EXCEEDED", "limit exceeded", {"by": "limit", "limit": MAX_LIMIT})
    if q.offset + q.limit > MAX_OFFSET:
        raise ApiError(400, "LIMIT_EXCEEDED", "limit exceeded",
                       {"by": "offset", "limit": MAX_OFFSET})
    leaves = _leaves(q.where)
    if len(leaves) > MAX_CRITERIA:
        raise ApiError(400, "LIMIT_EXCEEDED", "limit exceeded",
                       {"by": "criteria", "limit": MAX_CRITERIA})
    if any(op in ("in", "not in") and len(values) > MAX_IN_VALUES for op, _, values in leaves):
        raise ApiError(400, "LIMIT_EXCEEDED", "limit exceeded",
                       {"by": "in", "limit": MAX_IN_VALUES})
    return q


class _Columns:
    """Resolves column names (``id``, ``Field``, ``Lookup.Field``) against the store."""

    def __init__(self, store: Store, module: str):
        self.store, self.module = store, module
        self.fmap = store.field_map(module)

    def check(self, name: str) -> None:
        head, _, tail = name.partition(".")
        f = self.fmap.get(head)
        ok = name == "id" or (f is not None and not tail and f.data_type != "subform") or (
            f is not None and f.data_type == "lookup" and f.lookup_module in self.store.records
            and (tail == "id" or tail in self.store.field_map(f.lookup_module)))
        if not ok:
            raise ApiError(400, "INVALID_QUERY", "column given seems to be invalid",
                           {"column_name": name})

    def value(self, rec: Stored, name: str) -> Any:
        if name == "id":
            return rec.id
        head, _, tail = name.partition(".")
        if head in ("Created_Time", "Modified_Time"):
            return iso(rec.created if head == "Created_Time" else rec.modified)
        if head in ("Owner", "Created_By", "Modified_By"):
            user = {"Owner": rec.owner, "Created_By": rec.created_by,
                    "Modified_By": rec.modified_by}[head]
            return user["id"]
        value = rec.values.get(head)
        if not tail or tail == "id" or value is None:
            return value
        target = self.store.get(self.fmap[head].lookup_module or "", value)
        return self._plain(target, tail) if target else None

    def _plain(self, rec: Stored, name: str) -> Any:
        return rec.id if name == "id" else rec.values.get(name)

    def output(self, rec: Stored, name: str) -> Any:
        value = self.value(rec, name)
        f = self.fmap.get(name)
        if value is not None and f is not None and f.data_type in ("lookup", "ownerlookup"):
            return {"id": value}
        return value


def _like(pattern: str) -> re.Pattern[str]:
    parts = (".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.I | re.S)


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, bool):
        return value
    return float(value) if isinstance(value, (int, float)) else value


def _like_typed(have: Any, wanted: Any) -> Any:
    """The literal in the column's type: ids and text compare as text, numbers as numbers."""
    if isinstance(have, str):
        return str(wanted).casefold()
    if isinstance(have, (int, float)) and not isinstance(have, bool) and isinstance(wanted, str):
        try:
            return float(wanted)
        except ValueError:
            raise ApiError(400, "INVALID_QUERY", "value given seems to be invalid for the column",
                           {"value": wanted}) from None
    return _comparable(wanted)


def _match(op: str, have: Any, wanted: list[Any]) -> bool:
    if op in ("null", "notnull"):
        return (have is None) == (op == "null")
    if have is None:
        return False
    if op in ("like", "not like"):
        return bool(_like(str(wanted[0])).fullmatch(str(have))) == (op == "like")
    a = _comparable(have)
    vals = [_like_typed(have, w) for w in wanted]
    try:
        results = {
            "=": lambda: a == vals[0], "!=": lambda: a != vals[0], "<>": lambda: a != vals[0],
            "<": lambda: a < vals[0], ">": lambda: a > vals[0],
            "<=": lambda: a <= vals[0], ">=": lambda: a >= vals[0],
            "in": lambda: a in vals, "not in": lambda: a not in vals,
            "between": lambda: vals[0] <= a <= vals[1],
        }
        return bool(results[op]())
    except TypeError:
        raise ApiError(400, "INVALID_QUERY", "value given seems to be invalid for the column",
                       {"operator": op}) from None


def _evaluate(node: Any, cols: _Columns, rec: Stored) -> bool:
    if node[0] in ("and", "or") and isinstance(node[1], tuple):
        left, right = _evaluate(node[1], cols, rec), _evaluate(node[2], cols, rec)
        return (left and right) if node[0] == "and" else (left or right)
    op, column, values = node
    return _match(op, cols.value(rec, column), values)


def _sort_key(cols: _Columns, rec: Stored, name: str) -> tuple[bool, Any]:
    value = cols.value(rec, name)
    return (value is None, int(value) if name == "id" else _comparable(value))


def run(core: Core, req: Req, q: Query) -> Resp:
    store = core.store
    if q.module not in store.records:
        raise ApiError(400, "INVALID_QUERY", "invalid query formed", {"module": q.module})
    require_scopes(req, [("modules", q.module.lower(), "READ")])
    cols = _Columns(store, q.module)
    for name in q.columns + [n for n, _ in q.order]:
        cols.check(name)
    for leaf in _leaves(q.where):
        cols.check(leaf[1])
    with store.lock:
        hits = [r for r in store.records[q.module].values() if _evaluate(q.where, cols, r)]
        hits.sort(key=lambda r: int(r.id))
        for name, desc in reversed(q.order):
            hits.sort(key=lambda r: _sort_key(cols, r, name), reverse=desc)
        chunk = hits[q.offset:q.offset + q.limit]
        data = [{"id": r.id, **{c: cols.output(r, c) for c in q.columns if c != "id"}}
                for r in chunk]
    if not data:
        return no_content()
    return Resp(200, {"data": data, "info": {"count": len(data),
                                             "more_records": len(hits) > q.offset + q.limit}})


def _query_of(req: Req) -> Query:
    text = req.body.get("select_query") if isinstance(req.body, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise missing_param("select_query")
    return parse(text)


def coql(core: Core, req: Req, p: dict[str, str]) -> Resp:
    query = _query_of(req)
    core.queries.append(str(req.body["select_query"]))
    return run(core, req, query)


def _cost(req: Req, p: dict[str, str]) -> int:
    try:
        return coql_credits(_query_of(req).limit)
    except ApiError:
        return 1


ROUTES: list[Route] = [
    Route("POST", r"/crm/v8/coql", coql, lambda p, req: [("coql", "", "READ")], _cost,
          lambda req: True),
]

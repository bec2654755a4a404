"""The search API (``/{module}/search``) with its two well-known quirks.

1. It reads a search index that lags behind writes: a record becomes findable (and an edit
   becomes visible to the criteria) only ``search_lag`` seconds after the write.
2. ``equals`` on text is a word match, not an exact one: ``(Account_Name:equals:Acme)``
   also finds "Acme Holdings". Exact lookups belong to COQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connector.sandbox.zoho.errors import ApiError
from connector.sandbox.zoho.http import (
    Req,
    Resp,
    Route,
    fields_param,
    int_param,
    missing_param,
    no_content,
)
from connector.sandbox.zoho.schema import Field

if TYPE_CHECKING:
    from connector.sandbox.zoho.core import Core

__all__ = ["ROUTES", "parse_criteria", "Condition"]

MAX_CONDITIONS = 10
SEARCH_LIMIT = 2000
_TEXT = {"text", "textarea", "email", "phone", "website", "picklist"}
_WORD = re.compile(r"[0-9A-Za-z]+")

Condition = tuple[str, str, list[str]]  # field, operator, values
Node = Any  # a Condition, or ("and"|"or", [Node, ...])


def _invalid(reason: str) -> ApiError:
    return ApiError(400, "INVALID_QUERY", "invalid query formed", {"reason": reason})


def _split_unescaped(text: str, sep: str, limit: int = -1) -> list[str]:
    parts, current, i = [], "", 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current += text[i:i + 2]
            i += 2
            continue
        if ch == sep and limit != 0:
            parts.append(current)
            current, limit = "", limit - 1
        else:
            current += ch
        i += 1
    return [*parts, current]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


class _Parser:
    def __init__(self, text: str):
        self.text, self.pos, self.count = text.strip(), 0, 0

    def parse(self) -> Node:
        node = self._expr()
        if self.pos != len(self.text):
            raise _invalid(f"unexpected text at position {self.pos}")
        return node

    def _expr(self) -> Node:
        terms, ops = [self._term()], []
        while self.text.startswith(("and", "or"), self.pos):
            op = "and" if self.text.startswith("and", self.pos) else "or"
            self.pos += len(op)
            ops.append(op)
            terms.append(self._term())
        if not ops:
            return terms[0]
        groups: list[list[Node]] = [[terms[0]]]  # "and" binds tighter than "or"
        for op, term in zip(ops, terms[1:], strict=True):
            groups[-1].append(term) if op == "and" else groups.append([term])
        ors = [g[0] if len(g) == 1 else ("and", g) for g in groups]
        return ors[0] if len(ors) == 1 else ("or", ors)

    def _term(self) -> Node:
        if not self.text.startswith("(", self.pos):
            raise _invalid(f"expected '(' at position {self.pos}")
        if self.text.startswith("((", self.pos):
            self.pos += 1
            node = self._expr()
            if not self.text.startswith(")", self.pos):
                raise _invalid(f"expected ')' at position {self.pos}")
            self.pos += 1
            return node
        end = self.pos + 1
        while end < len(self.text) and self.text[end] != ")":
            end += 2 if self.text[end] == "\\" else 1
        if end >= len(self.text):
            raise _invalid("unbalanced parentheses")
        parts = _split_unescaped(self.text[self.pos + 1:end], ":", 2)
        self.pos = end + 1
        if len(parts) != 3:
            raise _invalid("a condition is (field:operator:value)")
        self.count += 1
        if self.count > MAX_CONDITIONS:
            raise ApiError(400, "LIMIT_EXCEEDED", "Maximum criteria limit exceeded",
                           {"limit": MAX_CONDITIONS})
        values = [_unescape(v) for v in _split_unescaped(parts[2], ",")]
        return (parts[0].strip(), parts[1].strip(), values)


def parse_criteria(text: str) -> Node:
    return _Parser(text).parse()


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _text_equals(stored: str, wanted: str) -> bool:
    """Zoho's search ``equals``: every word asked for starts some word of the value."""
    have, want = _words(stored), _words(wanted)
    return bool(want) and all(any(h.startswith(w) for h in have) for w in want)


_TEXT_OPS = ("equals", "in", "starts_with", "not_equal")
_OTHER_OPS = ("equals", "in", "not_equal", "greater_than", "less_than")


def _compare(f: Field, stored: Any, op: str, values: list[str]) -> bool:
    if op not in (_TEXT_OPS if f.data_type in _TEXT else _OTHER_OPS):
        raise _invalid(f"operator {op} is not supported for {f.api_name}")
    if stored is None:
        return op == "not_equal"
    if f.data_type in _TEXT:
        text = str(stored)
        tests: dict[str, Callable[[str], bool]] = {
            "equals": lambda v: _text_equals(text, v),
            "in": lambda v: _text_equals(text, v),
            "starts_with": lambda v: text.casefold().startswith(v.casefold()),
            "not_equal": lambda v: text.casefold() != v.casefold(),
        }
    else:
        number = _as_number(stored)
        tests = {
            "equals": lambda v: _same(stored, number, v),
            "in": lambda v: _same(stored, number, v),
            "not_equal": lambda v: not _same(stored, number, v),
            "greater_than": lambda v: number is not None and number > _num(v),
            "less_than": lambda v: number is not None and number < _num(v),
        }
    check = tests[op]
    return any(check(v) for v in values) if op == "in" else check(values[0])


def _as_number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _num(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _invalid(f"{text!r} is not a number") from None


def _same(stored: Any, number: float | None, wanted: str) -> bool:
    if number is not None:
        return number == _num(wanted)
    return str(stored).casefold() == wanted.casefold()


def _evaluate(node: Node, fmap: dict[str, Field], values: dict[str, Any]) -> bool:
    if node[0] in ("and", "or") and isinstance(node[1], list):
        results = (_evaluate(n, fmap, values) for n in node[1])
        return all(results) if node[0] == "and" else any(results)
    name, op, wanted = node
    if name not in fmap:
        raise _invalid(f"unknown field {name}")
    return _compare(fmap[name], values.get(name), op, wanted)


def _criteria_for(req: Req, fmap: dict[str, Field]) -> Node:
    if req.args.get("criteria"):
        node = parse_criteria(req.args["criteria"])
        _evaluate(node, fmap, {})  # reject unknown fields and operators before searching
        return node
    for param, types in (("email", {"email"}), ("phone", {"phone"}), ("word", _TEXT)):
        if req.args.get(param):
            names = [f.api_name for f in fmap.values() if f.data_type in types]
            return ("or", [(n, "equals", [req.args[param]]) for n in names])
    raise missing_param("criteria")


def search(core: Core, req: Req, p: dict[str, str]) -> Resp:
    store, module = core.store, p["module"]
    fmap = store.field_map(module)
    fields = fields_param(req, fmap, required=False)
    page = int_param(req, "page", 1, 1, 1_000_000)
    per_page = int_param(req, "per_page", 200, 1, 200)
    if page * per_page > SEARCH_LIMIT:
        raise ApiError(400, "LIMIT_EXCEEDED", "search results are limited to 2000 records",
                       {"param_name": "page", "limit": SEARCH_LIMIT})
    node = _criteria_for(req, fmap)
    with store.lock:
        hits = []
        for rec in sorted(store.records[module].values(), key=lambda r: int(r.id)):
            view = store.indexed_view(rec)
            if view is not None and _evaluate(node, fmap, view):
                hits.append(rec)
        chunk = hits[(page - 1) * per_page: page * per_page]
        data = [store.render(r, fields) for r in chunk]
    if not data:
        return no_content()
    info = {"per_page": per_page, "count": len(data), "page": page,
            "more_records": len(hits) > page * per_page}
    return Resp(200, {"data": data, "info": info})


ROUTES: list[Route] = [
    Route("GET", r"/crm/v8/(?P<module>[A-Za-z][A-Za-z0-9_]*)/search", search,
          lambda p, req: [("modules", p["module"].lower(), "READ")]),
]

"""What the API mixins (records, metadata, notifications) share: one ``call`` and JSON rules."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from connector.zoho.limits import READ, Cost

__all__ = ["ApiBase", "Reply", "as_dict", "encode_json", "module_path", "chunks"]

T = TypeVar("T")
R = TypeVar("R")

# Decimals are written as JSON numbers with every digit kept; float would round cents.
_MARK = f"@dec{uuid.uuid4().hex}@"
_MARKED = re.compile(rf'"{re.escape(_MARK)}(-?[0-9]+(?:\.[0-9]+)?(?:E[+-]?[0-9]+)?)"')


def _default(obj: object) -> str:
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            raise ValueError(f"cannot send {obj} to Zoho")
        return f"{_MARK}{obj}"
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def encode_json(obj: Any) -> bytes:
    text = json.dumps(obj, default=_default, ensure_ascii=False, separators=(",", ":"))
    if _MARK in text:
        text = _MARKED.sub(r"\1", text)
    return text.encode()


_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def module_path(module: str) -> str:
    """A module's API name, checked, since it becomes part of the URL path."""
    if not _API_NAME.match(module):
        raise ValueError(f"{module!r} is not a Zoho module API name")
    return module


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if Zoho sent an object there, else an empty one (answers vary in shape)."""
    return value if isinstance(value, dict) else {}


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any
    headers: httpx.Headers

    def items(self, key: str) -> list[dict[str, Any]]:
        value = self.body.get(key) if isinstance(self.body, dict) else None
        return value if isinstance(value, list) else []

    def info(self) -> dict[str, Any]:
        value = self.body.get("info") if isinstance(self.body, dict) else None
        return value if isinstance(value, dict) else {}


class ApiBase:
    """The primitives every API family is written against (implemented by ZohoClient)."""

    clock: Callable[[], datetime]

    def call(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             body: Any = None, headers: Mapping[str, str] | None = None, cost: Cost = READ,
             idempotent: bool = True) -> Reply:
        raise NotImplementedError

    def parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        raise NotImplementedError

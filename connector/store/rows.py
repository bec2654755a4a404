"""Rows the code relies on: saved ones have an id, looked-up ones exist.

A row without an id, or one that vanished between two transactions, is a bug or a race, never
a user's mistake; the error says which row, so the log points at it.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlmodel import Session, SQLModel

from connector.errors import ConnectorError

__all__ = ["MissingRowError", "require_id", "require_row"]

_Row = TypeVar("_Row", bound=SQLModel)


class MissingRowError(ConnectorError, LookupError):
    """A row that must be in the database is not (or was never flushed to it)."""


class _Keyed(Protocol):
    @property
    def id(self) -> int | None: ...


def require_id(row: _Keyed) -> int:
    """The id of ``row``, which must have been flushed or loaded."""
    if row.id is None:
        raise MissingRowError(f"{type(row).__name__} has no id: it was never flushed to the "
                              "database")
    return row.id


def require_row(s: Session, model: type[_Row], key: Any) -> _Row:
    """``s.get(model, key)``, for a row that must exist."""
    row = s.get(model, key)
    if row is None:
        raise MissingRowError(f"{model.__name__} {key!r} is not in the database (deleted "
                              "meanwhile?)")
    return row

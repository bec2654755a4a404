"""``ml-connector review import decisions.csv``: a person's decisions, many at once, from a
plan's CSV (its ``decision`` column: a candidate's Zoho id to link, ``create`` for a new
record, empty to leave the row alone)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import col, select

from connector.errors import ConfigError
from connector.reviews import ReviewRefused, decide
from connector.store import Database, ReviewItem, ReviewStatus

__all__ = ["Decision", "read_decisions", "import_decisions"]

_UNSETTLED = (ReviewStatus.OPEN, ReviewStatus.DECIDED)


@dataclass(frozen=True)
class Decision:
    line: int
    qb_type: str
    qb_id: str
    name: str | None
    zoho_module: str
    link_to: str | None  # None: create a new record
    candidates: tuple[str, ...]


def read_decisions(path: Path) -> Iterator[Decision]:
    """The rows of ``path`` that carry a decision; a file that is not UTF-8 CSV (Excel's
    plain "CSV" is Windows-1252) is refused in one line naming where."""
    try:
        yield from _read(path)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as "
                          "\"CSV UTF-8\"") from None
    except csv.Error as exc:
        raise ConfigError(f"{path}: not a readable CSV file ({exc})") from None


def _read(path: Path) -> Iterator[Decision]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = {"qb_type", "qb_id", "decision"} - set(reader.fieldnames or ())
        if missing:
            raise ConfigError(f"{path}: no {', '.join(sorted(missing))} column; use the CSV "
                              "of `ml-connector sync --plan` with its decision column filled")
        for line, row in enumerate(reader, start=2):
            choice = (row.get("decision") or "").strip()
            if not choice:
                continue
            qb_type, qb_id = (row.get("qb_type") or "").strip(), (row.get("qb_id") or "").strip()
            if not qb_type or not qb_id:
                raise ConfigError(f"{path}, line {line}: a decision without its qb_type and "
                                  "qb_id")
            yield Decision(line, qb_type, qb_id,
                           (row.get("name") or "").strip() or None,
                           (row.get("zoho_module") or "Accounts").strip(),
                           None if choice.lower() == "create" else choice,
                           tuple((row.get("candidates") or "").split()))


def _item(db: Database, company_id: int, d: Decision, now: datetime) -> ReviewItem:
    """The record's unsettled review item; a plan's row that no sync held yet gets one."""
    with db.session() as s:
        item = s.exec(select(ReviewItem).where(ReviewItem.company_id == company_id)
                      .where(ReviewItem.qb_type == d.qb_type)
                      .where(ReviewItem.qb_id == d.qb_id)
                      .where(col(ReviewItem.status).in_(_UNSETTLED))).first()
        if item is None:
            item = ReviewItem(company_id=company_id, qb_type=d.qb_type, qb_id=d.qb_id,
                              qb_name=d.name, zoho_module=d.zoho_module,
                              reason="decided from a plan's CSV before any sync held it",
                              candidates=list(d.candidates), created_at=now)
        elif d.link_to and d.link_to not in item.candidates and d.link_to in d.candidates:
            item.candidates = [*item.candidates, d.link_to]
        s.add(item)
        return item


def import_decisions(db: Database, company_id: int, decisions: Iterable[Decision], *,
                     now: datetime) -> tuple[list[ReviewItem], list[str]]:
    """Apply every decision it can; the items decided, and one line per refused row."""
    done: list[ReviewItem] = []
    refused: list[str] = []
    for d in decisions:
        item = _item(db, company_id, d, now)
        if item.id is None:
            refused.append(f"line {d.line}: {d.qb_type} {d.qb_id}: not stored")
            continue
        try:
            done.append(decide(db, item.id, link_to=d.link_to, now=now))
        except ReviewRefused as exc:
            refused.append(f"line {d.line}: {exc}")
    return done, refused

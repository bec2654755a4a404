"""``RecordLink`` rows for one chunk: loaded in bulk, changed in memory, written in bulk.

A link says what we last wrote to Zoho for a QuickBooks record (Zoho id, EditSequence,
content hash, field hashes), so a record seen again costs nothing. A link only moves when its
Zoho write succeeded: a failed record keeps its old link and is tried again next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from connector.audit import short_value
from connector.mapping.keys import LinkKind
from connector.mapping.payload import Mapped
from connector.store import Database, RecordLink

__all__ = ["Link", "LinkBook", "NOT_WRITTEN", "any_written", "is_older", "move_edit_sequence"]

# Bound parameters per IN list, well inside SQLite's and PostgreSQL's limits.
_IN_BATCH = 500
_Key = tuple[str, str]
# The content hash of a link whose QuickBooks record has no Zoho record by design.
NOT_WRITTEN = "not-written"


def is_older(edit_sequence: str | None, than: str | None) -> bool:
    """True when ``edit_sequence`` is an older version than ``than``.

    QuickBooks documents EditSequence as opaque, but every version writes a larger number; a
    retried old response must never overwrite what a newer one already wrote.
    """
    if not edit_sequence or not than or not (edit_sequence.isdigit() and than.isdigit()):
        return False
    return int(edit_sequence) < int(than)


@dataclass
class Link:
    """A ``RecordLink`` row as plain data (a validated model per row costs too much here)."""

    qb_type: str
    qb_id: str
    zoho_module: str
    id: int | None = None
    zoho_id: str | None = None
    edit_sequence: str | None = None
    content_hash: str | None = None
    field_hashes: dict[str, str] = field(default_factory=dict)
    field_values: dict[str, Any] | None = None
    deleted: bool = False
    last_synced_at: datetime | None = None


_COLUMNS = tuple(f.name for f in fields(Link))
_STORED = ("zoho_id", "edit_sequence", "content_hash", "field_hashes", "field_values",
           "deleted", "last_synced_at")


class LinkBook:
    def __init__(self, db: Database, company_id: int, clock: Callable[[], datetime]):
        self.db = db
        self.company_id = company_id
        self.clock = clock
        self._rows: dict[_Key, Link] = {}
        self._dirty: set[_Key] = set()
        # (qb_type, zoho_id) -> qb_id of the first live link, built when first asked for and
        # dropped when a link is loaded or changed: asked once per invoice of a chunk.
        self._by_zoho: dict[tuple[str, str | None], str] | None = None

    def load(self, kinds: Iterable[LinkKind], qb_ids: Iterable[str]) -> None:
        types = sorted({k.qb_type for k in kinds})
        wanted = sorted({i for i in qb_ids if i} - {i for t, i in self._rows if t in types})
        with self.db.session() as s:
            for start in range(0, len(wanted), _IN_BATCH):
                rows = s.execute(select(*(getattr(RecordLink, c) for c in _COLUMNS))
                                 .where(col(RecordLink.company_id) == self.company_id)
                                 .where(col(RecordLink.qb_type).in_(types))
                                 .where(col(RecordLink.qb_id).in_(
                                     wanted[start:start + _IN_BATCH])))
                for values in rows.all():
                    link = Link(**dict(zip(_COLUMNS, values, strict=True)))
                    link.field_hashes = link.field_hashes or {}
                    self._rows[(link.qb_type, link.qb_id)] = link
        self._by_zoho = None

    def load_by_zoho(self, kind: LinkKind, zoho_ids: Iterable[str]) -> None:
        """Load the links of ``kind`` that point at these Zoho records (a job's Account ->
        its top-level customer)."""
        known = {r.zoho_id for r in self._rows.values() if r.qb_type == kind.qb_type}
        wanted = sorted({i for i in zoho_ids if i} - known)
        with self.db.session() as s:
            for start in range(0, len(wanted), _IN_BATCH):
                found = s.exec(select(RecordLink.qb_id)
                               .where(col(RecordLink.company_id) == self.company_id)
                               .where(col(RecordLink.qb_type) == kind.qb_type)
                               .where(col(RecordLink.zoho_id).in_(
                                   wanted[start:start + _IN_BATCH]))).all()
                self.load((kind,), found)

    def qb_id_of(self, kind: LinkKind, zoho_id: str) -> str | None:
        """The QuickBooks id of a loaded link of ``kind`` to Zoho record ``zoho_id``."""
        if self._by_zoho is None:
            self._by_zoho = {}
            for r in self._rows.values():
                if not r.deleted:
                    self._by_zoho.setdefault((r.qb_type, r.zoho_id), r.qb_id)
        return self._by_zoho.get((kind.qb_type, zoho_id))

    def get(self, kind: LinkKind, qb_id: str) -> Link | None:
        return self._rows.get((kind.qb_type, qb_id))

    def zoho_id(self, kinds: Iterable[LinkKind], qb_id: str) -> str | None:
        """The Zoho id of the first kind linked (e.g. a customer as Account, else as job)."""
        for kind in kinds:
            link = self.get(kind, qb_id)
            if link is not None and link.zoho_id and not link.deleted:
                return link.zoho_id
        return None

    def claimed(self, kind: LinkKind, qb_id: str) -> str | None:
        """The Zoho record a link points at that we never wrote to (a Zoho-born Account that
        became this QuickBooks customer, and its Contact): adopted by id, not upserted on a
        key it does not carry yet."""
        link = self.get(kind, qb_id)
        if link is None or link.deleted or link.content_hash is not None:
            return None
        return link.zoho_id

    def already_synced(self, kind: LinkKind, qb_id: str, edit_sequence: str | None, *,
                       force: bool = False) -> bool:
        """True when this version (or a newer one, or the deletion) already reached Zoho."""
        link = self.get(kind, qb_id)
        if link is None:
            return False
        # Even a forced re-sync never writes back a version older than Zoho already has.
        if link.deleted or is_older(edit_sequence, link.edit_sequence):
            return True
        if force:
            return False
        written = link.zoho_id is not None or link.content_hash == NOT_WRITTEN
        return written and edit_sequence is not None and link.edit_sequence == edit_sequence

    def unchanged(self, mapped: Mapped, *, force: bool = False) -> bool:
        """True when Zoho already holds exactly this content."""
        link = self.get(mapped.kind, mapped.qb_id)
        return (not force and link is not None and link.zoho_id is not None
                and not link.deleted and link.content_hash == mapped.hash)

    def _row(self, kind: LinkKind, qb_id: str) -> Link:
        key = (kind.qb_type, qb_id)
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = Link(kind.qb_type, qb_id, kind.zoho_module)
        self._dirty.add(key)
        self._by_zoho = None  # the caller changes the row
        return row

    def record(self, mapped: Mapped, zoho_id: str | None) -> dict[str, Any]:
        """Zoho now holds ``mapped`` under ``zoho_id``; returns the values kept (shortened as
        the audit keeps them)."""
        row = self._row(mapped.kind, mapped.qb_id)
        row.zoho_id, row.edit_sequence = zoho_id, mapped.edit_sequence
        row.content_hash, row.field_hashes = mapped.hash, dict(mapped.fields)
        kept = {name: short_value(mapped.payload[name]) for name in mapped.fields
                if name in mapped.payload}
        row.field_values = kept
        row.deleted, row.last_synced_at = False, self.clock()
        return kept

    def forget_fields(self, kind: LinkKind, qb_id: str) -> None:
        """Nothing is known of what Zoho holds field by field: the next write sends all."""
        row = self._row(kind, qb_id)
        row.field_hashes, row.field_values = {}, None

    def record_not_written(self, kind: LinkKind, qb_id: str, edit_sequence: str | None) -> None:
        """A record we know and chose not to write (an item that is not a product)."""
        row = self._row(kind, qb_id)
        row.zoho_id, row.edit_sequence, row.content_hash = None, edit_sequence, NOT_WRITTEN
        row.deleted, row.last_synced_at = False, self.clock()

    def touch(self, mapped: Mapped) -> None:
        """Same content under a new EditSequence: remember it, so next time costs no mapping."""
        row = self.get(mapped.kind, mapped.qb_id)
        if row is not None and row.edit_sequence != mapped.edit_sequence:
            row.edit_sequence = mapped.edit_sequence
            self._dirty.add((mapped.kind.qb_type, mapped.qb_id))

    def mark_deleted(self, kind: LinkKind, qb_id: str) -> None:
        row = self._row(kind, qb_id)
        row.deleted, row.last_synced_at = True, self.clock()

    def flush(self) -> None:
        if not self._dirty:
            return
        rows = [self._rows[key] for key in sorted(self._dirty)]
        updates = [{"id": r.id, **{f: getattr(r, f) for f in _STORED}} for r in rows if r.id]
        fresh = [r for r in rows if r.id is None]
        with self.db.session() as s:
            # Core statements: the ORM's bulk path costs more than the rows themselves.
            # SQLModel sets __table__ on table models but does not declare it.
            table = RecordLink.__table__  # type: ignore[attr-defined]
            if updates:
                s.connection().execute(
                    update(table).where(table.c.id == bindparam("link_id")),
                    [{"link_id": u.pop("id"), **u} for u in updates])
            if fresh:
                values: list[dict[str, Any]] = [
                    {"company_id": self.company_id, "qb_type": r.qb_type, "qb_id": r.qb_id,
                     "zoho_module": r.zoho_module, **{f: getattr(r, f) for f in _STORED}}
                    for r in fresh]
                made = s.connection().execute(insert(table).returning(
                    table.c.id, table.c.qb_type, table.c.qb_id), values)
                for link_id, qb_type, qb_id in made.all():
                    self._rows[(qb_type, qb_id)].id = link_id
        self._dirty.clear()


def any_written(db: Database, company_id: int, kind: LinkKind | None = None) -> bool:
    """Whether any record of the company (of ``kind``) is in Zoho: else, none was synced yet."""
    query = (select(RecordLink.id).where(RecordLink.company_id == company_id)
             .where(col(RecordLink.zoho_id).is_not(None)))
    if kind is not None:
        query = query.where(RecordLink.qb_type == kind.qb_type)
    with db.session() as s:
        return s.exec(query.limit(1)).first() is not None


def move_edit_sequence(s: Session, company_id: int, qb_id: str, sent: str, answered: str) -> int:
    """A Mod QuickBooks accepted: the record's links that were at the EditSequence we sent move
    on to the one QuickBooks answered (so our own write is not read back as a change)."""
    result = s.exec(update(RecordLink).where(col(RecordLink.company_id) == company_id)
                    .where(col(RecordLink.qb_id) == qb_id)
                    .where(col(RecordLink.edit_sequence) == sent)
                    .values(edit_sequence=answered))
    return int(result.rowcount)

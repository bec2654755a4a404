"""The org's data in memory: fields per module, records, deletions, relations, value indexes.

Every mutation happens under ``store.lock`` (re-entrant) and is stamped with the injectable
clock. Lookup values are kept as the target's id; rendering turns them into ``{name, id}``.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from connector.sandbox.zoho.profiles import OrgProfile
from connector.sandbox.zoho.schema import (
    COMMON_FIELDS,
    CURRENCY_FIELDS,
    MODULE_DEFS,
    SUBFORMS,
    Field,
)

__all__ = ["Store", "Stored", "Deleted", "ChangeEvent", "User", "ADMIN", "SALESPERSON", "iso"]

User = dict[str, str]
ADMIN: User = {"name": "Sandbox Admin", "id": "5725767000000411001", "email": "admin@sandbox.test"}
SALESPERSON: User = {"name": "Sam Seller", "id": "5725767000000411002",
                     "email": "sam.seller@sandbox.test"}

_META_FIELDS = {"Created_Time", "Modified_Time", "Created_By", "Modified_By", "Owner"}


@lru_cache(maxsize=1024)  # a batch stamps hundreds of records with the same moment
def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# Field subsets looked up on every write: (field, module's system duplicate field) -> keep?
_SUBSETS: dict[str, Callable[[Field, str | None], bool]] = {
    "indexed": lambda f, system: f.unique or f.api_name == system,
    "unique": lambda f, system: f.unique,
    "mandatory": lambda f, system: f.mandatory and not f.read_only,
}


@dataclass
class Stored:
    id: str
    module: str
    values: dict[str, Any]
    created: datetime
    modified: datetime
    created_by: User
    modified_by: User
    owner: User
    # Search index versions: (visible from, values); Zoho's search lags behind writes.
    index: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class Deleted:
    id: str
    display_name: str | None
    deleted_time: datetime
    deleted_by: User
    created_by: User


@dataclass
class ChangeEvent:
    module: str
    operation: str  # insert | update | delete (the words Zoho's callbacks use)
    ids: list[str]
    affected: dict[str, list[str]]
    values: dict[str, dict[str, Any]]
    triggers: frozenset[str]


class Store:
    def __init__(self, *, clock: Callable[[], datetime], modules: Iterable[str],
                 multi_currency: bool, search_lag: float, profile: OrgProfile):
        self.lock = threading.RLock()
        self.clock = clock
        self.search_lag = timedelta(seconds=search_lag)
        self._ids = itertools.count(5725767000001000001)
        self.fields: dict[str, list[Field]] = {}
        self.records: dict[str, dict[str, Stored]] = {}
        self.deleted: dict[str, list[Deleted]] = {}
        self.relations: dict[str, dict[str, datetime]] = {}  # deal id -> product id -> linked at
        self._value_index: dict[tuple[str, str], dict[str, dict[str, None]]] = {}
        self.module_ids: dict[str, str] = {}
        self._field_maps: dict[str, dict[str, Field]] = {}
        self._subsets: dict[tuple[str, str], list[Field]] = {}
        for module in modules:
            self.module_ids[module] = self.new_id()
            extra = CURRENCY_FIELDS if multi_currency else ()
            base = (*MODULE_DEFS[module].fields, *profile.extra_fields.get(module, ()),
                    *COMMON_FIELDS, *extra)
            self.fields[module] = [
                replace(f, field_id=self.new_id(),
                        pick_list=profile.options(module, f.api_name) or f.pick_list)
                for f in base]
            self.records[module] = {}
            self.deleted[module] = []
            self._reindex(module)

    # ---- ids, fields -------------------------------------------------------------------
    def new_id(self) -> str:
        with self.lock:
            return str(next(self._ids))

    def field_map(self, module: str) -> dict[str, Field]:
        cached = self._field_maps.get(module)
        if cached is None:
            cached = self._field_maps[module] = {f.api_name: f for f in self.fields[module]}
        return cached

    def subform_fields(self, name: str) -> dict[str, Field]:
        return {f.api_name: f for f in SUBFORMS[name]}

    def add_field(self, module: str, new: Field) -> Field:
        with self.lock:
            new = replace(new, field_id=new.field_id or self.new_id())
            self.fields[module].append(new)
            self._reindex(module)
            return new

    def remove_field(self, module: str, api_name: str) -> None:
        with self.lock:
            self.fields[module] = [f for f in self.fields[module] if f.api_name != api_name]
            for rec in self.records[module].values():
                rec.values.pop(api_name, None)
            self._reindex(module)

    def _select(self, kind: str, module: str) -> list[Field]:
        """A cached subset of a module's fields (dropped whenever the fields change)."""
        cached = self._subsets.get((kind, module))
        if cached is None:
            system = MODULE_DEFS[module].duplicate_check
            keep = _SUBSETS[kind]
            cached = self._subsets[(kind, module)] = [f for f in self.fields[module]
                                                      if keep(f, system)]
        return cached

    def indexed_fields(self, module: str) -> list[Field]:
        """Fields answering duplicate checks: unique ones and the system duplicate field."""
        return self._select("indexed", module)

    def unique_fields(self, module: str) -> list[Field]:
        return self._select("unique", module)

    def mandatory_fields(self, module: str) -> list[Field]:
        return self._select("mandatory", module)

    # ---- value index -------------------------------------------------------------------
    @staticmethod
    def norm(f: Field, value: Any) -> str:
        text = str(value).strip()
        return text if f.case_sensitive else text.casefold()

    def reindex(self, module: str) -> None:
        """After a field changed: drop the cached field views and rebuild the value index."""
        with self.lock:
            self._reindex(module)

    def _reindex(self, module: str) -> None:
        self._field_maps.pop(module, None)
        for key in [k for k in self._subsets if k[1] == module]:
            del self._subsets[key]
        for key in [k for k in self._value_index if k[0] == module]:
            del self._value_index[key]
        for f in self.indexed_fields(module):
            self._value_index[(module, f.api_name)] = {}
        for rec in self.records[module].values():
            self._index_add(rec)

    def _index_add(self, rec: Stored) -> None:
        for f in self.indexed_fields(rec.module):
            value = rec.values.get(f.api_name)
            if value not in (None, ""):
                bucket = self._value_index[(rec.module, f.api_name)]
                bucket.setdefault(self.norm(f, value), {})[rec.id] = None

    def _index_drop(self, rec: Stored) -> None:
        for f in self.indexed_fields(rec.module):
            value = rec.values.get(f.api_name)
            bucket = self._value_index[(rec.module, f.api_name)]
            ids = bucket.get(self.norm(f, value)) if value not in (None, "") else None
            if ids is not None:
                ids.pop(rec.id, None)
                if not ids:
                    del bucket[self.norm(f, value)]

    def find_by_value(self, module: str, f: Field, value: Any) -> list[str]:
        """Ids holding ``value`` in indexed field ``f``, oldest first."""
        bucket = self._value_index.get((module, f.api_name), {})
        return list(bucket.get(self.norm(f, value), {}))

    # ---- records -----------------------------------------------------------------------
    def get(self, module: str, record_id: str) -> Stored | None:
        return self.records.get(module, {}).get(str(record_id))

    def exists(self, module: str, record_id: str) -> bool:
        return self.get(module, record_id) is not None

    def insert(self, module: str, values: dict[str, Any], actor: User) -> Stored:
        with self.lock:
            now = self.clock()
            rec = Stored(self.new_id(), module, dict(values), now, now, actor, actor, actor)
            self.records[module][rec.id] = rec
            self._index_add(rec)
            self._after_write(rec)
            return rec

    def update(self, rec: Stored, values: dict[str, Any], actor: User) -> list[str]:
        """Apply ``values``; Zoho bumps Modified_Time even when nothing changed."""
        with self.lock:
            changed = [k for k, v in values.items() if rec.values.get(k) != v]
            reindex = any(f.api_name in changed for f in self.indexed_fields(rec.module))
            if reindex:
                self._index_drop(rec)
            rec.values.update(values)
            if reindex:
                self._index_add(rec)
            rec.modified = max(self.clock(), rec.modified)
            rec.modified_by = actor
            self._after_write(rec)
            return changed

    def _after_write(self, rec: Stored) -> None:
        if rec.module == "Contacts":
            parts = (rec.values.get("First_Name"), rec.values.get("Last_Name"))
            rec.values["Full_Name"] = " ".join(p for p in parts if p)
        now = self.clock()
        visible = [v for v in rec.index if v[0] <= now]
        rec.index = visible[-1:] + [v for v in rec.index if v[0] > now]
        rec.index.append((now + self.search_lag, dict(rec.values)))

    def delete(self, module: str, record_id: str, actor: User) -> Stored | None:
        with self.lock:
            rec = self.records[module].pop(str(record_id), None)
            if rec is None:
                return None
            self._index_drop(rec)
            display = rec.values.get(MODULE_DEFS[module].display_field)
            self.deleted[module].append(
                Deleted(rec.id, display, self.clock(), actor, rec.created_by))
            self.relations.pop(rec.id, None)
            for linked in self.relations.values():
                linked.pop(rec.id, None)
            return rec

    # ---- rendering ---------------------------------------------------------------------
    def display_name(self, module: str, record_id: str) -> str | None:
        rec = self.get(module, record_id)
        return rec.values.get(MODULE_DEFS[module].display_field) if rec else None

    def _lookup(self, f: Field, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        return {"name": self.display_name(f.lookup_module or "", value), "id": value}

    def _render_value(self, f: Field, value: Any) -> Any:
        if f.data_type == "lookup":
            return self._lookup(f, value)
        if f.data_type == "subform" and value is not None:
            row_fields = self.subform_fields(f.subform or "")
            return [{k: (self._lookup(row_fields[k], v) if k in row_fields
                         and row_fields[k].data_type == "lookup" else v)
                     for k, v in row.items()} for row in value]
        return value

    def render(self, rec: Stored, wanted: Iterable[str] | None = None) -> dict[str, Any]:
        """The record as Zoho returns it; ``wanted`` limits the fields (``id`` always)."""
        meta = {
            "Created_Time": iso(rec.created), "Modified_Time": iso(rec.modified),
            "Created_By": rec.created_by, "Modified_By": rec.modified_by, "Owner": rec.owner,
        }
        fmap = self.field_map(rec.module)
        names = list(wanted) if wanted is not None else list(fmap)
        out: dict[str, Any] = {"id": rec.id}
        for name in names:
            if name in _META_FIELDS:
                out[name] = meta[name]
            elif name in fmap:
                out[name] = self._render_value(fmap[name], rec.values.get(name))
        return out

    def indexed_view(self, rec: Stored) -> dict[str, Any] | None:
        """What the search index currently holds for ``rec`` (None: not indexed yet)."""
        now = self.clock()
        visible = [values for moment, values in rec.index if moment <= now]
        return visible[-1] if visible else None

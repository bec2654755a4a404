"""Engine, sessions and the schema version check, for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine, select

from connector.errors import ConfigError
from connector.store import models
from connector.store.models import SchemaVersion

__all__ = ["SCHEMA_VERSION", "Database", "SchemaTooNewError"]

# Bump when a table changes; create_all adds new tables, anything else needs a note in README.
SCHEMA_VERSION = 1


class SchemaTooNewError(ConfigError):
    """The database was written by a newer ml-connector; running older code on it could corrupt it."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL + busy timeout let a bridge and a flow process share one SQLite file.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Database:
    """Owns the engine; ``session()`` yields a unit of work that commits or rolls back whole."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def create_all(self) -> None:
        """Create missing tables; refuse to touch a schema newer than this code knows."""
        assert models.__all__  # the tables are registered on SQLModel.metadata by import
        SQLModel.metadata.create_all(self.engine)
        with self.session() as s:
            row = s.get(SchemaVersion, 1)
            if row is None:
                s.add(SchemaVersion(id=1, version=SCHEMA_VERSION))
            elif row.version > SCHEMA_VERSION:
                raise SchemaTooNewError(
                    f"the database at {self.safe_url} has schema version {row.version}, newer than "
                    f"this ml-connector's {SCHEMA_VERSION}; upgrade ml-connector before using it"
                )
            elif row.version < SCHEMA_VERSION:
                row.version = SCHEMA_VERSION

    def schema_version(self) -> int | None:
        with self.session() as s:
            row = s.exec(select(SchemaVersion)).first()
            return row.version if row else None

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()

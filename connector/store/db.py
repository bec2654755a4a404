"""Engine, sessions and the schema version check, for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Column, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine, select

from connector.errors import ConfigError
from connector.store import models, org_models, run_models  # noqa: F401 - registers the tables
from connector.store.models import SchemaVersion

__all__ = ["SCHEMA_VERSION", "Database", "SchemaTooNewError"]

# Bump when a table changes. create_all adds new tables and ``_add_missing_columns`` new
# columns; anything else (renames, type changes) needs its own step here.
SCHEMA_VERSION = 4


class SchemaTooNewError(ConfigError):
    """The database was written by a newer ml-connector; running older code on it could corrupt
    it."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL + busy timeout let a bridge and a flow process share one SQLite file.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sql_literal(value: bool | int | str, dialect: Any) -> str:
    if isinstance(value, bool):
        return (
            ("1" if value else "0") if dialect.name == "sqlite" else ("TRUE" if value else "FALSE")
        )
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def _column_ddl(column: Column[Any], dialect: Any) -> str:
    ddl = f'"{column.name}" {column.type.compile(dialect=dialect)}'
    if column.nullable:
        return ddl
    default = getattr(column.default, "arg", None)
    if isinstance(default, bool | int | str):
        return f"{ddl} NOT NULL DEFAULT {_sql_literal(default, dialect)}"
    raise ConfigError(f"cannot add the required column {column.table.name}.{column.name} to an "
                      "existing database automatically; export and re-create the database")


def _add_missing_columns(engine: Engine) -> None:
    """Upgrade in place by adding the columns newer code declares (additive changes only)."""
    existing = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if not existing.has_table(table.name):
                continue
            have = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have:
                    conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN '
                                      f"{_column_ddl(column, engine.dialect)}"))


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
                _add_missing_columns(self.engine)
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

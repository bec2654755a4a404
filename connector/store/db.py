"""Engine, sessions and the schema version check, for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Column, event, inspect, text, update
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import Session, SQLModel, col, create_engine, select

from connector.errors import ConfigError
from connector.private import create_private_file, make_private_dir
from connector.store import (  # noqa: F401 - importing registers the tables
    born_models,
    login_models,
    models,
    org_models,
    plan_models,
    run_models,
)
from connector.store.models import QueuedRequest, RequestKind, RequestState, SchemaVersion

__all__ = ["SCHEMA_VERSION", "Database", "SchemaTooNewError"]

# Bump when a table changes. create_all adds new tables and ``_add_missing_columns`` new
# columns; anything else (renames, type changes) needs its own step here.
SCHEMA_VERSION = 18


class SchemaTooNewError(ConfigError):
    """The database was written by a newer ml-connector; running older code on it could corrupt
    it."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL + busy timeout let a bridge and a flow process share one SQLite file.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    # In WAL mode NORMAL never corrupts the file and keeps every commit through a crash of
    # ours; only a power cut may lose the last commits, which the next Web Connector session
    # reads again (watermarks move only with what was stored). FULL spends an fsync on every
    # commit: 4 ms a SOAP call on this disk, the bridge's largest single cost.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class _SqliteConnection(sqlite3.Connection):
    """A SQLite connection that knows its open cursors, so the pool can close them.

    An interrupt (Ctrl-C, a cancelled flow) between an ``INSERT ... RETURNING`` and the fetch
    of its rows reaches none of SQLAlchemy's handlers: the rollback runs, but the cursor keeps
    its statement in progress. Back in the pool, that connection can commit nothing again
    ("SQL statements in progress"), and once closed it stays open as a zombie that holds the
    file's write lock until the process ends, so the run could not even record that it
    failed ("database is locked" after every busy timeout)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cursors: weakref.WeakSet[sqlite3.Cursor] = weakref.WeakSet()

    def cursor(self, factory: Any = sqlite3.Cursor) -> Any:
        made = super().cursor(factory)
        self._cursors.add(made)
        return made

    def close_cursors(self) -> None:
        for cursor in list(self._cursors):
            cursor.close()

    def close(self) -> None:
        self.close_cursors()
        super().close()


def _close_left_cursors(dbapi_conn: Any, _record: Any, _state: Any) -> None:
    # Checked in: whoever used the connection is done with it, and a cursor still open
    # belongs to a statement an interrupt cut off.
    if isinstance(dbapi_conn, _SqliteConnection):
        dbapi_conn.close_cursors()


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
    """Upgrade in place by adding the columns (and their indexes) newer code declares
    (additive changes only)."""
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
            indexed = {i["name"] for i in existing.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in indexed:
                    index.create(conn)


def _bad_url(reason: str, parsed: URL | None) -> ConfigError:
    shown = parsed.render_as_string(hide_password=True) if parsed is not None else "the value"
    return ConfigError(f"MLC_DATABASE_URL: {shown} cannot be used ({reason}); use "
                       "sqlite:///path/to/file.db or postgresql+psycopg://user@host/dbname")


def _upgrade_data(s: Session, from_version: int) -> None:
    """What adding columns cannot say: fill new columns from the data that implied them."""
    if from_version < 6:
        # Standing reads (queued for no session) were told apart only by their missing session,
        # so only those no session has taken yet can still be recognised.
        s.execute(
            update(QueuedRequest)
            .where(col(QueuedRequest.session_id).is_(None))
            .where(col(QueuedRequest.kind).in_([RequestKind.QUERY, RequestKind.REFRESH]))
            .where(col(QueuedRequest.state) == RequestState.PENDING)
            .values(standing=True)
        )
    if from_version < 14:
        _closed_deals_from_bool(s)


def _closed_deals_from_bool(s: Session) -> None:
    """Schema 13 kept the lost-Deal choice as a bool: true becomes "void", and the column goes
    (left in place it would refuse every new row without a value for it)."""
    table = "mlc_sync_back_policy"
    conn = s.connection()
    if "void_closed_invoices" not in {c["name"] for c in inspect(conn).get_columns(table)}:
        return
    s.execute(text(f"UPDATE {table} SET closed_deals = 'void' "  # noqa: S608 - constants
                   "WHERE void_closed_invoices"))
    s.execute(text(f'ALTER TABLE {table} DROP COLUMN "void_closed_invoices"'))


class Database:
    """Owns the engine; ``session()`` yields a unit of work that commits or rolls back whole."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise _bad_url("it is not a URL", None) from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # Parameters are the records' data (names, addresses, e-mails): never in an error
        # message or log line, wherever one is shown.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:" and not parsed.query.get("uri"):
                # Password hashes and customer data: owner-only from the first byte.
                make_private_dir(Path(parsed.database).parent)
                create_private_file(Path(parsed.database))
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30,
                                      "factory": _SqliteConnection}
        else:
            kwargs["pool_pre_ping"] = True
            if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
                # A server that is down or unreachable should fail in seconds, not after the
                # operating system's own TCP timeout of minutes.
                kwargs["connect_args"] = {"connect_timeout": 10}
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise _bad_url(str(exc).splitlines()[0], parsed) from None
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.pool, "reset", _close_left_cursors)

    def create_all(self) -> bool:
        """Create missing tables; refuse to touch a schema newer than this code knows.
        True when there was no ml-connector database here: this made a new, empty one."""
        SQLModel.metadata.create_all(self.engine)
        with self.session() as s:
            row = s.get(SchemaVersion, 1)
            if row is None:
                s.add(SchemaVersion(id=1, version=SCHEMA_VERSION))
                return True
            elif row.version > SCHEMA_VERSION:
                raise SchemaTooNewError(
                    f"the database at {self.safe_url} has schema version {row.version}, newer than "
                    f"this ml-connector's {SCHEMA_VERSION}; upgrade ml-connector before using it"
                )
            elif row.version < SCHEMA_VERSION:
                _add_missing_columns(self.engine)
                _upgrade_data(s, row.version)
                row.version = SCHEMA_VERSION
        return False

    def schema_version(self) -> int | None:
        with self.session() as s:
            row = s.exec(select(SchemaVersion)).first()
            return row.version if row else None

    @property
    def file(self) -> Path | None:
        """The SQLite database file, if this database is one."""
        database = make_url(self.url).database if self.is_sqlite else None
        return Path(database) if database and database != ":memory:" else None

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

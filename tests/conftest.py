"""Shared fixtures. Storage-backed tests run on SQLite and, when MLC_TEST_POSTGRES_URL is set,
on PostgreSQL too, each test in its own schema so concurrent runs never collide.

Tests that take a ``profile`` (the sync worlds) run against the default Zoho org; those
marked ``all_profiles`` run against every simulated org profile, and MLC_TEST_PROFILES=all
(or a comma-separated list) runs every such test against those profiles."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import uuid
import weakref
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlmodel import SQLModel

from connector.config import Settings
from connector.qbwc import passwords
from connector.sandbox.zoho.profiles import PROFILES
from connector.store import SCHEMA_VERSION, Database, SchemaVersion

# No network but loopback: keep Prefect's temporary test server from phoning home.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")

# Nearly every test adds a company and logs in: at the stored cost (~50 ms of scrypt a hash or
# check) that was a tenth of the suite's CPU. Hashes made in tests take a small cost, as
# Django's test settings swap in a fast hasher; the stored cost is tested on its own
# (tests/qbwc/test_companies.py), and the processes tests start (bridges, workers) keep it.
passwords.COST = passwords.ScryptCost(n=2**8, r=8, p=1)

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("MLC_TEST_POSTGRES_URL") or None
BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]

# `make test` runs the suite on pytest-xdist workers with `--dist loadgroup`: every test that
# needs one of these session-wide servers goes to the same worker as the others that need it, so
# each server starts once per run (a Prefect server costs 5-20 s to start) and no two workers
# start their own.
SHARED_SERVERS = {
    "prefect_harness": "prefect-harness",
    "prefect_server": "prefect-server",
    "deployed": "prefect-server",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _profiles_on_sqlite(config, items)
    # tryfirst: xdist reads the group marks in its own hook, right after this one.
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        groups = sorted({group for fixture, group in SHARED_SERVERS.items() if fixture in used})
        if groups:
            item.add_marker(pytest.mark.xdist_group("+".join(groups)))


def pytest_runtest_setup(item: pytest.Item) -> None:
    # xdist's loadgroup carries a test's group in its node id ("...@group"); pytest 9.2 ignores
    # the id xdist writes (pytest-xdist#1386), and the groups were dropped without a word: every
    # worker started its own Prefect servers. Fail such a test instead of running it that way.
    if (getattr(item.config.option, "loadgroup", False)
            and item.get_closest_marker("xdist_group") and "@" not in item.nodeid):
        pytest.fail("pytest-xdist did not keep this test in its group (--dist loadgroup): this "
                    "pytest and pytest-xdist do not work together; use constraints.txt's versions",
                    pytrace=False)


# The user property under which a chaos scenario's test report carries its figures.
CHAOS_FIGURES = "chaos figures"
_CHAOS_FIGURES: list[dict[str, Any]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # The chaos scenarios' figures, as their reports bring them (in this process or from a worker).
    _CHAOS_FIGURES.extend(value for key, value in report.user_properties
                          if key == CHAOS_FIGURES)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _CHAOS_FIGURES:
        return
    from tests.chaos.checker import Figures, figures_table

    rows = sorted((Figures(**value) for value in _CHAOS_FIGURES), key=lambda f: f.scenario)
    for line in figures_table(rows):
        terminalreporter.write_line(line)


def _wanted_profiles() -> list[str] | None:
    raw = os.environ.get("MLC_TEST_PROFILES", "").strip()
    if not raw:
        return None
    names = list(PROFILES) if raw == "all" else [p.strip() for p in raw.split(",") if p.strip()]
    unknown = [n for n in names if n not in PROFILES]
    if unknown:
        raise pytest.UsageError(f"MLC_TEST_PROFILES names unknown profiles {unknown}; "
                                f"known: {sorted(PROFILES)}")
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "profile" not in metafunc.fixturenames:
        return
    wanted = _wanted_profiles()
    if wanted is None and metafunc.definition.get_closest_marker("all_profiles"):
        wanted = list(PROFILES)
    only = metafunc.definition.get_closest_marker("only_profiles")
    if only is not None:
        # A test about one org's particulars runs there, whatever else is asked for.
        wanted = [p for p in (wanted or ["default"]) if p in only.args] or [only.args[0]]
    if wanted and wanted != ["default"]:
        metafunc.parametrize("profile", wanted)


def _profiles_on_sqlite(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A Zoho org profile changes the simulated org, never the store: every profile runs on
    # SQLite, and PostgreSQL runs each such test on the default org (every pair of backend and
    # profile when MLC_TEST_PROFILES asks for profiles by name).
    if _wanted_profiles() is not None:
        return
    kept, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        params = params.params if params is not None else {}
        pair = params.get("database_url"), params.get("profile", "default")
        (dropped if pair[0] == "postgres" and pair[1] != "default" else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def profile() -> str:
    """The simulated Zoho org's profile (see ``connector.sandbox.zoho.profiles``)."""
    return "default"


def _pg_schema_url(base: str, schema: str) -> str:
    # Commits need not wait for the disk: a test database never outlives a crash, and an fsync
    # per commit is most of a storage test's time on PostgreSQL.
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema} -csynchronous_commit=off')}"


# Every connection to PostgreSQL this process opens through SQLAlchemy, while it lives.
_PG_OPENED: weakref.WeakSet[Any] = weakref.WeakSet()


@sa.event.listens_for(sa.pool.Pool, "connect")
def _remember_pg(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("psycopg"):
        _PG_OPENED.add(dbapi_connection)


def _pg_connections(pool: SchemaPool) -> int:
    """This process's open connections to PostgreSQL, less those its schema pool keeps for the
    whole session. One left to the garbage collector still counts: it is still open."""
    kept = pool.admin.pool.checkedin()
    return sum(1 for conn in list(_PG_OPENED) if not conn.closed) - kept


@pytest.fixture(autouse=True)
def _no_connection_left_open(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that leaves a PostgreSQL connection open fails. One left to the garbage collector
    counts: its next full collection can be many tests away, and CI's server ran out of its
    100 connection slots that way (a CLI command's engine, a flow's cached one)."""
    if not PG_URL:
        yield
        return
    pool: SchemaPool = request.getfixturevalue("schema_pool")
    before = _pg_connections(pool)
    yield
    flows = sys.modules.get("flows.common")
    if flows is not None:
        # The flows keep one engine per process on purpose; a test's environment dies with it.
        flows._base_env.close()
    left = _pg_connections(pool) - before
    if left > 0:
        pytest.fail(f"this test left {left} PostgreSQL connection(s) open: dispose() the "
                    "Database (or close what owns it) before the test ends", pytrace=False)


# The one row ``create_all`` writes.
_VERSION_ROW = sa.text(f"INSERT INTO {SchemaVersion.__tablename__} (id, version) "
                       f"VALUES (1, {SCHEMA_VERSION})")


class _Engines:
    """One store per pooled URL, for as long as the schema or file behind it lives: an engine
    keeps the SQL it compiled, and compiling the same statements again for every test's new
    engine was a fifth of a sync test's CPU."""

    def __init__(self) -> None:
        self.databases: dict[str, Database] = {}
        # URLs whose store is as ``create_all`` leaves it (tables, no rows but the schema
        # version), until a test takes them: the ``db`` fixture need not ask the server again.
        self.ready: set[str] = set()

    def database(self, url: str) -> Database:
        if url not in self.databases:
            self.databases[url] = Database(url)
        return self.databases[url]

    def forget(self, url: str) -> None:
        self.ready.discard(url)
        if url in self.databases:
            self.databases.pop(url).dispose()


class SchemaPool(_Engines):
    """This process's PostgreSQL test schemas, reused: creating the store's tables costs
    PostgreSQL ~0.2 s per test, emptying them ~0.02 s. A schema goes back to the pool only when
    its tables, columns, indexes and constraints are exactly those ``create_all`` makes (an
    upgrade test that altered its tables gets its schema dropped instead)."""

    SIGNATURE = """
        SELECT 'c', concat_ws(' ', table_name, column_name, data_type, is_nullable)
          FROM information_schema.columns WHERE table_schema = :schema
        UNION ALL SELECT 'i', replace(indexdef, :schema, '~') FROM pg_indexes
          WHERE schemaname = :schema
        UNION ALL SELECT 'k', conname::text || ' ' || contype::text FROM pg_constraint c
          JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = :schema"""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.admin = sa.create_engine(base)
        self.free: list[str] = []
        self.expected: frozenset[tuple[str, str]] | None = None

    def _signature(self, schema: str) -> frozenset[tuple[str, str]]:
        with self.admin.connect() as conn:
            rows = conn.execute(sa.text(self.SIGNATURE), {"schema": schema}).all()
        return frozenset((kind, text) for kind, text in rows)

    def _create(self) -> str:
        schema = f"mlc_t_{uuid.uuid4().hex[:12]}"
        with self.admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        return schema

    def _reference(self) -> frozenset[tuple[str, str]]:
        if self.expected is None:
            schema = self._create()
            reference = Database(_pg_schema_url(self.base, schema))
            reference.create_all()
            reference.dispose()
            self.expected = self._signature(schema)
            self.drop(schema)
        return self.expected

    def take(self) -> str:
        """An empty schema, or one holding the store's tables as ``create_all`` leaves them."""
        return self.free.pop() if self.free else self._create()

    def give_back(self, schema: str) -> None:
        try:
            signature = self._signature(schema)
            if not signature:  # the test never made the tables, or dropped them all
                self.ready.discard(_pg_schema_url(self.base, schema))
                self.free.append(schema)
                return
            if signature != self._reference():
                self.drop(schema)
                return
            with self.admin.begin() as conn:
                # A process a test left behind may still hold a lock: drop rather than wait.
                conn.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
                conn.execute(sa.text(f'SET LOCAL search_path = "{schema}"'))
                for table in reversed(SQLModel.metadata.sorted_tables):
                    conn.execute(sa.text(f'DELETE FROM "{table.name}"'))
                conn.execute(_VERSION_ROW)
                conn.execute(sa.text(
                    "SELECT setval(format('%I.%I', sequence_schema, sequence_name)::regclass, 1, "
                    "false) FROM information_schema.sequences WHERE sequence_schema = :schema"),
                    {"schema": schema})
        except sa.exc.OperationalError:  # the lock wait ran out
            self.drop(schema)
            return
        except BaseException:
            self.drop(schema)
            raise
        self.ready.add(_pg_schema_url(self.base, schema))
        self.free.append(schema)

    def drop(self, schema: str) -> None:
        self.forget(_pg_schema_url(self.base, schema))
        with self.admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))

    def close(self) -> None:
        while self.free:
            self.drop(self.free.pop())
        self.admin.dispose()


@pytest.fixture(scope="session")
def schema_pool() -> Iterator[SchemaPool]:
    if not PG_URL:
        pytest.skip("MLC_TEST_POSTGRES_URL is not set")
    pool = SchemaPool(PG_URL)
    yield pool
    pool.close()


@pytest.fixture
def pg_schema_url(schema_pool: SchemaPool) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a schema of its own: new, or one a finished test
    left holding exactly the store's tables, emptied to what ``create_all`` leaves (no rows
    but the schema version)."""
    schema = schema_pool.take()
    try:
        yield _pg_schema_url(schema_pool.base, schema)
    finally:
        schema_pool.give_back(schema)


class SqlitePool(_Engines):
    """This process's SQLite test files, reused as the PostgreSQL schemas are: each starts as a
    copy of a file ``create_all`` made (cheaper than creating the tables), and goes back to the
    pool emptied to the same, unless its tables are no longer exactly the template's."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.db"
        super().__init__()
        self.free: list[str] = []
        template = Database(self._url(self.template))
        template.create_all()
        with template.engine.begin() as conn:
            conn.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        template.dispose()
        with closing(sqlite3.connect(self.template)) as conn:
            self.expected = self._signature(conn)

    @staticmethod
    def _url(path: Path) -> str:
        return f"sqlite:///{path.as_posix()}"

    @staticmethod
    def _signature(conn: sqlite3.Connection) -> frozenset[tuple[str, str, str]]:
        return frozenset(conn.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master "
                                      "WHERE name NOT LIKE 'sqlite_%'").fetchall())

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        path = self.root / f"{uuid.uuid4().hex[:12]}.db"
        shutil.copyfile(self.template, path)
        os.chmod(path, 0o600)
        url = self._url(path)
        self.ready.add(url)
        return url

    def give_back(self, url: str) -> None:
        path = Path(sa.engine.make_url(url).database or "")
        try:
            with closing(sqlite3.connect(path, timeout=5)) as conn:
                if self._signature(conn) != self.expected:
                    raise ValueError("tables changed")
                for table in reversed(SQLModel.metadata.sorted_tables):
                    conn.execute(f'DELETE FROM "{table.name}"')
                conn.execute(str(_VERSION_ROW))
                conn.commit()
        except (sqlite3.Error, ValueError, OSError):
            self.drop(url)
            return
        self.ready.add(url)
        self.free.append(url)

    def drop(self, url: str) -> None:
        self.forget(url)
        path = Path(sa.engine.make_url(url).database or "")
        for leftover in (path, path.with_name(path.name + "-wal"),
                         path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)

    def close(self) -> None:
        while self.databases:
            self.databases.popitem()[1].dispose()


@pytest.fixture(scope="session")
def sqlite_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlitePool]:
    pool = SqlitePool(tmp_path_factory.mktemp("sqlite-pool"))
    yield pool
    pool.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param != "sqlite":
        yield str(request.getfixturevalue("pg_schema_url"))
        return
    pool: SqlitePool = request.getfixturevalue("sqlite_pool")
    url = pool.take()
    try:
        yield url
    finally:
        pool.give_back(url)


@pytest.fixture
def db(database_url: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    pool: SqlitePool | SchemaPool = request.getfixturevalue(
        "sqlite_pool" if database_url.startswith("sqlite") else "schema_pool")
    database = pool.database(database_url)
    if database_url not in pool.ready:
        database.create_all()
    yield database
    # Its connections closed; the engine, kept by the pool, keeps its compiled statements.
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{(tmp_path / 'mlc-lite.db').as_posix()}")
    database.create_all()
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key=Fernet.generate_key().decode(),
    )


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole run (starting one costs ~5 s).

    Request it only in tests that run whole flows; task logic is tested with ``.fn()``.
    """
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield

"""Shared fixtures. Storage-backed tests run on SQLite and, when MLC_TEST_POSTGRES_URL is set,
on PostgreSQL too, each test in its own schema so concurrent runs never collide.

Tests that take a ``profile`` (the sync worlds) run against the default Zoho org; those
marked ``all_profiles`` run against every simulated org profile, and MLC_TEST_PROFILES=all
(or a comma-separated list) runs every such test against those profiles."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from connector.config import Settings
from connector.sandbox.zoho.profiles import PROFILES
from connector.store import Database

# No network but loopback: keep Prefect's temporary test server from phoning home.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")

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
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst: xdist reads the group marks in its own hook, right after this one.
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        groups = sorted({group for fixture, group in SHARED_SERVERS.items() if fixture in used})
        if groups:
            item.add_marker(pytest.mark.xdist_group("+".join(groups)))


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


@pytest.fixture
def profile() -> str:
    """The simulated Zoho org's profile (see ``connector.sandbox.zoho.profiles``)."""
    return "default"


def _pg_schema_url(base: str, schema: str) -> str:
    # Commits need not wait for the disk: a test database never outlives a crash, and an fsync
    # per commit is most of a storage test's time on PostgreSQL.
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema} -csynchronous_commit=off')}"


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if not PG_URL:
        pytest.skip("MLC_TEST_POSTGRES_URL is not set")
    schema = f"mlc_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'mlc.db').as_posix()}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.create_all()
    yield database
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

"""The flows run against the served world of the sync tests; the production-layout tests
share one real Prefect server (starting and deploying costs ~20 s) for the whole session."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.flows.prefect_server import Server, deploy, start_server
from tests.sync.conftest import served_world  # noqa: F401 - fixture re-exported


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``prefect server start`` with its own PREFECT_HOME (see ``start_server``)."""
    with start_server(tmp_path_factory.mktemp("prefect-home")) as server:
        yield server


@pytest.fixture(scope="session")
def deployed(prefect_server: Server) -> Server:
    """The server after the README's `config set`, `work-pool create` and `deploy --all`."""
    return deploy(prefect_server)


@pytest.fixture
def production_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The production layout's database: PostgreSQL when the tests have one, else SQLite.
    (A measurement of the whole layout runs once, on the database production would use.)"""
    if PG_URL:
        return str(request.getfixturevalue("pg_schema_url"))
    return f"sqlite:///{(tmp_path / 'mlc.db').as_posix()}"

"""The flows run against the served world of the sync tests; the production-layout tests
share one real Prefect server (starting and deploying costs ~20 s) for the whole session."""

from collections.abc import Iterator

import pytest

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

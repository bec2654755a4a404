"""``ml-connector sandbox qb``: watch Web Connector sessions against a running bridge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.cli import cli
from connector.config import Settings
from connector.qbwc import add_company
from connector.store import Database
from soap_bridge.app import create_app
from tests.bridge.conftest import LiveServer, StepClock

QBW = r"C:\QB\Sandbox Co.qbw"


@pytest.fixture
def live(settings: Settings, db: Database) -> Iterator[LiveServer]:
    add_company(db, "Sandbox", "sandbox", "sandbox-pw", company_file=QBW)
    tuned = settings.model_copy(update={"max_returned_customers": 4, "min_poll_seconds": 0})
    server = LiveServer(create_app(tuned, db=db, clock=StepClock()))
    yield server
    server.stop()


def _run(live: LiveServer, *extra: str, password: str = "sandbox-pw") -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        [
            "sandbox",
            "qb",
            "--url",
            live.qbwc_url,
            "--user",
            "sandbox",
            "--password-stdin",
            "--company-file",
            QBW,
            "--seed-customers",
            "9",
            "--seed-invoices",
            "2",
            "--lines",
            "2",
            *extra,
        ],
        input=password + "\n",
    )
    return result.exit_code, result.output


def test_sandbox_qb_prints_what_each_session_did(live: LiveServer, tmp_path: Path) -> None:
    state = tmp_path / "qb.json"
    code, output = _run(live, "--sessions", "2", "--state-file", str(state))
    assert code == 0, output
    assert "seeded 9 customer(s), 2 invoice(s) x 2 line(s)" in output
    first, second = (line for line in output.splitlines() if line.startswith("session "))
    assert "session 1: ticket" in first and "progress 100%" in first and "closed: " in first
    assert "3 request(s)" not in first and "session 2: ticket" in second
    assert "CustomerQueryRq x" in output and json.loads(state.read_text())


def test_sandbox_qb_restores_the_company_from_its_state_file(
    live: LiveServer, tmp_path: Path
) -> None:
    state = tmp_path / "qb.json"
    assert _run(live, "--state-file", str(state))[0] == 0
    code, output = _run(live, "--state-file", str(state))
    assert code == 0 and f"restored from {state}" in output and "seeded" not in output


def test_sandbox_qb_shows_a_wrong_password_as_nvu(live: LiveServer) -> None:
    code, output = _run(live, password="wrong")
    assert code == 1  # a script driving the sandbox must not take this for a session
    assert "session 1: authenticate -> 'nvu' (invalid user or password)" in output
    assert "QuickBooks answered 0 document(s): nothing" in output
    assert "Error: the bridge refused the Web Connector" in output


def test_sandbox_qb_can_drop_the_first_session(live: LiveServer) -> None:
    code, output = _run(live, "--drop-after", "2")
    assert (
        code == 0
        and "2 request(s)" in output
        and "connection dropped before closeConnection" in output
    )


def test_sandbox_qb_reports_an_unreachable_bridge_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "sandbox",
            "qb",
            "--url",
            "http://127.0.0.1:9/qbwc",
            "--user",
            "u",
            "--password-stdin",
            "--seed-customers",
            "1",
            "--seed-invoices",
            "0",
        ],
        input="pw\n",
    )
    assert (
        result.exit_code == 1
        and "cannot reach the bridge at http://127.0.0.1:9/qbwc" in result.output
    )

"""A wrong environment is one line naming the problem and the setting to change, exit code 1,
no traceback; `--debug` shows the traceback."""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from connector.cli import cli
from connector.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def _invoke(env: dict[str, str | None], *args: str) -> Result:
    base: dict[str, str | None] = {"MLC_DATABASE_URL": None, "MLC_SECRET_KEY": None}
    return CliRunner().invoke(cli, list(args or ("company", "list")), env={**base, **env})


def _one_clean_line(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    # A fresh data directory also says it made a new database (test_a_new_database_says_so).
    lines = [line for line in result.output.splitlines()
             if line.strip() and not line.startswith("note: no ml-connector database")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("name, value", [("MLC_BRIDGE_PORT", "eighty"),
                                         ("MLC_OVERLAP_MINUTES", "2h"),
                                         ("MLC_ZOHO_CHANNEL_LIFETIME_HOURS", "500"),
                                         ("MLC_LOG_LEVEL", "LOUD")])
def test_a_bad_setting_names_itself(tmp_path: Path, name: str, value: str) -> None:
    _one_clean_line(_invoke({"MLC_DATA_DIR": str(tmp_path), name: value}), name, value)


@pytest.mark.parametrize("url", ["not a url", "oracle+nodriver://u:hunter2@db/x",
                                 "mysql://u:hunter2@db/x"])
def test_a_bad_database_url_names_the_setting_and_hides_the_password(tmp_path: Path,
                                                                     url: str) -> None:
    result = _invoke({"MLC_DATA_DIR": str(tmp_path), "MLC_DATABASE_URL": url})
    _one_clean_line(result, "MLC_DATABASE_URL")
    assert "hunter2" not in result.output


def test_an_unreachable_database_names_the_setting(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://mlc:hunter2@127.0.0.1:{port}/mlc"
    result = _invoke({"MLC_DATA_DIR": str(tmp_path), "MLC_DATABASE_URL": url})
    _one_clean_line(result, "cannot reach the database", "MLC_DATABASE_URL", str(port))
    assert "hunter2" not in result.output


def test_a_read_only_database_says_so(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    sqlite3.connect(path).close()
    url = f"sqlite:///file:{path.as_posix()}?mode=ro&uri=true"
    _one_clean_line(_invoke({"MLC_DATA_DIR": str(tmp_path), "MLC_DATABASE_URL": url}),
                    "read-only", "MLC_DATABASE_URL")


def test_a_data_directory_that_cannot_be_created_names_mlc_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    _one_clean_line(_invoke({"MLC_DATA_DIR": str(blocker / "data")}), "MLC_DATA_DIR")


def test_a_log_level_flag_it_does_not_know_is_a_usage_error(tmp_path: Path) -> None:
    result = _invoke({"MLC_DATA_DIR": str(tmp_path)}, "--log-level", "LOUD", "info")
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "'LOUD' is not one of 'debug', 'info', 'warning'" in result.output


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_data_directory_where_none_can_be_made_names_mlc_data_dir() -> None:
    # /proc refuses a new directory with ENOENT, not EACCES.
    _one_clean_line(_invoke({"MLC_DATA_DIR": "/proc/ml-connector"}, "info"),
                    "MLC_DATA_DIR", "/proc/ml-connector")


def test_a_flow_parameter_the_flow_does_not_take_is_one_line(tmp_path: Path) -> None:
    result = _invoke({"MLC_DATA_DIR": str(tmp_path)}, "flows", "run", "zoho-to-qb",
                     "-p", "bogus=1")
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "'bogus'" in result.output and "zoho-to-qb takes: connection, company" in result.output


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = _invoke({"MLC_DATA_DIR": str(tmp_path), "MLC_BRIDGE_PORT": "eighty"},
                     "--debug", "company", "list")
    assert result.exit_code == 1 and "Traceback" in result.output
    assert "Error: the setting MLC_BRIDGE_PORT" in result.output


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The installed entry point, as a user runs it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MLC_")}
    return subprocess.run(
        [sys.executable, "-c", "from connector.cli import main; main()", *args],
        env={**clean, "PYTHONPATH": str(ROOT), **env}, capture_output=True, text=True,
        timeout=60, check=False)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_an_unwritable_data_directory_names_mlc_data_dir(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # Root writes anywhere a mode allows nothing; sysfs refuses even root.
        if not Path("/sys/kernel").is_dir():
            pytest.skip("needs Linux sysfs when run as root")
        data = Path("/sys/kernel/mlc-test-data")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        data = locked / "data"
    result = _invoke({"MLC_DATA_DIR": str(data)})
    _one_clean_line(result, "cannot write", "MLC_DATA_DIR")


def test_a_port_in_use_names_the_setting(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run({"MLC_DATA_DIR": str(tmp_path)}, "bridge", "--port", str(port))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: ") and "MLC_BRIDGE_PORT" in error


@pytest.mark.parametrize("level, httpx_level", [("INFO", logging.WARNING),
                                                ("DEBUG", logging.NOTSET)])
def test_httpx_logs_each_request_only_when_debugging(tmp_path: Path, level: str,
                                                     httpx_level: int) -> None:
    """At INFO a sync or ping would print an "HTTP Request" line per Zoho call."""
    quiet = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    for logger in quiet:
        logger.setLevel(logging.NOTSET)
    try:
        assert _invoke({"MLC_DATA_DIR": str(tmp_path), "MLC_LOG_LEVEL": level},
                       "info").exit_code == 0
        assert [logger.level for logger in quiet] == [httpx_level] * 2
    finally:
        for logger in quiet:
            logger.setLevel(logging.NOTSET)


@pytest.mark.parametrize("host", ["999.1.1.1", "bogus.invalid"])
def test_a_bridge_host_that_is_no_address_is_one_line(tmp_path: Path, host: str) -> None:
    result = _invoke({"MLC_DATA_DIR": str(tmp_path)}, "bridge", "--host", host, "--port", "0")
    _one_clean_line(result, f"cannot listen on {host}", "--host")


def test_a_damaged_key_file_is_named_not_mlc_secret_key(tmp_path: Path) -> None:
    key_file = Settings(data_dir=tmp_path).key_file
    key_file.write_text("corrupted\n")
    result = _invoke({"MLC_DATA_DIR": str(tmp_path)}, "ping")
    assert result.exit_code == 1 and "Traceback" not in result.output
    error = result.output.splitlines()[-1]
    assert error.startswith("Error: ") and str(key_file) in error and "damaged" in error
    assert "MLC_SECRET_KEY" not in result.output


def test_a_new_database_says_so_once(tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "x.db"
    first = _invoke({"MLC_DATABASE_URL": f"sqlite:///{typo}"})
    assert first.exit_code == 0 and "no companies yet" in first.output
    assert f"note: no ml-connector database was at sqlite:///{typo}; made a new" in first.output
    again = _invoke({"MLC_DATABASE_URL": f"sqlite:///{typo}"})
    assert again.exit_code == 0 and "note:" not in again.output


def test_a_locked_database_says_another_writer_holds_it_and_shows_no_record_data(
        tmp_path: Path) -> None:
    from sqlalchemy.exc import OperationalError

    from connector.cli.errors import explain

    locked = OperationalError("INSERT INTO mlc_audit_event (qb_name) VALUES (?)",
                              ("Dvořák Musik",), sqlite3.OperationalError("database is locked"))
    message = explain(locked, Settings(data_dir=tmp_path)) or ""
    assert "is locked" in message and "another ml-connector process" in message
    assert "MLC_DATABASE_URL" not in message  # the setting is right; a writer holds the file
    assert "INSERT" not in message and "Dvořák" not in message

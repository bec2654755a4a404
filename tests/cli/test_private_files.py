"""The database and the key file are the user's alone: created owner-only, and `info` says so
(and warns when they are open to others)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.cli import cli
from connector.crypto import load_or_create_key
from connector.store import Database

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> object:
    # A typical umask (group and others may read), under which files used to be 0644.
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_sqlite_database_and_its_directory_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    db = Database(f"sqlite:///{(data / 'mlc.db').as_posix()}")
    db.create_all()
    with db.session() as s:
        s.connection().exec_driver_sql("CREATE TABLE t (x)")  # writes: -wal/-shm appear
    db.dispose()
    assert _mode(data) == 0o700
    for path in data.iterdir():
        assert _mode(path) == 0o600, path.name


def test_a_new_key_file_and_its_directory_are_owner_only(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "secret.key"
    load_or_create_key(key)
    assert (_mode(key.parent), _mode(key)) == (0o700, 0o600)


def test_info_reports_permissions_and_warns_when_open_to_others(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"MLC_DATA_DIR": str(data), "MLC_DATABASE_URL": None, "MLC_SECRET_KEY": None}
    load_or_create_key(data / "secret.key")
    first = CliRunner().invoke(cli, ["info"], env=env)
    assert first.exit_code == 0, first.output
    assert f"{data} (0700)" in first.output and "ml-connector.db (0600)" in first.output
    assert "secret.key (0600)" in first.output and "warning" not in first.output
    (data / "ml-connector.db").chmod(0o644)
    (data / "secret.key").chmod(0o640)
    second = CliRunner().invoke(cli, ["info"], env=env)
    assert "ml-connector.db (0644)" in second.output
    assert f"run: chmod 600 {data / 'ml-connector.db'}" in second.output
    assert f"run: chmod 600 {data / 'secret.key'}" in second.output

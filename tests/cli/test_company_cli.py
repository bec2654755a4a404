"""The company, qwc and info commands as a user types them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from connector.cli import cli
from connector.store import SCHEMA_VERSION


@pytest.fixture
def run(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"MLC_DATA_DIR": str(tmp_path), "MLC_DATABASE_URL": database_url}

    def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), input=stdin, env=env, catch_exceptions=False)

    return invoke


def test_add_list_disable_and_enable_a_company(run) -> None:  # type: ignore[no-untyped-def]
    added = run("company", "add", "Acme Ltd", "--qbwc-user", "acme", "--password-stdin",
                "--company-file", r"C:\QB\acme.qbw", stdin="s3cret\n")
    assert added.exit_code == 0, added.output
    assert "added company 'Acme Ltd'" in added.output and "s3cret" not in added.output
    # The next step, pasted as printed, names the company and the file whole.
    assert ('next: ml-connector qwc "Acme Ltd" --url https://<your-host>/qbwc > "Acme Ltd.qwc"'
            in added.output)
    listed = run("company", "list")
    assert (
        "Acme Ltd" in listed.output
        and r"C:\QB\acme.qbw" in listed.output
        and "never" in listed.output
    )
    assert run("company", "disable", "Acme Ltd").exit_code == 0
    assert " no " in run("company", "list").output
    assert run("company", "enable", "Acme Ltd").exit_code == 0


def test_the_password_is_prompted_twice_when_not_piped(run) -> None:  # type: ignore[no-untyped-def]
    result = run("company", "add", "Acme", "--qbwc-user", "acme", stdin="pw1\npw1\n")
    assert result.exit_code == 0, result.output
    mismatch = run("company", "add", "Beta", "--qbwc-user", "beta", stdin="a\nb\nc\nc\n")
    assert "do not match" in mismatch.output.lower()


def test_mistakes_exit_non_zero_with_a_clear_message(run) -> None:  # type: ignore[no-untyped-def]
    run("company", "add", "Acme", "--qbwc-user", "acme", "--password-stdin", stdin="pw\n")
    duplicate = run(
        "company", "add", "Acme", "--qbwc-user", "other", "--password-stdin", stdin="pw\n"
    )
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    empty = run("company", "add", "Beta", "--qbwc-user", "beta", "--password-stdin", stdin="\n")
    assert empty.exit_code == 2 and "must not be empty" in empty.output
    unknown = run("company", "disable", "Nope")
    assert unknown.exit_code == 1 and "no company named 'Nope'" in unknown.output
    bad_poll = run("company", "add", "Gamma", "--qbwc-user", "g", "--poll-minutes", "0",
                   "--password-stdin", stdin="pw\n")
    assert bad_poll.exit_code == 2


def test_set_password_and_set_file(run) -> None:  # type: ignore[no-untyped-def]
    run("company", "add", "Acme", "--qbwc-user", "acme", "--password-stdin", stdin="pw\n")
    assert run("company", "set-password", "Acme", "--password-stdin", stdin="new\n").exit_code == 0
    assert run("company", "set-file", "Acme", r"C:\QB\new.qbw").exit_code == 0
    assert r"C:\QB\new.qbw" in run("company", "list").output


def test_qwc_writes_a_registration_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("company", "add", "Acme", "--qbwc-user", "acme", "--password-stdin", "--poll-minutes", "20",
        stdin="pw\n")
    target = tmp_path / "acme.qwc"
    result = run("qwc", "Acme", "--url", "https://sync.example.com/qbwc", "-o", str(target))
    assert result.exit_code == 0, result.output
    root = etree.fromstring(target.read_bytes())
    assert root.findtext("AppURL") == "https://sync.example.com/qbwc"
    assert root.findtext("Scheduler/RunEveryNMinutes") == "20"
    refused = run("qwc", "Acme", "--url", "http://sync.example.com/qbwc")
    assert refused.exit_code == 1 and "https" in refused.output


def test_info_names_the_database_and_key_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("info")
    assert result.exit_code == 0
    assert str(tmp_path) in result.output and f"schema version : {SCHEMA_VERSION}" in result.output


def test_a_company_file_is_pinned_only_when_asked(run) -> None:  # type: ignore[no-untyped-def]
    added = run("company", "add", "Acme", "--qbwc-user", "acme", "--password-stdin",
                "--company-file", r"Z:\QB\acme.qbw", "--pin-company-file", stdin="pw\n")
    assert added.exit_code == 0, added.output
    assert "(pinned)" in run("company", "list").output
    unpinned = run("company", "set-file", "Acme", r"\\server\qb\acme.qbw", "--no-pin-company-file")
    assert unpinned.exit_code == 0 and "(pinned)" not in unpinned.output
    assert "(pinned)" not in run("company", "list").output
    lonely = run("company", "add", "Beta", "--qbwc-user", "beta", "--password-stdin",
                 "--pin-company-file", stdin="pw\n")
    assert lonely.exit_code == 1 and "--pin-company-file needs --company-file" in lonely.output

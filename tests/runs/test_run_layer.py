"""Every run has an owner: one lease per company and use case, audit units that always end."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector import runs
from connector.audit import AuditRecorder, get_run, list_runs, run_events
from connector.cli import cli
from connector.config import Settings
from connector.qbwc import add_company
from connector.runs import RunEnv, UseCase
from connector.runs.exclusive import run_exclusive
from connector.runs.heap import YOUNG_THRESHOLD
from connector.runs.leases import acquire, release, renew
from connector.store import Company, Database
from connector.store.types import utcnow
from tests.sync.conftest import World

ROOT = Path(__file__).resolve().parents[2]


def _env(db: Database, settings: Settings, **kw: object) -> RunEnv:
    return RunEnv(settings, db, lambda name: nullcontext(), **kw)  # type: ignore[arg-type]


def _run(env: RunEnv, company: Company, body: Callable[..., None]) -> runs.RunResult:
    return run_exclusive(env, UseCase.QB_TO_ZOHO, scope=f"company:{company.id}",
                         target=company.name, company_id=company.id, body=body)


def test_a_lease_has_one_holder_until_it_expires_or_is_released(db: Database) -> None:
    ttl = timedelta(seconds=30)
    now = utcnow()
    assert acquire(db, "k", "a", info="A", ttl=ttl, clock=lambda: now) is None
    held = acquire(db, "k", "b", info="B", ttl=ttl, clock=lambda: now)
    assert held is not None and held.holder_info == "A"
    assert acquire(db, "k", "a", info="A", ttl=ttl, clock=lambda: now) is None  # re-entrant
    assert renew(db, "k", "a", ttl) and not renew(db, "k", "b", ttl)
    later = now + timedelta(minutes=5)  # a's lease lapsed: b may take it over
    assert acquire(db, "k", "b", info="B", ttl=ttl, clock=lambda: later) is None
    assert not renew(db, "k", "a", ttl)
    release(db, "k", "a")  # not a's any more: nothing happens
    assert acquire(db, "k", "c", info="C", ttl=ttl, clock=lambda: later) is not None
    release(db, "k", "b")
    assert acquire(db, "k", "c", info="C", ttl=ttl, clock=lambda: later) is None


def test_of_many_threads_racing_for_a_lease_exactly_one_wins(db: Database) -> None:
    start = threading.Barrier(8)
    won: list[str] = []

    def race(name: str) -> None:
        start.wait()
        if acquire(db, "race", name, info=name, ttl=timedelta(seconds=30)) is None:
            won.append(name)

    threads = [threading.Thread(target=race, args=(f"t{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1


def test_a_second_run_of_a_busy_company_ends_skipped_naming_the_holder(
        db: Database, settings: Settings) -> None:
    company = add_company(db, "Acme", "acme", "pw")
    inner: list[runs.RunResult] = []

    def body(audit: AuditRecorder, check: Callable[[], None]) -> None:
        audit.count("read", 3)
        inner.append(_run(_env(db, settings, origin="the nightly backfill"), company,
                          lambda a, c: None))

    outer = _run(_env(db, settings, origin="ml-connector sync"), company, body)
    (skipped,) = inner
    assert outer.status == "completed" and outer.summary.counts["read"] == 3
    assert skipped.status == "skipped" and not skipped.failed
    assert "ml-connector sync" in (skipped.summary.error or "")
    assert "Skipped" in skipped.markdown()
    assert [r.status for r in list_runs(db, company_id=company.id)] == ["skipped", "completed"]


def test_a_long_run_keeps_its_lease_alive(db: Database, settings: Settings) -> None:
    company = add_company(db, "Acme", "acme", "pw")
    ttl = timedelta(milliseconds=300)
    seen: list[str] = []

    def body(audit: AuditRecorder, check: Callable[[], None]) -> None:
        time.sleep(1.0)  # three lifetimes of the lease
        check()
        seen.append(_run(_env(db, settings, lease_ttl=ttl), company, lambda a, c: None).status)

    assert _run(_env(db, settings, lease_ttl=ttl), company, body).status == "completed"
    assert seen == ["skipped"]


def test_any_exception_ends_the_audit_run_failed_with_its_type_and_message(
        world: World) -> None:
    world.add_books("Acme")
    world.session("Acme")

    def broken(name: str) -> nullcontext[None]:
        raise KeyError("org_id")

    env = RunEnv(world.settings, world.db, broken, clock=world.clock)  # type: ignore[arg-type]
    result = runs.sync_quickbooks(env, "Acme")
    assert result.failed and not result.retriable and isinstance(result.error, KeyError)
    summary = get_run(world.db, result.summary.run_id)
    assert summary.status == "failed" and summary.error == "KeyError: 'org_id'"
    assert summary.ended_at is not None
    assert runs.sync_quickbooks(world.run_env(), "Acme").status == "completed"


def test_a_runs_body_collects_rarely_and_never_what_existed_before(
        db: Database, settings: Settings) -> None:
    company = add_company(db, "Acme", "acme", "pw")
    default = gc.get_threshold()
    seen: list[tuple[int, int]] = []

    def body(*_: object) -> None:
        seen.append((gc.get_threshold()[0], gc.get_freeze_count()))
        raise RuntimeError("stop")

    assert _run(_env(db, settings), company, body).status == "failed"
    assert seen[0][0] == max(default[0], YOUNG_THRESHOLD) and seen[0][1] > 0
    # CPython's own setting is back, and nothing stays frozen, however the run ended.
    assert gc.get_threshold() == default and gc.get_freeze_count() == 0


def test_zoho_calls_tried_again_are_counted_and_named_in_the_runs_audit(world: World) -> None:
    world.add_books("Acme")
    world.session("Acme")
    world.sim.faults.fail_next(2, 503, path_contains="/Accounts")
    world.sim.faults.fail_next(1, 500, path_contains="/Deals")
    result = runs.sync_quickbooks(world.run_env(), "Acme")
    assert result.status == "completed"
    summary = get_run(world.db, result.summary.run_id)
    assert summary.counts["retried"] == 3
    [event] = [e for e in run_events(world.db, summary.run_id) if e.action == "retried"]
    assert event.error_message is not None and "x" in event.error_message
    assert "| retried |" in summary.markdown()


def _killed_holder(db: Database, database_url: str, settings: Settings, tmp_path: Path,
                   company: Company, lease_seconds: float) -> None:
    """A run in another process of this machine, holding the company's lease, killed."""
    marker = tmp_path / "running"
    holder = subprocess.Popen([sys.executable, "-m", "tests.runs.holder", database_url,
                               str(marker), str(company.id), str(lease_seconds)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert holder.poll() is None and time.monotonic() < deadline, "holder never ran"
            time.sleep(0.1)
        assert _run(_env(db, settings), company, lambda a, c: None).status == "skipped"
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()


def test_a_run_whose_process_was_killed_is_closed_as_abandoned(
        db: Database, database_url: str, settings: Settings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    company = add_company(db, "Acme", "acme", "pw")
    # A holder on a machine whose processes cannot be checked: only the lease's expiry tells.
    monkeypatch.setattr("connector.runs.leases.pid_space", lambda: None)
    _killed_holder(db, database_url, settings, tmp_path, company, lease_seconds=1)
    assert _run(_env(db, settings), company, lambda a, c: None).status == "skipped"
    time.sleep(1.5)  # the dead holder's one-second lease lapses
    after = _run(_env(db, settings), company, lambda a, c: None)
    assert after.status == "completed"
    statuses = [(r.status, r.error or "") for r in list_runs(db, company_id=company.id)]
    assert statuses[0][0] == "completed" and statuses[1][0] == statuses[2][0] == "skipped"
    assert statuses[3][0] == "abandoned" and "process running it stopped" in statuses[3][1]


def test_a_lease_whose_process_on_this_machine_is_gone_is_taken_over_at_once(
        db: Database, database_url: str, settings: Settings, tmp_path: Path) -> None:
    company = add_company(db, "Acme", "acme", "pw")
    _killed_holder(db, database_url, settings, tmp_path, company, lease_seconds=600)
    after = _run(_env(db, settings), company, lambda a, c: None)  # no waiting for 10 minutes
    assert after.status == "completed"
    statuses = [r.status for r in list_runs(db, company_id=company.id)]
    assert statuses == ["completed", "skipped", "abandoned"]


def test_task_retries_share_one_flow_run_and_the_artifact_says_which_attempt_won(
        db: Database, settings: Settings) -> None:
    company = add_company(db, "Acme", "acme", "pw")

    def flaky(audit: AuditRecorder, check: Callable[[], None]) -> None:
        raise TimeoutError("Zoho did not answer")

    first = _run(_env(db, settings, run_id="flow-run-1"), company, flaky)
    second = _run(_env(db, settings, run_id="flow-run-1", attempt=2), company,
                  lambda a, c: a.count("read", 2))
    assert first.failed and second.status == "completed"
    text = second.markdown()
    assert "Attempt 2" in text and f"run {first.summary.run_id} failed" in text


@pytest.mark.slow
def test_two_processes_syncing_one_company_at_once_one_runs_one_is_skipped(
        served_world: World) -> None:
    served_world.add_books("Acme")
    served_world.session("Acme")
    served_world.sim.latency = 0.25  # a sync long enough for the two to overlap
    env = {**os.environ, "MLC_RUN_LEASE_WAIT_SECONDS": "0"}
    command = [sys.executable, "-m", "connector.cli", "sync", "--company", "Acme"]
    procs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    statuses = sorted(r.status for r in list_runs(served_world.db))
    assert statuses == ["completed", "skipped"], outputs
    assert any("skipped" in out and "pid" in out for out in outputs), outputs
    assert len(served_world.records("Deals")) == 8 and served_world.unprocessed() == []


def test_the_cli_says_when_a_company_is_busy(served_world: World) -> None:
    books = served_world.add_books("Acme")
    served_world.session("Acme")
    env = served_world.run_env()
    held = acquire(served_world.db, f"qb_to_zoho:company:{books.company.id}", "other",
                   info="Prefect flow run brave-fox on host-1 pid 7", ttl=timedelta(minutes=5))
    assert held is None
    result = CliRunner().invoke(cli, ["sync", "--company", "Acme"],
                                env={"MLC_RUN_LEASE_WAIT_SECONDS": "0"})
    assert result.exit_code == 0, result.output
    assert "brave-fox" in result.output and "skipped" in result.output
    assert runs.companies_waiting(env) == ["Acme"]  # the responses still wait


def test_a_watching_run_syncs_each_company_whose_session_closes_while_it_watches(
        world: World) -> None:
    world.add_books("Acme")
    world.add_books("Beta")
    world.add_books("Quiet")
    world.session("Acme")
    env = world.run_env()
    elapsed = [0.0]
    sessions = {1: "Beta", 3: "Acme"}  # which company's Web Connector polls during which wait
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        elapsed[0] += seconds
        if name := sessions.get(len(polls)):
            world.session(name)

    synced: list[str] = []

    def run_one(name: str) -> None:
        synced.append(f"{name}:{runs.sync_quickbooks(env, name).status}")

    handled = runs.serve_requests(env, run_one, seconds=20, sleep=sleep,
                                  monotonic=lambda: elapsed[0])
    assert handled == ["Acme", "Beta", "Acme"]
    assert synced == ["Acme:completed", "Beta:completed", "Acme:completed"]
    assert polls == [env.settings.sync_poll_seconds] * 4
    assert runs.companies_waiting(env) == []


def test_a_company_that_keeps_failing_is_not_retried_on_every_poll(world: World) -> None:
    world.add_books("Acme")
    world.session("Acme")

    def unreachable(name: str) -> nullcontext[None]:
        raise ConnectionRefusedError("Zoho is down")

    env = RunEnv(world.settings, world.db, unreachable, clock=world.clock)  # type: ignore[arg-type]
    elapsed = [0.0]

    def sleep(seconds: float) -> None:
        elapsed[0] += seconds

    results: list[runs.RunResult] = []
    runs.serve_requests(env, lambda name: results.append(runs.sync_quickbooks(env, name)),
                        seconds=30, sleep=sleep, monotonic=lambda: elapsed[0])
    assert [r.status for r in results] == ["failed"]  # once, not on each of the six polls
    assert runs.companies_waiting(env) == ["Acme"]  # the next scheduled run tries again

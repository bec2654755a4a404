"""A real Prefect server, started from the project's own install, schedules every deployment
of prefect.yaml, and a real worker runs a scheduled ``renew-channels`` run.

This is the proof behind the SQLAlchemy < 2.1 pin: on 2.1, Prefect 3.8.8's scheduler fails
("Can't evaluate bulk DML statement") and scheduled deployments silently never fire; here no
scheduled run would appear and the waits below fail with the server's log.

Nothing is mocked: ``prefect server start``, ``prefect work-pool create``, ``prefect deploy
--all`` and ``prefect worker start`` run as subprocesses with the commands of the README, the
worker's flow run talks to the Zoho simulator over HTTP on 127.0.0.1 and to a SQLite store.
"""

from __future__ import annotations

import sqlite3
import subprocess
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from connector.audit import list_runs
from connector.notify import watch
from connector.runs import UseCase
from connector.store import AuditRun, ZohoChannel
from connector.store.types import utcnow
from connector.zoho.connection import load_connection, open_client
from tests.flows.prefect_server import (
    HOST,
    ROOT,
    Server,
    ZohoOrg,
    due_soon_copy,
    served_zoho_org,
    start_worker,
    unexpected_tracebacks,
)
from tests.zoho.conftest import FAST

pytestmark = pytest.mark.slow


def _deployments_in_prefect_yaml() -> list[dict[str, Any]]:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    return list(spec["deployments"])


def _has_schedule(deployment: dict[str, Any]) -> bool:
    return bool(deployment.get("schedules") or deployment.get("schedule")
                or deployment.get("cron") or deployment.get("interval"))


def test_deploy_all_gets_every_scheduled_deployment_of_prefect_yaml_scheduled(
        deployed: Server) -> None:
    in_yaml = _deployments_in_prefect_yaml()
    scheduled = sorted(d["name"] for d in in_yaml if _has_schedule(d))
    manual = sorted(d["name"] for d in in_yaml if not _has_schedule(d))
    assert scheduled, "prefect.yaml schedules no deployment: nothing would run by itself"
    on_server = deployed.deployments()
    missing = sorted({d["name"] for d in in_yaml} - set(on_server))
    assert not missing, f"`prefect deploy --all` did not create {missing}"

    def every_schedule_fired() -> dict[str, int] | None:
        runs = deployed.scheduled_runs([on_server[n]["id"] for n in scheduled])
        counts = {n: sum(r["deployment_id"] == on_server[n]["id"] for r in runs)
                  for n in scheduled}
        return counts if all(counts.values()) else None

    counts = deployed.wait_for(f"scheduled flow runs for every one of {scheduled}",
                               every_schedule_fired, timeout=45)
    assert all(n >= 2 for n in counts.values()), counts  # MIN_RUNS=2 ahead of now
    assert deployed.scheduled_runs([on_server[n]["id"] for n in manual]) == []
    deployed.assert_no_traceback()


# ---- a scheduled renew-channels run on a real worker --------------------------------------


def _channel(org: ZohoOrg) -> ZohoChannel:
    with org.db.session() as s:
        return s.exec(select(ZohoChannel)).one()


@contextmanager
def _zoho_org_with_expiring_channel(tmp_path: Path) -> Iterator[ZohoOrg]:
    """The Zoho simulator over HTTP on 127.0.0.1, a SQLite store holding a connection to it,
    and one channel that expires in two hours (inside the 24 h renewal window)."""
    with served_zoho_org(tmp_path, f"sqlite:///{(tmp_path / 'mlc.db')}") as org:
        with open_client(org.settings, org.db, org.secrets, retry=FAST) as client:
            watch(org.db, client, notify_url=f"http://{HOST}:9/zoho/notify",
                  connection_id=load_connection(org.db).id, now=utcnow(),
                  lifetime=timedelta(hours=2))
        yield org


def test_a_scheduled_renew_channels_run_on_a_worker_renews_an_expiring_channel(
        deployed: Server, tmp_path: Path) -> None:
    with _zoho_org_with_expiring_channel(tmp_path) as org:
        before = _channel(org)
        deployment_id = due_soon_copy(deployed, "renew-channels", queue="due-now", seconds=10)
        # The scheduler plans MIN_RUNS ahead; the first is the one due in a few seconds (had
        # the scheduler only looked after the anchor passed, it would be an hour away).
        run = deployed.first_scheduled_run(deployment_id)
        due = datetime.fromisoformat(run["expected_start_time"])
        assert due - utcnow() < timedelta(seconds=30), f"the first scheduled run is at {due}"

        worker = start_worker(deployed, "due-now", "--run-once", "--prefetch-seconds", "60",
                              cwd=tmp_path, env=org.env)
        try:
            worker.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            deployed.fail("the worker did not finish within 90 s", [worker])
        finally:
            worker.stop()
        if worker.process.returncode != 0:
            deployed.fail(f"the worker exited {worker.process.returncode}", [worker])
        deployed.assert_completed_by_schedule(run["id"], deployment_id, [worker])

        after = _channel(org)
        assert after.expires_at > before.expires_at + timedelta(hours=100)
        assert after.renewed_at is not None
        assert org.sim.call_count("PATCH", "/actions/watch") == 1
        audits = [r for r in list_runs(org.db, limit=20) if r.flow == UseCase.RENEW_CHANNELS]
        assert [(a.status, a.counts.get("updated")) for a in audits] == [("completed", 1)]
        with org.db.session() as s:
            audit_row = s.get(AuditRun, audits[0].run_id)
        assert audit_row is not None and audit_row.external_run_id == run["id"]
    deployed.assert_no_traceback()


def _logged(name: str, message: str, *raised: str) -> str:
    """A record of the server's log as Prefect writes it: ``raised`` are the chained
    exceptions, each after its own traceback."""
    chain = "\n\nThe above exception was the direct cause of the following exception:\n\n".join(
        "Traceback (most recent call last):\n"
        '  File "/venv/site-packages/sqlalchemy/engine/base.py", line 2000, in execute\n'
        "    self.dialect.do_execute(\n"
        "    ^^^^^^^^^^^^^^^^^^^^^^^\n" + exc for exc in raised)
    return f"21:50:01.123 | ERROR   | {name} - {message}\n{chain}\n"


LOCKED = _logged(
    "prefect.server.utilities.worker_channel", "Worker channel heartbeat persistence failed",
    "sqlite3.OperationalError: database is locked",
    "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked\n"
    "[SQL: INSERT INTO worker (id, name) VALUES (?, ?)]\n"
    "(Background on this error at: https://sqlalche.me/e/20/e3q8)")
# What Prefect 3.8.8's scheduler logs on SQLAlchemy 2.1 (see this module's docstring).
SCHEDULER = _logged(
    "prefect.server.services.scheduler", "Unexpected error in: Scheduler",
    "sqlalchemy.exc.InvalidRequestError: Can't evaluate bulk DML statement")
QUIET = "21:50:00.001 | INFO    | uvicorn.error - Application startup complete.\n"
ASGI = ("ERROR:    Exception in ASGI application\nTraceback (most recent call last):\n"
        '  File "/venv/site-packages/uvicorn/protocols/http/h11_impl.py", line 403, in run\n'
        "KeyError: 'state'\n")


def test_only_prefects_own_sqlite_lock_contention_is_let_through_in_the_server_log() -> None:
    assert unexpected_tracebacks(QUIET + LOCKED + QUIET, sqlite=True) == []
    # The same lock on a server that is not on SQLite is not contention we know of.
    assert unexpected_tracebacks(QUIET + LOCKED, sqlite=False) == [LOCKED]
    # A lock taken earlier in a chain that ends in another error is that error.
    wrapped = _logged("prefect.server.services.scheduler", "Unexpected error in: Scheduler",
                      "sqlite3.OperationalError: database is locked",
                      "RuntimeError: scheduler loop gave up")
    assert unexpected_tracebacks(LOCKED + SCHEDULER + QUIET + wrapped, sqlite=True) \
        == [SCHEDULER, wrapped]
    # ... and so is a lock lost while handling another error.
    handled = _logged("prefect.server.api.server", "Unexpected error", "KeyError: 'state'",
                      "sqlite3.OperationalError: database is locked")
    assert unexpected_tracebacks(handled, sqlite=True) == [handled]
    # uvicorn's and logging's records are records too: a lock logged after one hides nothing.
    logged = "ERROR:asyncio:Task exception was never retrieved\n" + ASGI.split("\n", 1)[1]
    assert unexpected_tracebacks(ASGI + LOCKED + logged + LOCKED, sqlite=True) == [ASGI, logged]
    # An exception group indents its tracebacks: one is never taken for a lock, even of locks.
    try:
        raise ExceptionGroup("unhandled errors in a TaskGroup",
                             [sqlite3.OperationalError("database is locked")])
    except ExceptionGroup as exc:
        group = ("21:50:02.000 | ERROR   | prefect.server.services - Service failed\n"
                 + "".join(traceback.format_exception(exc)))
    assert unexpected_tracebacks(group, sqlite=True) == [group]

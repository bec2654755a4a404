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

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import httpx
import pytest
import yaml
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlmodel import select

from connector.audit import list_runs
from connector.config import Settings
from connector.crypto import SecretBox
from connector.notify import watch
from connector.runs import UseCase
from connector.sandbox.zoho import ZohoSimulator
from connector.store import AuditRun, Database, ZohoChannel
from connector.store.types import utcnow
from connector.zoho.connection import load_connection, open_client
from tests.sync.conftest import connect_zoho
from tests.zoho.conftest import CLIENT_ID, FAST, SECRET, add_key_fields

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
POOL = "ml-connector"
HOST = "127.0.0.1"
# The prefect CLI of the interpreter running the tests: the project's own install.
PREFECT = [sys.executable, "-m", "prefect"]
T = TypeVar("T")


def _deployments_in_prefect_yaml() -> list[dict[str, Any]]:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    return list(spec["deployments"])


def _has_schedule(deployment: dict[str, Any]) -> bool:
    return bool(deployment.get("schedules") or deployment.get("schedule")
                or deployment.get("cron") or deployment.get("interval"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _clean_env() -> dict[str, str]:
    """The caller's environment without its Prefect and ml-connector settings (a developer's
    PREFECT_API_URL or MLC_DATABASE_URL must not leak in), with the worktree importable first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MLC_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _text(output: str | bytes | None) -> str:
    # TimeoutExpired carries bytes even when the command ran with text=True.
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def _stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop the process and everything it started (its own process group)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=grace)
        except ProcessLookupError:
            pass


@dataclass
class Server:
    """A ``prefect server start`` subprocess and what a client needs to reach it."""

    process: subprocess.Popen[bytes]
    api_url: str
    home: Path
    log: Path

    def client_env(self, **extra: str) -> dict[str, str]:
        # No PREFECT_API_URL: the clients find the server through the profile that
        # `prefect config set` wrote under PREFECT_HOME, as the README has it.
        return _clean_env() | {
            "PREFECT_HOME": str(self.home),
            "PREFECT_CLI_PROMPT": "false",
            "PREFECT_CLI_COLORS": "false",
            "PREFECT_CLI_WRAP_LINES": "false",
        } | extra

    def log_tail(self) -> str:
        return f"--- prefect server log (tail) ---\n{_tail(self.log)}"

    def fail(self, message: str) -> NoReturn:
        pytest.fail(f"{message}\n{self.log_tail()}", pytrace=False)

    def cli(self, *args: str, timeout: float = 120) -> str:
        """Run a prefect command from the repository root, as the README says to."""
        try:
            done = subprocess.run([*PREFECT, *args], cwd=ROOT, env=self.client_env(),
                                  capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            self.fail(f"`prefect {' '.join(args)}` took more than {timeout} s:\n"
                      f"{_text(exc.stdout)}\n{_text(exc.stderr)}")
        if done.returncode != 0:
            self.fail(f"`prefect {' '.join(args)}` exited {done.returncode}:\n"
                      f"{done.stdout}\n{done.stderr}")
        return done.stdout

    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.api_url}{path}", json=body, timeout=30)
        if response.is_error:
            self.fail(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json()

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout: float) -> T:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                self.fail(f"the Prefect server exited ({self.process.returncode}) while waiting "
                          f"for {what}")
            # A failing scheduler loop logs a traceback and retries forever: say so at once.
            self.assert_no_traceback(f"while waiting for {what}")
            found = probe()
            if found:
                return found
            if time.monotonic() > deadline:
                self.fail(f"no {what} after {timeout:.0f} s")
            time.sleep(0.5)

    def deployments(self) -> dict[str, dict[str, Any]]:
        return {d["name"]: d for d in self.api("POST", "/deployments/filter", {"limit": 200})}

    def scheduled_runs(self, deployment_ids: list[str]) -> list[dict[str, Any]]:
        """Runs the scheduler service made (not `prefect deployment run`), still waiting."""
        runs = self.api("POST", "/flow_runs/filter", {
            "flow_runs": {"deployment_id": {"any_": deployment_ids},
                          "state": {"type": {"any_": ["SCHEDULED"]}}},
            "limit": 200})
        return [r for r in runs
                if r["auto_scheduled"] and (r.get("created_by") or {}).get("type") == "SCHEDULE"]

    def assert_no_traceback(self, when: str = "") -> None:
        text = self.log.read_text(errors="replace")
        if "Traceback" in text:
            start = text.index("Traceback")
            pytest.fail(f"the Prefect server logged a traceback {when}:\n"
                        f"{text[start:start + 4000]}", pytrace=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``prefect server start`` on a free loopback port, its own PREFECT_HOME and SQLite
    database, analytics off, and the scheduler looping every few seconds."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    env = _clean_env() | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL":
            f"sqlite+aiosqlite:///{(home / 'prefect.db').as_posix()}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # The dashboard is not needed here and building its static files costs seconds.
        "PREFECT_UI_ENABLED": "false",
        # Settings of prefect 3.8.8 (prefect/settings/models/server/services.py): the main
        # loop every 2 s (default 60) and the newly-created-deployments loop every second.
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        "PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "1",
        "PREFECT_SERVER_SERVICES_SCHEDULER_MIN_RUNS": "2",
        "PREFECT_SERVER_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME": "PT1M",
        # Several small insert batches: the bulk insert + state update that SQLAlchemy 2.1
        # breaks runs more than once per loop.
        "PREFECT_SERVER_SERVICES_SCHEDULER_INSERT_BATCH_SIZE": "2",
    }
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*PREFECT, "server", "start", "--host", HOST, "--port", str(port)],
            cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    served = Server(process, f"http://{HOST}:{port}/api", home, log)
    try:
        def healthy() -> bool:
            try:
                return httpx.get(f"{served.api_url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        served.wait_for("answer from /api/health", healthy, timeout=90)
        yield served
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def deployed(server: Server) -> Server:
    """The README's steps after `prefect server start`, in its order, from the repo root."""
    server.cli("config", "set", f"PREFECT_API_URL={server.api_url}")
    server.cli("work-pool", "create", POOL, "--type", "process")
    server.cli("deploy", "--all", "--no-prompt")
    return server


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


@dataclass
class ZohoOrg:
    sim: ZohoSimulator
    db: Database
    env: dict[str, str]  # the MLC_* environment of the worker

    def channel(self) -> ZohoChannel:
        with self.db.session() as s:
            return s.exec(select(ZohoChannel)).one()


@contextmanager
def _zoho_org_with_expiring_channel(tmp_path: Path) -> Iterator[ZohoOrg]:
    """The Zoho simulator over HTTP on 127.0.0.1, a store holding a connection to it, and one
    channel that expires in two hours (inside the 24 h renewal window)."""
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{(tmp_path / 'mlc.db')}",
                        secret_key=SecretStr(Fernet.generate_key().decode()))
    db = Database(settings.resolved_database_url)
    db.create_all()
    secrets = SecretBox.from_settings(settings)
    sim = ZohoSimulator()
    sim.register_client(CLIENT_ID, SECRET)
    add_key_fields(sim)
    assert settings.secret_key is not None
    env = {"MLC_DATA_DIR": str(tmp_path), "MLC_DATABASE_URL": settings.resolved_database_url,
           "MLC_SECRET_KEY": settings.secret_key.get_secret_value(),
           "MLC_ZOHO_TIMEOUT_SECONDS": "10"}
    try:
        with sim.serve() as urls:
            connect_zoho(db, secrets, sim, utcnow, accounts_url=urls.accounts_url)
            with open_client(settings, db, secrets, retry=FAST) as client:
                watch(db, client, notify_url=f"http://{HOST}:9/zoho/notify",
                      connection_id=load_connection(db).id, now=utcnow(),
                      lifetime=timedelta(hours=2))
            yield ZohoOrg(sim, db, env)
    finally:
        sim.close()
        db.dispose()


def _due_soon_copy(server: Server, name: str, *, queue: str, seconds: float) -> str:
    """A copy of a deployment as `prefect deploy` made it, whose schedule fires soon.

    prefect.yaml's renew-channels runs hourly, anchored when it was deployed, so its first run
    is an hour away. The copy keeps its flow, entrypoint, pull steps, parameters, work pool and
    interval, and changes only the name, the work queue (so the worker sees this run alone)
    and the schedule's anchor, a few seconds ahead. The run is still made by the scheduler
    service (auto_scheduled, created by the schedule) and picked up by a worker polling the
    pool, exactly as a scheduled run of renew-channels is in production.
    """
    source = server.deployments()[name]
    (schedule,) = source["schedules"]
    anchor = utcnow() + timedelta(seconds=seconds)
    created = server.api("POST", "/deployments/", {
        "name": f"{name}-due-now", "flow_id": source["flow_id"],
        "entrypoint": source["entrypoint"], "path": source["path"],
        "pull_steps": source["pull_steps"], "parameters": source["parameters"],
        "parameter_openapi_schema": source["parameter_openapi_schema"],
        "job_variables": source["job_variables"], "work_pool_name": source["work_pool_name"],
        "work_queue_name": queue,
        "schedules": [{"active": True, "schedule": {
            "interval": schedule["schedule"]["interval"], "anchor_date": anchor.isoformat(),
            "timezone": "UTC"}}],
    })
    return str(created["id"])


def test_a_scheduled_renew_channels_run_on_a_worker_renews_an_expiring_channel(
        deployed: Server, tmp_path: Path) -> None:
    with _zoho_org_with_expiring_channel(tmp_path) as org:
        before = org.channel()
        deployment_id = _due_soon_copy(deployed, "renew-channels", queue="due-now", seconds=10)
        runs = deployed.wait_for("scheduled run of the renew-channels copy",
                                 lambda: deployed.scheduled_runs([deployment_id]), timeout=30)
        # The scheduler plans MIN_RUNS ahead; the first is the one due in a few seconds (had
        # the scheduler only looked after the anchor passed, it would be an hour away).
        run = min(runs, key=lambda r: r["expected_start_time"])
        due = datetime.fromisoformat(run["expected_start_time"])
        assert due - utcnow() < timedelta(seconds=30), f"the first scheduled run is at {due}"

        worker_log = tmp_path / "worker.log"
        with worker_log.open("wb") as out:
            worker = subprocess.Popen(
                [*PREFECT, "worker", "start", "--pool", POOL, "--work-queue", "due-now",
                 "--run-once", "--prefetch-seconds", "60"],
                cwd=tmp_path, env=deployed.client_env(**org.env), stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            worker.wait(timeout=90)
        except subprocess.TimeoutExpired:
            deployed.fail(f"the worker did not finish within 90 s\n--- worker log ---\n"
                          f"{_tail(worker_log)}")
        finally:
            _stop(worker)
        if worker.returncode != 0:
            deployed.fail(f"the worker exited {worker.returncode}\n--- worker log ---\n"
                          f"{_tail(worker_log)}")

        final = deployed.api("GET", f"/flow_runs/{run['id']}")
        if final["state_type"] != "COMPLETED":
            deployed.fail(f"flow run {run['id']} ended {final['state_type']}: "
                          f"{final['state'].get('message')}\n--- worker log ---\n"
                          f"{_tail(worker_log)}")
        assert final["auto_scheduled"] and final["deployment_id"] == deployment_id
        assert final["created_by"]["type"] == "SCHEDULE"

        after = org.channel()
        assert after.expires_at > before.expires_at + timedelta(hours=100)
        assert after.renewed_at is not None
        assert org.sim.call_count("PATCH", "/actions/watch") == 1
        audits = [r for r in list_runs(org.db, limit=20) if r.flow == UseCase.RENEW_CHANNELS]
        assert [(a.status, a.counts.get("updated")) for a in audits] == [("completed", 1)]
        with org.db.session() as s:
            audit_row = s.get(AuditRun, audits[0].run_id)
        assert audit_row is not None and audit_row.external_run_id == run["id"]
    deployed.assert_no_traceback()

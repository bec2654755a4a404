"""The production layout, for real, in subprocesses: a Prefect server, its CLI, workers and the
bridge, with a store and a Zoho org over HTTP for them to work on.

The tests that use it (tests/flows/test_prefect_server.py, test_production_latency.py) run the
README's commands as a user would; this module only starts, watches and stops them, and says
what went wrong with the tail of every log when a wait runs out.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import httpx
import psutil
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from connector.config import Settings
from connector.crypto import SecretBox
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database
from connector.store.types import utcnow
from connector.tls import tls_context
from tests.sync.conftest import connect_zoho
from tests.zoho.conftest import CLIENT_ID, SECRET, add_key_fields

__all__ = [
    "HOST",
    "POOL",
    "PREFECT",
    "ROOT",
    "Server",
    "Service",
    "ZohoOrg",
    "clean_env",
    "deploy",
    "due_soon_copy",
    "free_port",
    "served_zoho_org",
    "start_bridge",
    "start_server",
    "start_service",
    "start_worker",
]

ROOT = Path(__file__).resolve().parents[2]
POOL = "ml-connector"
HOST = "127.0.0.1"
# The CLIs of the interpreter running the tests: the project's own install.
PREFECT = [sys.executable, "-m", "prefect"]
ML_CONNECTOR = [sys.executable, "-m", "connector.cli"]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def clean_env() -> dict[str, str]:
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
    """Stop the process and everything it started: its own process group, and the children
    that left it (a Prefect worker starts each flow run in a session of its own)."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=grace)
        except ProcessLookupError:
            pass
    for child in children:
        with suppress(psutil.NoSuchProcess):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace)
    for child in alive:
        with suppress(psutil.NoSuchProcess):
            child.kill()


@dataclass
class Service:
    """A long-running subprocess a test started, in its own process group, logging to a file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        return f"--- {self.name} log (tail) ---\n{_tail(self.log, lines)}"

    def exited(self) -> str | None:
        code = self.process.poll()
        return None if code is None else f"the {self.name} exited ({code})"

    def stop(self) -> None:
        _stop(self.process)


def start_service(name: str, argv: list[str], *, cwd: Path, env: dict[str, str],
                  log: Path) -> Service:
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    return Service(name, process, log)


@dataclass
class Server(Service):
    """A ``prefect server start`` subprocess and what a client needs to reach it."""

    api_url: str = ""
    home: Path = Path()
    sqlite: bool = False

    def client_env(self, **extra: str) -> dict[str, str]:
        # No PREFECT_API_URL: the clients find the server through the profile that
        # `prefect config set` wrote under PREFECT_HOME, as the README has it.
        return clean_env() | {
            "PREFECT_HOME": str(self.home),
            "PREFECT_CLI_PROMPT": "false",
            "PREFECT_CLI_COLORS": "false",
            "PREFECT_CLI_WRAP_LINES": "false",
        } | extra

    def fail(self, message: str, also: Sequence[Service] = ()) -> NoReturn:
        tails = "\n".join(s.log_tail() for s in [self, *also])
        pytest.fail(f"{message}\n{tails}", pytrace=False)

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
        response = httpx.request(method, f"{self.api_url}{path}", json=body, timeout=30,
                                 verify=tls_context())
        if response.is_error:
            self.fail(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json()

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout: float,
                 also: Sequence[Service] = (), every: float = 0.5) -> T:
        """Poll ``probe`` until it returns something; fail at once when the server or one of
        ``also`` exits or the server logs a traceback, and with every log tail on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            for service in [self, *also]:
                if (exited := service.exited()) is not None:
                    self.fail(f"{exited} while waiting for {what}", also)
            # A failing scheduler loop logs a traceback and retries forever: say so at once.
            self.assert_no_traceback(f"while waiting for {what}")
            found = probe()
            if found:
                return found
            if time.monotonic() > deadline:
                self.fail(f"no {what} after {timeout:.0f} s", also)
            time.sleep(every)

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

    def first_scheduled_run(self, deployment_id: str, timeout: float = 30) -> dict[str, Any]:
        """The earliest run the scheduler made for the deployment (it plans MIN_RUNS ahead)."""
        runs = self.wait_for(f"scheduled run of deployment {deployment_id}",
                             lambda: self.scheduled_runs([deployment_id]), timeout=timeout)
        return min(runs, key=lambda r: r["expected_start_time"])

    def flow_run(self, run_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.api("GET", f"/flow_runs/{run_id}")
        return found

    def assert_completed_by_schedule(self, run_id: str, deployment_id: str,
                                     also: Sequence[Service] = ()) -> dict[str, Any]:
        """The flow run completed, and it was one the scheduler made for the deployment."""
        final = self.flow_run(run_id)
        if final["state_type"] != "COMPLETED":
            self.fail(f"flow run {run_id} ended {final['state_type']}: "
                      f"{final['state'].get('message')}", also)
        assert final["auto_scheduled"] and final["deployment_id"] == deployment_id
        assert final["created_by"]["type"] == "SCHEDULE"
        return final

    def assert_no_traceback(self, when: str = "") -> None:
        found = unexpected_tracebacks(self.log.read_text(errors="replace"), sqlite=self.sqlite)
        if found:
            pytest.fail(f"the Prefect server logged a traceback {when}:\n{found[0][:4000]}",
                        pytrace=False)


# Where a log record starts: Prefect's console format ("21:50:01.123 | ERROR   | name - ..."),
# uvicorn's ("ERROR:    Exception in ASGI application") or logging's ("ERROR:asyncio:...").
_RECORD = re.compile(r"^(?:\d\d:\d\d:\d\d\.\d{3} \| |[A-Z]+:(?: +|[\w.]+:)\S)", re.MULTILINE)
# Every traceback, whatever its indentation (an exception group's inner ones are indented).
_TRACEBACK = re.compile(r"Traceback \(most recent call last\):")
# The exception an unindented traceback ends in: the first unindented line after its frames.
_RAISED = re.compile(r"^Traceback \(most recent call last\):\n(?:[ \t].*\n)*(.*)", re.MULTILINE)
# Prefect's own services on SQLite lose a write lock now and then under load and retry on their
# next loop (a worker heartbeat reconnects): PrefectHQ/prefect#18934 and #10188, both open for
# 3.x. A lock that never clears still fails the test: the run or schedule it blocks never shows.
_SQLITE_LOCKED = ("sqlite3.OperationalError: database is locked",
                  "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked")


def _only_locked(record: str) -> bool:
    """Whether every traceback of ``record`` is SQLite's lock: one that ends in anything else,
    or that this cannot read, makes the record an error."""
    raised = _RAISED.findall(record)
    return (len(raised) == len(_TRACEBACK.findall(record))
            and all(r.startswith(_SQLITE_LOCKED) for r in raised))


def unexpected_tracebacks(log: str, *, sqlite: bool) -> list[str]:
    """The server log's records that hold a traceback, less Prefect's known SQLite lock
    contention when the server runs on SQLite."""
    starts = [m.start() for m in _RECORD.finditer(log)]
    records = [log[a:b] for a, b in zip([0, *starts], [*starts, len(log)], strict=True)]
    return [record for record in records if _TRACEBACK.search(record)
            and not (sqlite and _only_locked(record))]


@contextmanager
def start_server(home: Path, *, ui: bool = False,
                 database_url: str | None = None) -> Iterator[Server]:
    """``prefect server start`` on a free loopback port, its own PREFECT_HOME and SQLite
    database (or ``database_url``, e.g. PostgreSQL through asyncpg), analytics off, and the
    scheduler looping every few seconds; stopped on exit. The dashboard only with ``ui``
    (building its static files costs seconds)."""
    port = free_port()
    env = clean_env() | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL":
            database_url or f"sqlite+aiosqlite:///{(home / 'prefect.db').as_posix()}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true" if ui else "false",
        # The dashboard's pages call the API here (its default is port 4200).
        "PREFECT_UI_API_URL": f"http://{HOST}:{port}/api",
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
    started = start_service("prefect server",
                            [*PREFECT, "server", "start", "--host", HOST, "--port", str(port)],
                            cwd=home, env=env, log=home / "server.log")
    served = Server(started.name, started.process, started.log,
                    api_url=f"http://{HOST}:{port}/api", home=home, sqlite=database_url is None)
    try:
        def healthy() -> bool:
            try:
                answer = httpx.get(f"{served.api_url}/health", timeout=2, verify=tls_context())
                return answer.status_code == 200
            except httpx.HTTPError:
                return False

        served.wait_for("answer from /api/health", healthy, timeout=90)
        yield served
    finally:
        served.stop()


def deploy(server: Server) -> Server:
    """The README's steps after `prefect server start`, in its order, from the repo root."""
    server.cli("config", "set", f"PREFECT_API_URL={server.api_url}")
    server.cli("work-pool", "create", POOL, "--type", "process")
    server.cli("deploy", "--all", "--no-prompt")
    return server


def due_soon_copy(server: Server, name: str, *, queue: str, seconds: float,
                  parameters: dict[str, Any] | None = None) -> str:
    """A copy of a deployment as `prefect deploy` made it, whose schedule fires soon.

    prefect.yaml's schedules are anchored when they were deployed, so a first run may be an
    hour away. The copy keeps the flow, entrypoint, pull steps, parameters (``parameters``
    override some), work pool, interval and concurrency limit, and changes only the name, the
    work queue (so a worker on that queue sees this run alone) and the schedule's anchor, a
    few seconds ahead. The run is still made by the scheduler service (auto_scheduled,
    created by the schedule) and picked up by a worker polling the pool, exactly as a
    scheduled run of the deployment is in production.
    """
    source = server.deployments()[name]
    (schedule,) = source["schedules"]
    anchor = utcnow() + timedelta(seconds=seconds)
    created = server.api("POST", "/deployments/", {
        "name": f"{name}-{queue}", "flow_id": source["flow_id"],
        "entrypoint": source["entrypoint"], "path": source["path"],
        "pull_steps": source["pull_steps"],
        "parameters": source["parameters"] | (parameters or {}),
        "parameter_openapi_schema": source["parameter_openapi_schema"],
        "job_variables": source["job_variables"], "work_pool_name": source["work_pool_name"],
        # The read side names the limit `global_concurrency_limit`; the write side takes a number.
        "concurrency_limit": (source.get("global_concurrency_limit") or {}).get("limit"),
        "concurrency_options": source.get("concurrency_options"),
        "work_queue_name": queue,
        "schedules": [{"active": True, "schedule": {
            "interval": schedule["schedule"]["interval"], "anchor_date": anchor.isoformat(),
            "timezone": "UTC"}}],
    })
    return str(created["id"])


def start_worker(server: Server, queue: str, *options: str, cwd: Path,
                 env: dict[str, str]) -> Service:
    """`prefect worker start --pool ml-connector` (README), on one work queue, with the MLC_*
    environment its flow runs read."""
    return start_service(
        "prefect worker", [*PREFECT, "worker", "start", "--pool", POOL, "--work-queue", queue,
                           *options],
        cwd=cwd, env=server.client_env(**env), log=cwd / f"worker-{queue}.log")


@dataclass
class Bridge(Service):
    url: str = ""

    @property
    def qbwc_url(self) -> str:
        return f"{self.url}/qbwc"


@contextmanager
def start_bridge(cwd: Path, env: dict[str, str], timeout: float = 30) -> Iterator[Bridge]:
    """`ml-connector bridge` (waitress) on a free loopback port; stopped on exit."""
    port = free_port()
    started = start_service("bridge", [*ML_CONNECTOR, "bridge", "--host", HOST, "--port",
                                       str(port)],
                            cwd=cwd, env=clean_env() | env, log=cwd / "bridge.log")
    bridge = Bridge(started.name, started.process, started.log, url=f"http://{HOST}:{port}")
    try:
        deadline = time.monotonic() + timeout
        while True:
            if (exited := bridge.exited()) is not None:
                pytest.fail(f"{exited} before answering /healthz\n{bridge.log_tail()}",
                            pytrace=False)
            try:
                answer = httpx.get(f"{bridge.url}/healthz", timeout=2, verify=tls_context())
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the bridge did not answer /healthz within {timeout:.0f} s\n"
                            f"{bridge.log_tail()}", pytrace=False)
            time.sleep(0.2)
        yield bridge
    finally:
        bridge.stop()


@dataclass
class ZohoOrg:
    """A store and the Zoho simulator served over HTTP, with a stored connection to it."""

    sim: ZohoSimulator
    db: Database
    settings: Settings
    secrets: SecretBox
    env: dict[str, str]  # the MLC_* environment of the bridge and the worker


@contextmanager
def served_zoho_org(data_dir: Path, database_url: str) -> Iterator[ZohoOrg]:
    """The Zoho simulator over HTTP on 127.0.0.1 and a store (``database_url``, shared with
    the subprocesses through MLC_DATABASE_URL) holding a connection to it."""
    settings = Settings(data_dir=data_dir, database_url=database_url,
                        secret_key=SecretStr(Fernet.generate_key().decode()))
    db = Database(settings.resolved_database_url)
    db.create_all()
    secrets = SecretBox.from_settings(settings)
    sim = ZohoSimulator()
    sim.register_client(CLIENT_ID, SECRET)
    add_key_fields(sim)
    assert settings.secret_key is not None
    env = {"MLC_DATA_DIR": str(data_dir), "MLC_DATABASE_URL": settings.resolved_database_url,
           "MLC_SECRET_KEY": settings.secret_key.get_secret_value(),
           "MLC_ZOHO_TIMEOUT_SECONDS": "10"}
    try:
        with sim.serve() as urls:
            connect_zoho(db, secrets, sim, utcnow, accounts_url=urls.accounts_url)
            yield ZohoOrg(sim, db, settings, secrets, env)
    finally:
        sim.close()
        db.dispose()

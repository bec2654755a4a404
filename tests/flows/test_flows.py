"""The Prefect flows: thin, retried only when retrying helps, audited, with artifacts."""

from __future__ import annotations

import asyncio
import importlib
import logging
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.states import Completed, Failed

from connector.audit import list_runs
from connector.errors import FatalError, RetriableError
from connector.runs.result import artifact_slug
from connector.store import AuditRun, Database
from connector.sync.progress import ProgressReport
from flows.backfill import backfill
from flows.common import connector_logs, progress_bar, retry_only_retriable
from flows.qb_to_zoho import qb_to_zoho
from tests.sync.conftest import World

ROOT = Path(__file__).resolve().parents[2]


def test_only_retriable_failures_are_retried() -> None:
    assert retry_only_retriable(None, None, Failed(data=RetriableError("429")))
    assert not retry_only_retriable(None, None, Failed(data=FatalError("token revoked")))
    assert not retry_only_retriable(None, None, Failed(data=ValueError("bug")))
    assert not retry_only_retriable(None, None, Completed(data=1))


def test_artifact_keys_are_what_prefect_accepts() -> None:
    assert artifact_slug("Café Olé GmbH & Co") == "caf-ol-gmbh-co"


def test_every_flow_is_async_so_its_run_ends_with_its_work() -> None:
    # A sync flow's run waits for Prefect's heartbeat thread to wake from its 1-s sleep.
    from connector.cli.flows import FLOWS

    for name, where in FLOWS.items():
        module, _, attribute = where.partition(":")
        flow = getattr(importlib.import_module(module), attribute)
        assert flow.name == name and flow.isasync, name


def test_a_process_keeps_one_engine_for_its_flows_and_closes_the_one_it_replaces(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker serving flows for days must not collect an engine (and its idle connections)
    # per environment it has seen; a test suite sees hundreds.
    from cryptography.fernet import Fernet

    from flows.common import _BaseEnv

    monkeypatch.setenv("MLC_SECRET_KEY", Fernet.generate_key().decode())
    envs = _BaseEnv()
    opened = []
    for name in ("a", "b"):
        monkeypatch.setenv("MLC_DATA_DIR", str(tmp_path / name))
        key = (("MLC_DATA_DIR", str(tmp_path / name)),)
        env = envs(key)
        assert envs(key) is env
        env.db.schema_version()  # a connection, back in the engine's pool
        assert env.db.engine.pool.checkedin() == 1
        opened.append(env)
    assert opened[0].db.engine.pool.checkedin() == 0
    assert opened[1].db.engine.pool.checkedin() == 1
    envs.close()
    assert opened[1].db.engine.pool.checkedin() == 0


def test_prefect_yaml_schedules_the_sync_and_leaves_backfill_manual() -> None:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    by_name = {d["name"]: d for d in spec["deployments"]}
    assert {"qb-to-zoho", "backfill"} <= set(by_name)
    for name in ("qb-to-zoho", "backfill"):
        path, _, attr = by_name[name]["entrypoint"].partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, attr)
        assert flow.name == name
    # Each scheduled run watches the store for sync requests until the next one starts.
    (schedule,) = by_name["qb-to-zoho"]["schedules"]
    assert by_name["qb-to-zoho"]["parameters"]["watch_seconds"] < schedule["interval"]
    assert "schedules" not in by_name["backfill"]


async def _artifacts(key: str) -> list[Any]:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        return list(await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))))


@pytest.mark.usefixtures("prefect_harness")
def test_qb_to_zoho_flow_syncs_and_publishes_its_audit(served_world: World, db: Database,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLC_SYNC_CHUNK_RESPONSES", "3")  # a first load of several chunks
    served_world.add_books("Acme")
    served_world.session("Acme")
    state = asyncio.run(qb_to_zoho(return_state=True))
    result = state.result()
    assert result["Acme"]["status"] == "completed" and result["Acme"]["created"] > 0
    (run,) = list_runs(db, limit=1)
    flow_run_id = str(state.state_details.flow_run_id)
    with db.session() as s:
        row = s.get(AuditRun, run.run_id)
    assert row is not None and row.external_run_id == flow_run_id
    (artifact,) = [a for a in asyncio.run(_artifacts("qb-to-zoho-acme"))
                   if str(a.flow_run_id) == flow_run_id]
    assert "qb_to_zoho · Acme · completed" in artifact.data
    assert "| QuickBooks record | Zoho record | action |" in artifact.data
    assert f"more: `ml-connector audit show {run.run_id}`" in artifact.data
    assert state.message == "synced Acme"
    logged = asyncio.run(_logs(flow_run_id, "Acme: completed"))
    assert any(name.startswith("connector.") and "Acme: completed" in message
               for name, message in logged), logged
    # A first load takes several chunks: it shows a progress bar, and logs pages and records.
    (bar,) = [a for a in asyncio.run(_artifacts("qb-to-zoho-progress-acme"))
              if str(a.flow_run_id) == flow_run_id]
    assert bar.type == "progress" and float(bar.data) == 100.0
    assert any("pages (100%)" in message and "records" in message for _, message in logged)


@pytest.mark.usefixtures("prefect_harness")
def test_a_qb_to_zoho_run_with_nothing_to_do_ends_at_once_and_says_so(
        served_world: World) -> None:
    served_world.add_books("Acme")
    state = asyncio.run(qb_to_zoho(return_state=True))
    assert state.is_completed()
    assert state.message == "nothing to sync: no QuickBooks responses waiting"


async def _logs(flow_run_id: str, awaited: str) -> list[tuple[str, str]]:
    """The flow run's logs, once a connector log line holding ``awaited`` is among them (or 30 s
    have passed: logs are shipped to the API in batches, in the background)."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    async with get_client() as client:
        for _ in range(300):
            logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(
                any_=[UUID(flow_run_id)])))
            if any(log.name.startswith("connector.") and awaited in log.message for log in logs):
                break
            await asyncio.sleep(0.1)
    return [(log.name, log.message) for log in logs]


@pytest.mark.usefixtures("prefect_harness")
def test_connector_lines_sent_for_the_ui_only_are_not_printed_on_the_console(
        caplog: pytest.LogCaptureFixture) -> None:
    from prefect import flow
    from prefect.runtime import flow_run

    @flow
    def talk() -> str:
        with connector_logs():
            logging.getLogger("connector.sync").info("for the UI")
            logging.getLogger("connector.sync").warning("for the UI and the console")
        return str(flow_run.id)

    # The console (at the root, as Prefect's) shows warnings; caplog's handler sits beside it.
    assert logging.getLogger().getEffectiveLevel() == logging.WARNING
    flow_run_id = talk()
    assert [r.getMessage() for r in caplog.records if r.name == "connector.sync"] == [
        "for the UI and the console"]
    logged = asyncio.run(_logs(flow_run_id, "for the UI and the console"))
    assert {("connector.sync", "for the UI"),
            ("connector.sync", "for the UI and the console")} <= set(logged)
    connector = logging.getLogger("connector")
    assert connector.propagate and connector.level == logging.NOTSET


@pytest.mark.usefixtures("prefect_harness")
def test_the_progress_bar_moves_at_most_every_few_seconds_and_always_to_its_end() -> None:
    from prefect import flow
    from prefect.runtime import flow_run

    now = [0.0]

    def bar() -> float:
        (shown,) = [a for a in asyncio.run(_artifacts("progress-bar-test"))
                    if str(a.flow_run_id) == flow_run.id]
        return float(shown.data)

    @flow
    def long_run() -> list[float]:
        report = progress_bar("progress-bar-test", "a long run", every=5.0,
                              monotonic=lambda: now[0])
        seen = []
        for done, at in ((1, 0.0), (2, 4.0), (3, 5.0), (4, 5.5)):
            now[0] = at
            report(ProgressReport(done=done, total=4, records=100 * done, elapsed=at + 1))
            seen.append(bar())
        return seen

    assert long_run() == [25.0, 25.0, 75.0, 100.0]


@pytest.mark.usefixtures("prefect_harness")
def test_a_first_load_waiting_for_a_plan_is_a_waiting_run_not_a_failed_one(
        served_world: World, db: Database) -> None:
    """A scheduled sync of a company whose first load needs a person's plan ends the same way
    every cycle until someone confirms one: the data team sees it waiting, named and told
    what to do, not a red failure to retry."""
    from tests.sync.test_plan import populate

    populate(served_world)
    served_world.session("Acme")
    state = asyncio.run(qb_to_zoho(return_state=True))
    assert state.is_completed() and state.name == "Waiting"
    assert state.message is not None and state.message.startswith("Acme: waiting: ")
    assert "sync --company Acme --plan" in state.message
    assert state.result()["Acme"]["status"] == "waiting"
    (run,) = list_runs(db, limit=1)
    assert run.status == "waiting" and run.error and "FirstLoadNeedsPlan" in run.error
    flow_run_id = str(state.state_details.flow_run_id)
    (artifact,) = [a for a in asyncio.run(_artifacts("qb-to-zoho-acme"))
                   if str(a.flow_run_id) == flow_run_id]
    assert "qb_to_zoho · Acme · waiting" in artifact.data
    assert "**Waiting for a person:** FirstLoadNeedsPlan" in artifact.data
    assert served_world.unprocessed()
    # A backfill that is that first load waits the same way.
    filled = asyncio.run(backfill("Acme", read_quickbooks=False, return_state=True))
    assert filled.is_completed() and filled.name == "Waiting"
    assert filled.message is not None and "FirstLoadNeedsPlan" in filled.message
    assert filled.result()["status"] == "waiting"


@pytest.mark.usefixtures("prefect_harness")
def test_backfill_flow_queues_reads_and_resyncs_stored_responses(served_world: World) -> None:
    served_world.add_books("Acme")
    served_world.session("Acme")
    served_world.sync("Acme")
    result = asyncio.run(backfill("Acme"))
    assert result["reads_queued"] == 6 and result["responses_reopened"] > 0
    assert result["status"] == "completed" and result["updated"] > 0
    assert result["reads_waiting"] == 6 and result["responses_waiting"] == 0
    assert asyncio.run(_artifacts("backfill-progress-acme"))


@pytest.mark.usefixtures("prefect_harness")
def test_the_plan_parameter_publishes_a_table_and_writes_nothing(served_world: World) -> None:
    from tests.sync.conftest import zoho_writes

    served_world.add_books("Acme")
    served_world.session("Acme")
    writes = zoho_writes(served_world.sim)
    state = asyncio.run(qb_to_zoho(company="Acme", plan=True, return_state=True))
    result = state.result()
    assert result["Acme"]["plan_id"] and result["Acme"]["create"] > 0
    assert zoho_writes(served_world.sim) == writes and served_world.unprocessed()
    flow_run_id = str(state.state_details.flow_run_id)
    (table,) = [a for a in asyncio.run(_artifacts("sync-plan-acme"))
                if str(a.flow_run_id) == flow_run_id]
    assert table.type == "table" and "create" in str(table.data)
    assert state.message == "planned Acme"
    planned = asyncio.run(backfill("Acme", plan=True))
    assert planned["plan_id"] > result["Acme"]["plan_id"]

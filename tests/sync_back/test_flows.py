"""The zoho-to-qb and renew-channels flows, once each under Prefect, over real HTTP: Zoho
served on 127.0.0.1 calls the bridge (waitress) back, the flows read the MLC_ environment."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.client.orchestration import get_client
from sqlmodel import select

from connector.mapping.keys import parse_key
from connector.notify import watch
from connector.store import AuditRun, Database, WriteBack
from connector.store.types import utcnow
from connector.zoho.connection import load_connection, open_client
from connector.zoho.fields import QBD_KEY
from flows.renew_channels import renew_channels
from flows.zoho_to_qb import zoho_to_qb
from soap_bridge.app import create_app
from tests.bridge.conftest import LiveServer
from tests.sync.conftest import World, served_world  # noqa: F401 - fixture re-exported

ROOT = Path(__file__).resolve().parents[2]


async def _artifact(key: str) -> Any:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return found[0] if found else None


@pytest.fixture
def bridge(served_world: World, db: Database) -> Iterator[LiveServer]:  # noqa: F811
    server = LiveServer(create_app(served_world.settings, db=db))
    yield server
    server.stop()


def test_prefect_yaml_schedules_sync_back_and_channel_renewal() -> None:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    by_name = {d["name"]: d for d in spec["deployments"]}
    for name, interval in (("zoho-to-qb", 300), ("renew-channels", 3600)):
        path, _, attr = by_name[name]["entrypoint"].partition(":")
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), attr)
        assert flow.name == name and by_name[name]["schedules"] == [{"interval": interval}]


@pytest.mark.usefixtures("prefect_harness")
def test_a_zoho_edit_travels_through_both_flows_into_quickbooks(
        served_world: World, bridge: LiveServer, db: Database) -> None:  # noqa: F811
    books = served_world.add_books("Acme", customers=2, invoices=1)
    served_world.session("Acme")
    served_world.sync("Acme")
    settings, sim = served_world.settings, served_world.sim
    with open_client(settings, db, served_world.secrets) as client:
        channel = watch(db, client, notify_url=f"{bridge.base_url}/zoho/notify",
                        connection_id=load_connection(db).id, now=utcnow(),
                        lifetime=settings.channel_lifetime)

    renewed = asyncio.run(renew_channels(return_state=True))
    assert renewed.result()["status"] == "completed" and renewed.result()["unchanged"] == 1
    assert renewed.message == "default: completed (nothing to do)"
    assert "renew_channels" in asyncio.run(_artifact("renew-channels-default")).data

    account = next(a for a in sim.records("Accounts") if a.get(QBD_KEY))
    sim.edit_record("Accounts", account["id"], Phone="555-0142")
    assert sim.wait_for_notifications()
    assert sim.deliveries[-1].payload["channel_id"] == channel.channel_id
    assert sim.deliveries[-1].status == 200

    state = asyncio.run(zoho_to_qb(return_state=True))
    result = state.result()
    assert result["status"] == "completed" and result["read"] >= 1
    with db.session() as s:
        [write_back] = s.exec(select(WriteBack)).all()
        audit = s.get(AuditRun, result["audit_run"])
    assert audit is not None and audit.external_run_id == str(state.state_details.flow_run_id)
    assert asyncio.run(_artifact("zoho-to-qb-default")) is not None

    served_world.session("Acme")
    customer = books.qb.company.customer(parse_key(account[QBD_KEY]).qb_id)
    assert customer.fields["Phone"] == "555-0142" and write_back.qb_id == customer.list_id

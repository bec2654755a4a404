"""`pip install ml-connector` is the bridge, the CLI and the library; Prefect comes with the
`flows` extra. Without Prefect the bridge serves, the CLI works, and the commands that need
Prefect say so in one line with the pip command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from connector.cli import cli
from connector.cli.flows import FLOWS, MISSING
from tests.sync.conftest import World

ROOT = Path(__file__).resolve().parents[2]

# A Python without Prefect: every import of prefect fails as it does where it is not installed.
WITHOUT_PREFECT = """
import importlib.abc, json, sys

class NoPrefect(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "prefect" or name.startswith("prefect."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoPrefect())
from click.testing import CliRunner
from connector.cli import cli
from connector.config import Settings
from soap_bridge.app import create_app

client = create_app(Settings()).test_client()
envelope = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
            'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            '<serverVersion xmlns="http://developer.intuit.com/"/></soap:Body></soap:Envelope>')
soap = client.post("/qbwc", data=envelope, content_type="text/xml; charset=utf-8",
                   headers={"SOAPAction": '"http://developer.intuit.com/serverVersion"'})
runner = CliRunner()
results = {name: runner.invoke(cli, args) for name, args in
           (("help", ["--help"]), ("company", ["company", "list"]),
            ("flows", ["flows", "run", "qb-to-zoho"]))}
print("PROBE " + json.dumps({
    "healthz": client.get("/healthz").status_code,
    "soap": [soap.status_code, "ml-connector" in soap.get_data(as_text=True)],
    "cli": {name: [r.exit_code, r.output] for name, r in results.items()},
    "prefect_loaded": any(m.split(".")[0] == "prefect" for m in sys.modules),
}))
"""


def test_without_prefect_the_bridge_serves_and_flows_commands_say_what_to_install(
        tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLC_", "PREFECT_"))}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
               MLC_DATA_DIR=str(tmp_path), MLC_SECRET_KEY=Fernet.generate_key().decode())
    done = subprocess.run([sys.executable, "-c", WITHOUT_PREFECT], check=False, cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert len(lines) == 1, done.stdout + done.stderr
    probe = json.loads(lines[0].removeprefix("PROBE "))
    assert probe["healthz"] == 200 and probe["soap"] == [200, True], probe
    assert probe["cli"]["help"][0] == 0 and "flows" in probe["cli"]["help"][1]
    assert probe["cli"]["company"][0] == 0, probe["cli"]["company"]
    code, output = probe["cli"]["flows"]
    assert code == 1 and output == f"Error: {MISSING}\n", output
    assert "pip install 'ml-connector[flows]'" in output
    assert probe["prefect_loaded"] is False


def test_prefect_is_an_extra_that_dev_and_make_install_bring() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [d.split("=")[0].split(">")[0].split("[")[0].strip().lower()
             for d in project["dependencies"]]
    assert "prefect" not in names and "fastapi" not in names
    assert any(d.startswith("prefect==") for d in project["optional-dependencies"]["flows"])
    assert "ml-connector[flows]" in project["optional-dependencies"]["dev"]
    assert ".[dev]" in (ROOT / "Makefile").read_text()


def test_flows_run_knows_every_deployment_of_prefect_yaml() -> None:
    text = (ROOT / "prefect.yaml").read_text()
    for name, target in FLOWS.items():
        module, _, function = target.partition(":")
        assert f"  - name: {name}\n" in text
        assert f"entrypoint: {module.replace('.', '/')}.py:{function}" in text


def test_a_flow_parameter_must_be_key_equals_value() -> None:
    result = CliRunner().invoke(cli, ["flows", "run", "backfill", "-p", "Acme"])
    assert result.exit_code == 2 and "'Acme' is not KEY=VALUE" in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_flows_run_runs_the_flow_under_prefect(served_world: World) -> None:
    served_world.add_books("Acme")
    served_world.session("Acme")
    result = CliRunner().invoke(cli, ["flows", "run", "qb-to-zoho", "-p", "company=Acme"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "qb-to-zoho: completed: synced Acme"
    assert served_world.records("Accounts")


@pytest.mark.usefixtures("prefect_harness")
def test_flows_run_of_a_run_waiting_for_a_person_exits_non_zero(served_world: World) -> None:
    from tests.sync.test_plan import populate

    populate(served_world)
    served_world.session("Acme")
    result = CliRunner().invoke(cli, ["flows", "run", "qb-to-zoho", "-p", "company=Acme"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].startswith("qb-to-zoho: waiting: Acme: waiting: ")

"""`ml-connector --help` and the quick commands start without loading what they do not use:
Prefect, Flask, spyne (and, for `--help`, not even the store)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from cryptography.fernet import Fernet

from connector.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("prefect", "flask", "spyne", "waitress", "flows", "soap_bridge")

# Runs the command as `python -m connector.cli ARGS` does, then prints which of the modules asked
# about were imported by then.
PROBE = """
import json, runpy, sys
wanted = json.loads(sys.argv[1])
sys.argv = ["ml-connector", *sys.argv[2:]]
try:
    runpy.run_module("connector.cli", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(wanted))
print("PROBE " + json.dumps({"code": code, "loaded": loaded}))
"""


def _loaded(tmp_path: Path, *args: str, modules: tuple[str, ...]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLC_")}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
               MLC_DATA_DIR=str(tmp_path), MLC_SECRET_KEY=Fernet.generate_key().decode())
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(modules), *args], check=False,
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    probe = json.loads(line.removeprefix("PROBE "))
    assert probe["code"] in (0, None), done.stdout + done.stderr
    return list(probe["loaded"])


def test_help_loads_neither_the_store_nor_prefect_flask_or_spyne(tmp_path: Path) -> None:
    assert _loaded(tmp_path, "--help",
                   modules=(*HEAVY, "sqlalchemy", "sqlmodel", "httpx", "lxml")) == []


@pytest.mark.parametrize("args", [("info",), ("company", "list"), ("audit", "list"),
                                  ("zoho", "--help"), ("sandbox", "--help")])
def test_quick_commands_load_no_prefect_flask_or_spyne(tmp_path: Path,
                                                       args: tuple[str, ...]) -> None:
    assert _loaded(tmp_path, *args, modules=HEAVY) == []


def test_the_lazy_help_lines_are_the_commands_own() -> None:
    for name, lazy in COMMANDS.items():
        command = lazy.load()
        assert command.name == name, lazy.target
        assert lazy.short_help(1000) == command.get_short_help_str(1000), name


def test_help_lists_every_command_once_in_order() -> None:
    context = click.Context(cli)
    assert cli.list_commands(context) == sorted({*COMMANDS, "info"})
    shown = cli.get_help(context)
    listed = [line.split()[0] for line in shown.split("Commands:")[1].splitlines()
              if line.strip()]
    assert listed == cli.list_commands(context)

"""The dependency rules of the design, checked on the source: the library and the bridge never
import Prefect (the store is the only channel to the flows); the library never imports the
web frameworks, except the CLI that wires everything and the simulators' HTTP servers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.partition(".")[0])
    return found


def _modules(package: str, *, outside: tuple[str, ...] = ()) -> list[Path]:
    paths = sorted((ROOT / package).rglob("*.py"))
    return [p for p in paths if not any(p.is_relative_to(ROOT / o) for o in outside)]


@pytest.mark.parametrize("package", ["connector", "soap_bridge"])
def test_the_library_and_the_bridge_never_import_prefect(package: str) -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _modules(package, outside=("connector/cli",))
                 if "prefect" in _imports(p)]
    assert offenders == []


def test_the_library_never_imports_flask_or_spyne() -> None:
    offenders = [str(p.relative_to(ROOT))
                 for p in _modules("connector", outside=("connector/cli", "connector/sandbox"))
                 if _imports(p) & {"flask", "spyne", "werkzeug", "waitress"}]
    assert offenders == []


def test_the_bridge_reaches_the_flows_only_through_the_store() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _modules("soap_bridge")
                 if "flows" in _imports(p)]
    assert offenders == []

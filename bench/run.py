"""`make bench`: run every bench/bench_*.py module and write bench/results.json.

``python -m bench.run bench_sync bench_bridge`` runs only those modules; ``python -m bench.run
--table`` prints the last results as the README's table.

Each module exposes ``run() -> list[dict]`` whose entries are
``{name, value, unit, reference, ratio, target}``: ``reference`` is the bound or peer measured
in the same run, ``ratio`` is value/reference, ``target`` reads like ``"<= 1.05"``.
"""

from __future__ import annotations

import importlib
import json
import operator
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


def meets(entry: dict[str, Any]) -> bool:
    op, _, bound = str(entry["target"]).partition(" ")
    return _OPS[op](float(entry["ratio"]), float(bound))


def table(results: list[dict[str, Any]]) -> str:
    """The figures as the README's markdown table."""
    rows = [f"| `{e['name']}` | {e['value']:.4g} {e['unit']} | {e['reference']:.4g} | "
            f"{e['ratio']:.3g} | {e['target']} | {'yes' if e['met'] else '**no**'} |"
            for e in results]
    return "\n".join(["| figure | value | reference | ratio | target | met |",
                      "| --- | --- | --- | --- | --- | --- |", *rows])


def main(argv: list[str]) -> int:
    if argv == ["--table"]:
        print(table(json.loads((HERE / "results.json").read_text())))
        return 0
    only = set(argv)
    results: list[dict[str, Any]] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if only and path.stem not in only:
            continue
        module = importlib.import_module(f"bench.{path.stem}")
        print(f"== {path.stem}", flush=True)
        for entry in module.run():
            entry["met"] = meets(entry)
            results.append(entry)
            print(f"   {entry['name']}: {entry['value']:.4g} {entry['unit']} "
                  f"(reference {entry['reference']:.4g}, ratio {entry['ratio']:.3f}, "
                  f"target {entry['target']}) {'ok' if entry['met'] else 'MISSED'}", flush=True)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {HERE / 'results.json'} ({len(results)} results)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

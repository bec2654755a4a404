"""`make bench`: run every bench/bench_*.py module and write bench/results.json.

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


def main(argv: list[str]) -> int:
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

"""A plan as people read it: a terminal summary with its first rows, a CSV with all of them,
and table rows for a Prefect artifact."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from connector.private import create_private_file, make_private_dir
from connector.store import PlanRow, SyncPlan

__all__ = ["CSV_COLUMNS", "summary_lines", "write_csv", "table_rows", "plan_csv_path"]

CSV_COLUMNS = ("qb_type", "qb_id", "name", "edit_sequence", "action", "zoho_module", "zoho_id",
               "reason", "candidates", "decision")


def _row(r: PlanRow) -> dict[str, str]:
    return {"qb_type": r.qb_type, "qb_id": r.qb_id, "name": r.name or "",
            "edit_sequence": r.edit_sequence or "", "action": r.action,
            "zoho_module": r.zoho_module, "zoho_id": r.zoho_id or "", "reason": r.reason,
            "candidates": " ".join(str(c) for c in r.candidates), "decision": ""}


def summary_lines(plan: SyncPlan, rows: Sequence[PlanRow], *, first: int = 15) -> list[str]:
    totals = ", ".join(f"{n} {action}" for action, n in plan.totals.items()) or "nothing to do"
    lines = [f"plan #{plan.id} ({plan.kind}): {len(rows)} record(s): {totals}",
             (f"Zoho: {plan.zoho_reads} read call(s) ({plan.read_credits} credits) made to plan; "
              f"the writes would take about {plan.write_calls} call(s), "
              f"{plan.write_credits} credits"),
             f"the org holds {plan.org_accounts} Account(s) no QuickBooks record has claimed"]
    shown = [r for r in rows if r.action != "skip"][:first] or list(rows[:first])
    lines += [f"  {r.action:<6} {r.qb_type} {r.name or r.qb_id}"
              + (f" -> {r.zoho_module} {r.zoho_id}" if r.zoho_id else "") + f": {r.reason}"
              for r in shown]
    if len(rows) > len(shown):
        lines.append(f"  ... {len(rows) - len(shown)} more in the CSV")
    return lines


def write_csv(path: Path, rows: Sequence[PlanRow]) -> Path:
    """Every row; the empty ``decision`` column is for a person's review decisions."""
    make_private_dir(path.parent)
    create_private_file(path)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(_row(r) for r in rows)
    return path


def plan_csv_path(data_dir: Path, plan_id: int) -> Path:
    return data_dir / "plans" / f"plan-{plan_id}.csv"


def table_rows(rows: Sequence[PlanRow]) -> list[dict[str, str]]:
    return [{k: v for k, v in _row(r).items() if k != "decision"} for r in rows]

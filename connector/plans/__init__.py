"""Sync plans: what a sync would write, shown before it writes and confirmed by a person."""

from connector.plans.compute import ACTIONS, PlanEntry, PlanReport, plan_company
from connector.plans.saved import (
    BACKFILL,
    SYNC,
    PlanRefused,
    confirm_plan,
    confirmed_plan,
    load_plan,
    mark_applied,
    plan_rows,
    save_plan,
)
from connector.plans.show import plan_csv_path, summary_lines, table_rows, write_csv

__all__ = ["ACTIONS", "BACKFILL", "SYNC", "PlanEntry", "PlanReport", "plan_company",
           "PlanRefused", "confirm_plan", "confirmed_plan", "load_plan", "mark_applied",
           "plan_rows", "save_plan", "plan_csv_path", "summary_lines", "table_rows",
           "write_csv"]

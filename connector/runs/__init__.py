"""The run layer: every run (QuickBooks -> Zoho, Zoho -> QuickBooks, channel renewal,
backfill) starts here, holds its lease, is one audit unit, and always ends.

The CLI and the Prefect flows are one-liners over these functions; the bridge only records
sync requests (``connector.runs.requests``).
"""

from connector.runs.env import Connect, RunEnv, UseCase
from connector.runs.leases import Held, LeaseLost
from connector.runs.planning import PlanResult, plan_sync
from connector.runs.result import RunResult
from connector.runs.usecases import (
    BackfillResult,
    backfill,
    companies_waiting,
    renew_channels,
    serve_requests,
    sync_back,
    sync_quickbooks,
)

__all__ = [
    "BackfillResult", "Connect", "Held", "LeaseLost", "RunEnv", "RunResult", "UseCase",
    "backfill", "companies_waiting", "renew_channels", "serve_requests", "sync_back",
    "sync_quickbooks", "PlanResult", "plan_sync",
]

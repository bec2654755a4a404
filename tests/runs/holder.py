"""Runs in a separate process: a run that holds its company's lease until it is killed."""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

from connector.config import Settings
from connector.runs import RunEnv, UseCase
from connector.runs.exclusive import run_exclusive
from connector.store import Database


def main(url: str, marker: str, company_id: int, lease_seconds: float) -> None:
    db = Database(url)
    env = RunEnv(Settings(), db, lambda name: nullcontext(),
                 lease_ttl=timedelta(seconds=lease_seconds),
                 origin="a run about to be killed")

    def body(audit: object, check: object) -> None:
        Path(marker).write_text("running")
        time.sleep(120)  # killed long before this ends

    run_exclusive(env, UseCase.QB_TO_ZOHO, scope=f"company:{company_id}", target="Acme",
                  company_id=company_id, body=body)  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))

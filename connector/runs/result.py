"""What a run ends with, for the CLI to print and a flow to publish, raise or return."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from connector.audit import AuditSummary, RunStatus
from connector.errors import RetriableError
from connector.runs.env import UseCase

__all__ = ["RunResult", "WAITING_STATE", "artifact_slug"]

# The name of a flow run's Completed state when its work waits for a person: the UI shows it,
# and Prefect's events call such a run ``prefect.flow-run.Waiting``.
WAITING_STATE = "Waiting"


def artifact_slug(name: str) -> str:
    """Prefect artifact keys allow lower-case letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "all"


@dataclass(frozen=True)
class RunResult:
    use_case: UseCase
    target: str  # the company or the Zoho connection the run was for
    summary: AuditSummary
    # What stopped the run, if anything did; the summary carries its type and message.
    error: BaseException | None = None

    @property
    def status(self) -> str:
        return self.summary.status

    @property
    def failed(self) -> bool:
        return self.status in (RunStatus.FAILED, RunStatus.ABANDONED)

    @property
    def waiting(self) -> bool:
        """Nothing done: a person must decide first (the error says what to do)."""
        return self.status == RunStatus.WAITING

    @property
    def retriable(self) -> bool:
        """Worth another try later: network trouble, 429, 5xx, a locked company file."""
        return isinstance(self.error, RetriableError)

    @property
    def artifact_key(self) -> str:
        return f"{self.use_case.artifact_prefix}-{artifact_slug(self.target)}"

    @property
    def message(self) -> str:
        """One line for a Prefect state message or a log line."""
        counts = self.summary.counts
        if self.status in (RunStatus.SKIPPED, RunStatus.WAITING) or self.failed:
            return f"{self.target}: {self.status}: {self.summary.error}"
        done = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("read", "created", "updated",
                                                            "deleted", "failed")
                         if counts.get(k, 0))
        return f"{self.target}: {self.status} ({done or 'nothing to do'})"

    def markdown(self) -> str:
        return self.summary.markdown()

    def outcome(self) -> dict[str, Any]:
        return {"status": self.status, "audit_run": self.summary.run_id, "message": self.message,
                **self.summary.counts}

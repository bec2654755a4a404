"""What a run needs from its caller: settings, store, a way to reach Zoho, a clock, and who
is asking (the orchestrator's run id and try). The CLI and the Prefect flows build one each."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from connector.config import Settings
from connector.crypto import SecretBox
from connector.store import Database
from connector.store.types import utcnow
from connector.zoho.client import ZohoClient
from connector.zoho.connection import open_client

__all__ = ["UseCase", "RunEnv", "Connect"]

# A Zoho connection name -> an open client (closed when the ``with`` block ends).
Connect = Callable[[str], AbstractContextManager[ZohoClient]]


class UseCase(StrEnum):
    """The runs there are. The value names the audit flow; ``lane`` the lease it needs."""

    QB_TO_ZOHO = "qb_to_zoho"
    BACKFILL = "backfill"
    ZOHO_TO_QB = "zoho_to_qb"
    RENEW_CHANNELS = "renew_channels"
    # Works out what a sync would write, writing nothing: it needs no one else to wait.
    PLAN = "plan"
    # Takes back what one QuickBooks -> Zoho run wrote.
    UNDO = "undo"

    @property
    def direction(self) -> str:
        return ("qbd->zoho" if self in (UseCase.QB_TO_ZOHO, UseCase.BACKFILL, UseCase.PLAN,
                                        UseCase.UNDO)
                else "zoho->qbd")

    @property
    def lane(self) -> str:
        # A backfill and an undo write the same links as the regular sync: never at once.
        return (UseCase.QB_TO_ZOHO.value if self in (UseCase.BACKFILL, UseCase.UNDO)
                else self.value)

    @property
    def artifact_prefix(self) -> str:
        return self.value.replace("_", "-")


def _go_on() -> None:
    return None


@dataclass(frozen=True)
class RunEnv:
    settings: Settings
    db: Database
    connect: Connect
    clock: Callable[[], datetime] = utcnow
    # The orchestrator's run (a Prefect flow run id) and which try of its task this is.
    run_id: str | None = None
    attempt: int = 1
    # Who we are, as a "skipped" run names the holder: e.g. "flow run abc on host pid 12".
    origin: str = ""
    # A run that finds its lease held waits this long before it ends as skipped.
    lease_wait: float = 0.0
    lease_ttl: timedelta = field(default_factory=lambda: timedelta(minutes=2))
    # Asked between a run's steps; raises (``Interrupted``) to stop it there: a person pressed
    # Ctrl-C. Stopping anywhere else could leave a write half-done or a transaction open.
    interrupt: Callable[[], None] = _go_on

    @classmethod
    def from_settings(cls, settings: Settings, db: Database | None = None,
                      **client_options: Any) -> RunEnv:
        """The production wiring: the settings' database and stored Zoho connections."""
        if db is None:
            db = Database(settings.resolved_database_url)
            db.create_all()
        secrets = SecretBox.from_settings(settings)

        def connect(name: str) -> ZohoClient:
            return open_client(settings, db, secrets, name=name, **client_options)

        return cls(settings=settings, db=db, connect=connect,
                   lease_wait=settings.run_lease_wait_seconds,
                   lease_ttl=timedelta(seconds=settings.run_lease_seconds))

    def for_run(self, run_id: str | None, attempt: int = 1, origin: str = "") -> RunEnv:
        return replace(self, run_id=run_id, attempt=attempt, origin=origin or self.origin)

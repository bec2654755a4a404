"""What every flow opens from the environment (the ``MLC_`` settings), and the retry rule.

Flows stay thin: each task calls one library function; the decisions live in ``connector``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from connector.config import Settings
from connector.crypto import SecretBox
from connector.errors import RetriableError
from connector.store import Database

__all__ = ["App", "open_app", "retry_only_retriable", "artifact_key", "RETRY_DELAYS"]

# Seconds between a task's tries: long enough for a 429 window or a Zoho hiccup to pass.
RETRY_DELAYS: list[float] = [30, 120, 300]


@dataclass(frozen=True)
class App:
    settings: Settings
    db: Database
    secrets: SecretBox


def open_app() -> App:
    settings = Settings()
    db = Database(settings.resolved_database_url)
    db.create_all()
    return App(settings, db, SecretBox.from_settings(settings))


def retry_only_retriable(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's retry_condition_fn: retry network trouble, 429, 5xx and locks, nothing else
    (a wrong configuration or a revoked token does not heal by waiting)."""
    try:
        state.result()
    except RetriableError:
        return True
    except Exception:  # noqa: BLE001 - every other failure is final
        return False
    return False


def artifact_key(prefix: str, name: str) -> str:
    """Prefect artifact keys allow lower-case letters, digits and dashes only."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "company"
    return f"{prefix}-{slug}"

"""What a ``ping`` check reports: pass, warn, fail or skip, with a hint on how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Check", "PASS", "WARN", "FAIL", "SKIP"]

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    hint: str | None = None

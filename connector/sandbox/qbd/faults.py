"""Injectable faults: what a real QuickBooks does on a bad day, on demand and deterministically.

Each fault is armed for a number of handled request documents (or sessions) and then
disarms itself. Slowness goes through an injected ``sleep`` so tests never really wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from connector.sandbox.qbd.dirt import Soiling
from connector.sandbox.qbd.status import CompanyFileUnavailable, QbStatus

__all__ = ["Faults", "LOCK_REASONS", "CANNOT_OPEN_HRESULT", "CANNOT_OPEN_MESSAGE"]

LOCK_REASONS: dict[int, str] = {
    3170: "The record is being edited by another user and cannot be modified now.",
    3180: "The company file is locked by another user (a single-user task such as a backup "
          "is running).",
}
CANNOT_OPEN_HRESULT = "0x80040408"
CANNOT_OPEN_MESSAGE = "Could not start QuickBooks."


@dataclass(slots=True)
class _Armed:
    remaining: int
    value: float | int = 0


class Faults:
    """Faults of one simulator; every ``requests=N`` counts handled request documents."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep):
        self.sleep = sleep
        self._lock: _Armed | None = None
        self._partial: _Armed | None = None
        self._slow: _Armed | None = None
        self._oversize: _Armed | None = None
        self._cannot_open: _Armed | None = None
        self._open_error = (CANNOT_OPEN_HRESULT, CANNOT_OPEN_MESSAGE)
        self._soiling: list[tuple[_Armed, Soiling]] = []

    # ---- arming --------------------------------------------------------------------------
    def lock_file(self, *, requests: int = 1, code: int = 3180) -> None:
        """Every request in the next ``requests`` documents answers 3180 (or 3170)."""
        if code not in LOCK_REASONS:
            raise ValueError(f"lock code must be one of {sorted(LOCK_REASONS)}")
        self._lock = _Armed(requests, code)

    def partial_results(self, *, requests: int = 1) -> None:
        """Queries in the next documents drop their last record and answer status 500."""
        self._partial = _Armed(requests)

    def slow_responses(self, seconds: float, *, requests: int = 1) -> None:
        """The next documents take ``seconds`` longer (through the injected ``sleep``)."""
        self._slow = _Armed(requests, seconds)

    def oversize_responses(self, min_bytes: int, *, requests: int = 1) -> None:
        """The next responses are padded (with whitespace QuickBooks-readers must ignore) to
        at least ``min_bytes``, as a very large query result would be."""
        self._oversize = _Armed(requests, min_bytes)

    def cannot_open_company_file(self, *, sessions: int = 1, hresult: str = CANNOT_OPEN_HRESULT,
                                 message: str = CANNOT_OPEN_MESSAGE) -> None:
        """The next ``sessions`` calls of ``begin_session`` fail as QBWC's connection does."""
        self._cannot_open = _Armed(sessions)
        self._open_error = (hresult, message)

    def control_characters(self, *, fields: tuple[str, ...] = ("Notes", "Memo"),
                           chars: str = "\x0b", ids: set[str] | None = None,
                           requests: int = 1) -> None:
        """The next ``requests`` documents carry ``chars`` (raw, as QuickBooks writes what was
        pasted into a text field) inside every element named in ``fields``; of the records
        ``ids`` (ListID/TxnID) only, when given. May be armed several times at once."""
        rule = Soiling(chars, frozenset(fields), frozenset(ids) if ids is not None else None)
        self._soiling.append((_Armed(requests), rule))

    def clear(self) -> None:
        self._lock = self._partial = self._slow = self._oversize = self._cannot_open = None
        self._soiling = []

    # ---- used by the simulator -------------------------------------------------------------
    def on_open(self) -> None:
        if _take(self, "_cannot_open") is not None:
            raise CompanyFileUnavailable(*self._open_error)

    def on_document(self) -> tuple[int | None, bool, int | None]:
        """Consume one document's worth of faults: (lock code, partial?, pad to bytes)."""
        slow = _take(self, "_slow")
        if slow is not None:
            self.sleep(float(slow.value))
        lock = _take(self, "_lock")
        partial = _take(self, "_partial")
        oversize = _take(self, "_oversize")
        return (int(lock.value) if lock else None, partial is not None,
                int(oversize.value) if oversize else None)

    def take_soiling(self) -> list[Soiling]:
        """Consume one document's worth of control-character rules."""
        rules = [rule for _, rule in self._soiling]
        for armed, _ in self._soiling:
            armed.remaining -= 1
        self._soiling = [(armed, rule) for armed, rule in self._soiling if armed.remaining > 0]
        return rules

    @staticmethod
    def lock_status(code: int, request: str) -> QbStatus:
        target = (
            request.removesuffix("Rq").removesuffix("Query").removesuffix("Add").removesuffix("Mod")
        )
        return QbStatus(code, object=target or "record", reason=LOCK_REASONS[code])


def _take(faults: Faults, slot: str) -> _Armed | None:
    armed: _Armed | None = getattr(faults, slot)
    if armed is None:
        return None
    armed.remaining -= 1
    if armed.remaining <= 0:
        setattr(faults, slot, None)
    return armed

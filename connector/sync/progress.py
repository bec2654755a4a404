"""How far a long sync is: pages (stored responses) and records behind us, the rate, and an
estimate of the time left -- what the CLI's bar and the flows' progress artifact show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ProgressReport", "Progress", "duration_text"]


def duration_text(seconds: float) -> str:
    """``45 s``, ``3 min 05 s``, ``2 h 04 min``: short enough for a progress line."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass(frozen=True)
class ProgressReport:
    """After a chunk: ``done`` of ``total`` stored responses synced, ``records`` QuickBooks
    records read from them, ``elapsed`` seconds since the run started syncing."""

    done: int
    total: int
    records: int
    elapsed: float

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 100.0

    @property
    def records_per_second(self) -> float | None:
        return self.records / self.elapsed if self.elapsed > 0 else None

    @property
    def seconds_left(self) -> float | None:
        """Pages left at the pace so far (pages are about equal: QuickBooks fills each to
        MaxReturned); unknown before the first page is done."""
        if not self.done or self.elapsed <= 0:
            return None
        return self.elapsed / self.done * (self.total - self.done)

    def line(self) -> str:
        rate = self.records_per_second
        left = self.seconds_left
        parts = [f"{self.done} of {self.total} pages ({self.percent:.0f}%)",
                 f"{self.records:,} records"]
        if rate is not None:
            parts.append(f"{rate:,.0f} records/s")
        if left is not None and self.done < self.total:
            parts.append(f"about {duration_text(left)} left")
        return ", ".join(parts)


# Told after each chunk; may raise to stop the run between chunks.
Progress = Callable[[ProgressReport], None]

"""QuickBooks' clock and qbXML value formats: reading request text into Python values and back.

QuickBooks prints times in the Windows PC's local zone and stamps TimeModified from a local
clock whose DST handling is unreliable; ``QbClock`` models both (``utc_offset`` is the zone it
prints, ``local_time_offset`` how far its stamps sit from the true instant).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["QbClock", "format_value", "parse_value", "money", "ValueFormatError"]

_CENT = Decimal("0.01")
_DECIMAL_TYPES = frozenset({"AMTTYPE", "PRICETYPE", "QUANTYPE", "PERCENTTYPE", "FLOATTYPE"})


class ValueFormatError(ValueError):
    """A request value that the schema let through but QuickBooks cannot convert."""


def money(value: Decimal) -> Decimal:
    """Round like QuickBooks does for amounts: to the cent, half away from zero."""
    return value.quantize(_CENT, rounding="ROUND_HALF_UP")


class QbClock:
    """Stamps and prints times the way one QuickBooks installation does."""

    def __init__(self, clock: Callable[[], datetime] | None = None, *,
                 local_time_offset: timedelta = timedelta(0),
                 utc_offset: timedelta = timedelta(hours=-5),
                 drift_per_day: timedelta = timedelta(0)):
        self._clock = clock or (lambda: datetime.now(UTC))
        self._pinned: datetime | None = None
        self.local_time_offset = local_time_offset
        self.zone = timezone(utc_offset)
        # CHOICE: a PC clock drifts steadily from the true time (a few seconds a day is
        # common); measured from the first stamp this clock gives.
        self.drift_per_day = drift_per_day
        self._drift_from: datetime | None = None

    @contextmanager
    def at(self, moment: datetime) -> Iterator[None]:
        """Run the block as if the true time were ``moment`` (used to seed history)."""
        saved = self._pinned
        self._pinned = moment
        try:
            yield
        finally:
            self._pinned = saved

    def now(self) -> datetime:
        """The true instant (from the injected clock), whole seconds."""
        now = self._pinned or self._clock()
        if now.tzinfo is None:
            raise ValueError("the simulator clock must return timezone-aware datetimes")
        return now.replace(microsecond=0)

    def stamp(self) -> datetime:
        """The instant QuickBooks records for a change made now (shifted by its DST quirk
        and by how far the PC clock has drifted)."""
        now = self.now()
        if self._drift_from is None:
            # From the true present, not a pinned moment of seeded history.
            self._drift_from = self._clock().replace(microsecond=0)
        drift = self.drift_per_day * ((now - self._drift_from) / timedelta(days=1))
        return now + self.local_time_offset + timedelta(seconds=round(drift.total_seconds()))

    def today(self) -> date:
        return self.now().astimezone(self.zone).date()

    def format(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).isoformat(timespec="seconds")

    def parse(self, text: str, *, end_of_day: bool = False) -> datetime:
        """Read a DATETIMETYPE; a missing offset means the PC's local zone, a bare date its midnight
        (or the day's last second for the upper bound of a range, as QuickBooks does)."""
        text = text.strip()
        try:
            if "T" not in text:
                day = date.fromisoformat(_pad_date(text))
                return datetime.combine(day, time.max if end_of_day else time.min,
                                        self.zone).replace(microsecond=0)
            day_part, _, rest = text.partition("T")
            moment = datetime.fromisoformat(f"{_pad_date(day_part)}T{_pad_time(rest)}")
        except ValueError as exc:
            raise ValueFormatError(f'invalid date/time "{text}"') from exc
        return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)


def _pad_date(text: str) -> str:
    year, month, day = text.split("-")
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def _pad_time(text: str) -> str:
    """qbXML allows ``T9``, ``T9:5`` and single-digit parts; Python wants ``HH:MM:SS``."""
    sign_at = max(text.rfind("+"), text.rfind("-"))
    clock, offset = (text[:sign_at], text[sign_at:]) if sign_at > 0 else (text, "")
    parts = [int(p) for p in clock.split(":")] + [0, 0]
    if offset:
        hours, _, minutes = offset[1:].partition(":")
        offset = f"{offset[0]}{int(hours):02d}:{int(minutes or 0):02d}"
    return "{:02d}:{:02d}:{:02d}".format(*parts[:3]) + offset


def parse_value(qb_type: str | None, text: str, clock: QbClock) -> Any:
    """Convert request text of qbXML simple type ``qb_type`` into the value the company stores;
    an empty element stays "" (in a Mod it clears the field)."""
    if text == "":
        return text
    try:
        if qb_type in _DECIMAL_TYPES:
            return Decimal(text)
        if qb_type == "BOOLTYPE":
            return text.strip().lower() in ("true", "1")
        if qb_type == "DATETYPE":
            return date.fromisoformat(_pad_date(text.strip()))
        if qb_type == "INTTYPE":
            return int(text)
    except (InvalidOperation, ValueError) as exc:
        raise ValueFormatError(f'cannot convert "{text}" to {qb_type}') from exc
    if qb_type == "DATETIMETYPE":
        return clock.parse(text)
    return text


def format_value(qb_type: str | None, value: Any, clock: QbClock) -> str:
    """Print ``value`` the way QuickBooks prints fields of qbXML simple type ``qb_type``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return clock.format(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _format_decimal(qb_type, value)
    return str(value)


def _format_decimal(qb_type: str | None, value: Decimal) -> str:
    if qb_type == "AMTTYPE":
        return f"{money(value):f}"
    if qb_type in ("QUANTYPE", "FLOATTYPE"):
        return f"{value.normalize():f}"
    # Prices and percentages print with at least two decimals ("11.00", "7.25", "0.12345").
    exponent = value.normalize().as_tuple().exponent
    places = min(max(-exponent if isinstance(exponent, int) else 2, 2), 5)
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding='ROUND_HALF_UP'):f}"

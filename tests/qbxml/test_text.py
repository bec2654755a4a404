"""Text and number rules for values sent to QuickBooks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from connector.qbxml.text import (
    TextWarning, clean_text, format_amount, format_datetime, format_decimal,
)


def test_amounts_have_exactly_two_decimals() -> None:
    warnings: list[TextWarning] = []
    assert format_amount(Decimal("5"), field="Amount", warnings=warnings) == "5.00"
    assert format_amount(Decimal("-12.3"), field="Amount", warnings=warnings) == "-12.30"
    assert format_amount(0, field="Amount", warnings=warnings) == "0.00"
    assert warnings == []


def test_amount_rounding_half_up_is_recorded() -> None:
    warnings: list[TextWarning] = []
    assert format_amount(Decimal("10.005"), field="X/Amount", warnings=warnings) == "10.01"
    assert warnings == [TextWarning("X/Amount", "rounded", "10.005", "10.01")]


def test_negative_zero_amount_is_written_as_zero() -> None:
    assert format_amount(Decimal("-0.001"), field="Amount", warnings=[]) == "0.00"


@pytest.mark.parametrize("bad", [1.5, True, "1.50"])
def test_amounts_refuse_floats_bools_and_strings(bad: object) -> None:
    with pytest.raises(TypeError, match="Decimal"):
        format_amount(bad, field="Amount", warnings=[])  # type: ignore[arg-type]


def test_non_finite_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        format_amount(Decimal("NaN"), field="Amount", warnings=[])


def test_rates_keep_up_to_five_decimals() -> None:
    warnings: list[TextWarning] = []
    assert format_decimal(Decimal("10.005"), field="Rate", warnings=warnings) == "10.005"
    assert format_decimal(Decimal("1E+2"), field="Rate", warnings=warnings) == "100"
    assert format_decimal(Decimal("0.1234567"), field="Rate", warnings=warnings) == "0.12346"
    assert [w.kind for w in warnings] == ["rounded"]


def test_datetimes_carry_their_offset_and_whole_seconds() -> None:
    local = datetime(2026, 1, 5, 10, 11, 12, 999, tzinfo=timezone(timedelta(hours=-8)))
    assert format_datetime(local, field="FromModifiedDate") == "2026-01-05T10:11:12-08:00"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        format_datetime(datetime(2026, 1, 5), field="FromModifiedDate")


def test_text_is_nfc_normalised_so_latin1_letters_stay_letters() -> None:
    warnings: list[TextWarning] = []
    assert clean_text("Zoe\u0301", field="Name", limit=41, warnings=warnings) == "Zoé"
    assert warnings == []


def test_truncation_at_the_limit_is_recorded() -> None:
    warnings: list[TextWarning] = []
    assert clean_text("x" * 41, field="Name", limit=41, warnings=warnings) == "x" * 41
    assert warnings == []
    assert clean_text("y" * 42, field="Name", limit=41, warnings=warnings) == "y" * 41
    assert [(w.field, w.kind, w.sent) for w in warnings] == [("Name", "truncated", "y" * 41)]


def test_xml_illegal_control_characters_are_removed_with_a_warning() -> None:
    warnings: list[TextWarning] = []
    assert clean_text("A\x00B\x1fC\tD", field="Memo", limit=None, warnings=warnings) == "ABC\tD"
    assert [w.kind for w in warnings] == ["control_chars_removed"]


def test_characters_outside_latin1_are_flagged() -> None:
    warnings: list[TextWarning] = []
    assert clean_text("Łódź", field="City", limit=31, warnings=warnings) == "Łódź"
    assert [w.kind for w in warnings] == ["non_latin1"]

"""Text rules for values sent to QuickBooks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from connector.qbxml.text import TextWarning, clean_text, format_datetime


def test_datetimes_carry_their_offset_and_whole_seconds() -> None:
    local = datetime(2026, 1, 5, 10, 11, 12, 999, tzinfo=timezone(timedelta(hours=-8)))
    assert format_datetime(local, field="FromModifiedDate") == "2026-01-05T10:11:12-08:00"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        format_datetime(datetime(2026, 1, 5), field="FromModifiedDate")  # noqa: DTZ001


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

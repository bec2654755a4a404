"""QuickBooks status codes land in exactly one of the connector's kinds of outcome."""

from __future__ import annotations

import pytest

from connector.qbxml import STATUS_CODES, ResponseStatus, StatusKind, classify, read_statuses
from tests.qbxml.conftest import QBXML_FIXTURES


@pytest.fixture(scope="module")
def batch() -> dict[str, ResponseStatus]:
    statuses = read_statuses(QBXML_FIXTURES / "handmade/status_batch.xml")
    return {s.request_id or "": s for s in statuses}


def test_ok_no_match_and_warnings_are_usable(batch: dict[str, ResponseStatus]) -> None:
    assert classify(0) is StatusKind.OK
    assert batch["q-1"].kind is StatusKind.NO_MATCH
    assert batch["q-3"].kind is StatusKind.WARNING
    assert classify(530) is StatusKind.WARNING


def test_stale_edit_sequence_answers_3200_with_its_own_signal(
        batch: dict[str, ResponseStatus]) -> None:
    stale = batch["mod-1"]
    assert (stale.status_code, stale.kind) == (3200, StatusKind.STALE)
    assert "out-of-date" in stale.status_message


@pytest.mark.parametrize("code", [3170, 3175, 3176, 3180, 1000, 1010])
def test_locks_and_unavailability_are_retriable(code: int) -> None:
    assert classify(code) is StatusKind.RETRIABLE


def test_a_lost_iterator_has_its_own_kind(batch: dict[str, ResponseStatus]) -> None:
    assert batch["q-2"].kind is StatusKind.ITERATOR_LOST


@pytest.mark.parametrize("code", [3000, 3100, 3120, 3130, 3140, 3150, 3171, 3210])
def test_record_problems_concern_one_record(code: int) -> None:
    assert classify(code) is StatusKind.RECORD


@pytest.mark.parametrize("code", [3250, 3260, 3261, 1030])
def test_configuration_and_permission_problems_are_fatal(code: int) -> None:
    assert classify(code) is StatusKind.FATAL


def test_unlisted_codes_follow_intuit_ranges(batch: dict[str, ResponseStatus]) -> None:
    assert classify(42) is StatusKind.OK
    assert classify(777) is StatusKind.WARNING
    assert batch["q-4"].status_code not in STATUS_CODES
    assert batch["q-4"].kind is StatusKind.RECORD


def test_every_listed_code_is_classified_as_listed() -> None:
    for code, (kind, meaning) in STATUS_CODES.items():
        assert classify(code) is kind and meaning

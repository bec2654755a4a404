"""QuickBooks status codes land in exactly one of the connector's error kinds."""

from __future__ import annotations

import pytest

from connector.errors import FatalError, RecordError, RetriableError
from connector.qbxml import (
    STATUS_CODES, IteratorLostError, ResponseStatus, StaleEditSequenceError, StatusKind,
    classify, error_for_status, raise_for_status, read_statuses,
)
from tests.qbxml.conftest import QBXML_FIXTURES


def _status(code: int, request_id: str | None = "r-1") -> ResponseStatus:
    return ResponseStatus(rs_name="CustomerModRs", request_id=request_id, status_code=code,
                          status_severity="Error", status_message="as QuickBooks said",
                          iterator_remaining=None, iterator_id=None, ret_count=0)


@pytest.fixture(scope="module")
def batch() -> dict[str, ResponseStatus]:
    statuses = read_statuses(QBXML_FIXTURES / "handmade/status_batch.xml")
    return {s.request_id or "": s for s in statuses}


def test_ok_no_match_and_warnings_are_usable(batch: dict[str, ResponseStatus]) -> None:
    assert raise_for_status(_status(0)) is StatusKind.OK
    assert raise_for_status(batch["q-1"]) is StatusKind.NO_MATCH
    assert raise_for_status(batch["q-3"]) is StatusKind.WARNING
    assert classify(530) is StatusKind.WARNING


def test_stale_edit_sequence_answers_3200_with_its_own_signal(
        batch: dict[str, ResponseStatus]) -> None:
    with pytest.raises(StaleEditSequenceError) as caught:
        raise_for_status(batch["mod-1"])
    assert isinstance(caught.value, RecordError)
    assert caught.value.code == 3200 and caught.value.details is batch["mod-1"]
    assert "requestID=mod-1" in str(caught.value) and "out-of-date" in str(caught.value)


@pytest.mark.parametrize("code", [3170, 3175, 3176, 3180, 1000, 1010])
def test_locks_and_unavailability_are_retriable(code: int) -> None:
    assert isinstance(error_for_status(_status(code)), RetriableError)


def test_a_lost_iterator_is_retriable_by_starting_over(batch: dict[str, ResponseStatus]) -> None:
    error = error_for_status(batch["q-2"])
    assert isinstance(error, IteratorLostError) and isinstance(error, RetriableError)


@pytest.mark.parametrize("code", [3000, 3100, 3120, 3130, 3140, 3150, 3171, 3210])
def test_record_problems_are_record_errors(code: int) -> None:
    error = error_for_status(_status(code))
    assert type(error) is RecordError


@pytest.mark.parametrize("code", [3250, 3260, 3261, 1030])
def test_configuration_and_permission_problems_are_fatal(code: int) -> None:
    assert isinstance(error_for_status(_status(code)), FatalError)


def test_unlisted_codes_follow_intuit_ranges(batch: dict[str, ResponseStatus]) -> None:
    assert classify(42) is StatusKind.OK
    assert classify(777) is StatusKind.WARNING
    error = error_for_status(batch["q-4"])
    assert type(error) is RecordError and "unlisted status" in str(error)


def test_every_listed_code_is_classified_as_listed() -> None:
    for code, (kind, meaning) in STATUS_CODES.items():
        assert classify(code) is kind and meaning
        assert (error_for_status(_status(code)) is None) == (
            kind in (StatusKind.OK, StatusKind.NO_MATCH, StatusKind.WARNING))


def test_error_message_names_response_code_and_meaning() -> None:
    error = error_for_status(_status(3120, request_id=None))
    assert str(error) == ("[3120] CustomerModRs: as QuickBooks said "
                          "(qbXML 3120, object not found)")

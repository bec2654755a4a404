"""Injected faults behave like a QuickBooks having a bad day, then go away."""

from __future__ import annotations

import pytest

from connector.sandbox.qbd import (
    CompanyFileUnavailable,
    QuickBooksHResultError,
    QuickBooksSimulator,
)
from tests.sandbox_qbd.qbxml import ask, ask_one, document, read, status


@pytest.fixture
def filled(qb: QuickBooksSimulator) -> QuickBooksSimulator:
    for name in ("Alpha", "Bravo", "Charlie"):
        qb.company.add_customer(name)
    return qb


@pytest.mark.parametrize("code", [3180, 3170])
def test_locked_file_answers_the_lock_code_for_the_next_n_documents(filled, code):
    filled.faults.lock_file(requests=2, code=code)
    for _ in range(2):
        replies = ask(filled, '<CustomerQueryRq requestID="1"/>',
                      "<CustomerAddRq><CustomerAdd><Name>Delta</Name></CustomerAdd></CustomerAddRq>",
                      on_error="continueOnError")
        assert [(status(r), r.get("statusSeverity"), len(r)) for r in replies] == [
            (code, "Error", 0)
        ] * 2
    assert filled.company.find("Customer", "Delta") is None
    assert status(ask_one(filled, "<CustomerQueryRq/>")) == 0


def test_lock_message_reads_like_quickbooks(filled):
    filled.faults.lock_file(code=3180)
    reply = ask_one(
        filled, "<CustomerAddRq><CustomerAdd><Name>Delta</Name></CustomerAdd></CustomerAddRq>"
    )
    assert reply.get("statusMessage", "").startswith("There was an error when saving a Customer.")


def test_partial_fault_drops_the_last_record_and_answers_500(filled):
    filled.faults.partial_results()
    reply = ask_one(filled, "<CustomerQueryRq/>")
    assert (status(reply), reply.get("statusSeverity"), len(reply)) == (500, "Warn", 2)
    charlie = filled.company.customer("Charlie").list_id
    assert f'("{charlie}")' in reply.get("statusMessage", "")
    assert len(ask_one(filled, "<CustomerQueryRq/>")) == 3


def test_slow_responses_sleep_through_the_injected_sleep():
    slept: list[float] = []
    qb = QuickBooksSimulator(sleep=slept.append)
    qb.faults.slow_responses(45.0, requests=2)
    for _ in range(3):
        qb.handle(document("<HostQueryRq/>"))
    assert slept == [45.0, 45.0]


def test_oversize_fault_pads_the_response_to_the_asked_size_and_it_still_parses(filled):
    filled.faults.oversize_responses(2_000_000)
    raw = filled.handle(document("<CustomerQueryRq/>"))
    assert len(raw.encode("utf-8")) >= 2_000_000
    assert len(read(raw)[0]) == 3
    assert len(filled.handle(document("<CustomerQueryRq/>"))) < 100_000


def test_cannot_open_company_file_fails_begin_session_with_an_hresult(qb):
    qb.faults.cannot_open_company_file(sessions=1)
    with pytest.raises(CompanyFileUnavailable) as failed:
        qb.begin_session()
    assert isinstance(failed.value, QuickBooksHResultError)
    assert failed.value.hresult.startswith("0x8004")
    assert failed.value.message == "Could not start QuickBooks."
    qb.begin_session()
    assert qb.session_open


def test_clear_disarms_every_fault(filled):
    filled.faults.lock_file(requests=5)
    filled.faults.partial_results(requests=5)
    filled.faults.clear()
    assert status(ask_one(filled, "<CustomerQueryRq/>")) == 0


def test_lock_codes_other_than_3170_and_3180_are_refused(qb):
    with pytest.raises(ValueError):
        qb.faults.lock_file(code=3200)


def test_control_characters_come_out_raw_in_text_fields_only_while_armed(filled):
    alpha = filled.company.customer("Alpha").list_id
    filled.company.modify_customer(alpha, Notes="Call first")
    query = document("<CustomerQueryRq/>")
    assert "\x0b" not in filled.handle(query)
    filled.faults.control_characters(fields=("Notes", "Name"), chars="\x0b\x1b", ids={alpha})
    dirty = filled.handle(query)
    assert "<Notes>Call \x0b\x1bfirst</Notes>" in dirty and "<Name>Al\x0b\x1bpha</Name>" in dirty
    assert "<Name>Bravo</Name>" in dirty  # only the records asked for
    assert "\x0b" not in filled.handle(query)  # one document, then gone


def test_control_characters_refuse_what_xml_can_carry(filled):
    with pytest.raises(ValueError, match="control characters"):
        filled.faults.control_characters(chars="\t")

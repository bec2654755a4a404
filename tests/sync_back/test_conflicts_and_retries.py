"""Both sides changed a field; QuickBooks changed the record under our Mod (3200); failures."""

from __future__ import annotations

import pytest
from sqlmodel import select

from connector.audit import list_runs
from connector.errors import RetriableError
from connector.store import QueuedRequest, RawResponse, RequestKind, RequestState, WriteBackState

from .conftest import Loop


def _edit_phone_in_zoho(loop: Loop, phone: str) -> None:
    acme = loop.customer("Acme Rockets")
    loop.sim.edit_record("Accounts", loop.zoho_id("Accounts", acme.list_id), Phone=phone)


def test_a_field_changed_on_both_sides_goes_to_the_newer_zoho_edit(loop: Loop) -> None:
    loop.qb.company.modify_customer("Acme Rockets", Phone="555-0300")
    loop.session()  # QuickBooks' change is read, not yet synced to Zoho
    loop.clock.advance(minutes=10)
    _edit_phone_in_zoho(loop, "555-0400")
    summary = loop.sync_back()
    assert summary.counts["conflicts"] == 1
    [conflict] = [e for e in loop.events(summary) if e.action.startswith("conflict")]
    assert conflict.action == "conflict_zoho_won" and conflict.changed_fields == ["Phone"]
    assert loop.write_backs()[0].changes["want"] == {"phone": "555-0400"}
    synced = loop.link("Customer", loop.customer("Acme Rockets").list_id).edit_sequence
    loop.session()
    assert loop.customer("Acme Rockets").fields["Phone"] == "555-0400"
    # QuickBooks held a change Zoho has not seen: the link stays, so the sync still sends it.
    assert loop.link("Customer", loop.customer("Acme Rockets").list_id).edit_sequence == synced
    assert loop.sync().counts["updated"] >= 1


def test_a_zoho_outage_stops_the_run_and_leaves_the_notifications(loop: Loop) -> None:
    loop.sync_back()
    _edit_phone_in_zoho(loop, "555-0800")
    loop.sim.faults.fail_next(4, 503, path_contains="/Accounts")
    with pytest.raises(RetriableError):
        loop.sync_back()
    assert list_runs(loop.db, limit=1)[0].status == "failed" and loop.write_backs() == []
    assert loop.sync_back().counts["read"] == 1
    assert [w.changes["want"] for w in loop.write_backs()] == [{"phone": "555-0800"}]


def test_a_field_changed_on_both_sides_stays_with_the_newer_quickbooks_edit(loop: Loop) -> None:
    _edit_phone_in_zoho(loop, "555-0400")
    loop.clock.advance(minutes=10)
    loop.qb.company.modify_customer("Acme Rockets", Phone="555-0300")
    loop.session()
    summary = loop.sync_back()
    [conflict] = [e for e in loop.events(summary) if e.action.startswith("conflict")]
    assert conflict.action == "conflict_qbd_won" and summary.counts["conflicts"] == 1
    assert loop.write_backs() == []
    loop.sync()  # and QuickBooks' value goes to Zoho as usual
    acme = loop.customer("Acme Rockets")
    account = loop.sim.record("Accounts", loop.zoho_id("Accounts", acme.list_id))
    assert account["Phone"] == "555-0300"


def test_a_stale_edit_sequence_is_re_queried_and_the_change_re_applied(loop: Loop) -> None:
    _edit_phone_in_zoho(loop, "555-0500")
    loop.sync_back()
    loop.qb.company.modify_customer("Acme Rockets", Fax="555-0999")  # the bookkeeper, meanwhile
    first = loop.session()
    assert any("CustomerQueryRq" in r and "<ListID>" in r for r in first.requests)
    with loop.db.session() as s:
        statuses = [r.status_code for r in s.exec(select(RawResponse)).all()]
    assert 3200 in statuses
    assert loop.customer("Acme Rockets").fields.get("Phone") == "555-0100"
    retried = loop.sync_back()
    [row] = loop.write_backs()
    assert row.state == WriteBackState.QUEUED and row.attempts == 2
    assert [e.action for e in loop.events(retried)] == ["requeued"]
    loop.session()
    fields = loop.customer("Acme Rockets").fields
    assert (fields["Phone"], fields["Fax"]) == ("555-0500", "555-0999")
    assert loop.sync_back().counts["updated"] == 1


def test_re_applying_gives_up_after_the_configured_attempts(loop: Loop) -> None:
    loop.world.settings = loop.world.settings.model_copy(update={"sync_back_max_attempts": 1})
    _edit_phone_in_zoho(loop, "555-0500")
    loop.sync_back()
    loop.qb.company.modify_customer("Acme Rockets", Fax="555-0999")
    loop.session()
    summary = loop.sync_back()
    [row] = loop.write_backs()
    assert row.state == WriteBackState.FAILED and row.error_code == "3200"
    assert summary.counts["failed"] == 1 and "gave up after 1 attempts" in summary.markdown()


def test_a_customer_gone_from_quickbooks_fails_alone_and_the_rest_goes_on(loop: Loop) -> None:
    bolt, acme = loop.customer("Bolt Bikes"), loop.customer("Acme Rockets")
    loop.sim.edit_record("Accounts", loop.zoho_id("Accounts", bolt.list_id), Phone="555-0201")
    _edit_phone_in_zoho(loop, "555-0101")
    loop.sync_back()
    loop.qb.company.delete_customer("Bolt Bikes")
    loop.session()
    summary = loop.sync_back()
    assert (summary.counts["updated"], summary.counts["failed"]) == (1, 1)
    [failure] = summary.failures
    assert failure.qb_id == bolt.list_id and failure.error_code == "3120"
    assert loop.customer("Acme Rockets").fields["Phone"] == "555-0101"
    assert acme.list_id != bolt.list_id


def test_a_newer_zoho_edit_replaces_a_mod_still_waiting(loop: Loop) -> None:
    _edit_phone_in_zoho(loop, "555-0601")
    loop.sync_back()
    acme = loop.customer("Acme Rockets")
    loop.sim.edit_record("Accounts", loop.zoho_id("Accounts", acme.list_id), Fax="555-0602")
    loop.sync_back()
    states = [(w.state, w.changes["want"]) for w in loop.write_backs()]
    assert states == [(WriteBackState.SUPERSEDED, {"phone": "555-0601"}),
                      (WriteBackState.QUEUED, {"phone": "555-0601", "fax": "555-0602"})]
    with loop.db.session() as s:
        writes = s.exec(
            select(QueuedRequest.state).where(QueuedRequest.kind == RequestKind.WRITE)
        ).all()
    assert sorted(writes) == [RequestState.CANCELLED, RequestState.PENDING]
    loop.session()
    fields = loop.customer("Acme Rockets").fields
    assert (fields["Phone"], fields["Fax"]) == ("555-0601", "555-0602")

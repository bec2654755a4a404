"""The audit says what happened, not only how much: names and the values written."""

from __future__ import annotations

from click.testing import CliRunner

from connector.audit import run_events
from connector.cli import cli
from connector.cli.audit import _event_text
from connector.store import AuditEvent

from .conftest import Books, World


def test_audit_show_names_the_records_and_the_values_that_changed(world: World,
                                                                   acme: Books) -> None:
    world.sync("Acme")
    customer = next(c for c in acme.qb.company.listed("Customer") if c.parent_id is None)
    old = customer.fields["Phone"]
    world.clock.advance(minutes=1)
    acme.qb.company.modify_customer(customer.list_id, Phone="+1 555 0142")
    world.session("Acme")
    summary = world.sync("Acme")
    (event,) = [e for e in run_events(world.db, summary.run_id)
                if e.qb_id == customer.list_id and e.zoho_module == "Accounts"]
    assert event.qb_name == customer.name and event.changed_fields == ["Phone"]
    assert event.values == {"Phone": "+1 555 0142"}
    assert event.old_values == {"Phone": old}  # what the first sync wrote
    assert f"Phone: {old} → +1 555 0142" in summary.markdown()
    shown = CliRunner().invoke(cli, ["audit", "show", str(summary.run_id)], env={
        "MLC_DATABASE_URL": world.settings.resolved_database_url,
        "MLC_DATA_DIR": str(world.settings.data_dir)})
    assert shown.exit_code == 0, shown.output
    assert f"Customer {customer.name!r} ({customer.list_id})" in shown.output
    assert f"Phone: {old} → +1 555 0142" in shown.output


def test_a_created_record_shows_its_new_values_only(world: World, acme: Books) -> None:
    summary = world.sync("Acme")
    created = [e for e in run_events(world.db, summary.run_id) if e.action == "created"]
    assert created and all(e.values and not e.old_values for e in created)


def test_a_record_without_a_listid_yet_is_named_without_one() -> None:
    """A Zoho-born customer QuickBooks has not made yet has a name and no ListID."""
    born = AuditEvent(run_id=1, action="queued", qb_type="Customer", qb_name="Zoho-born Prospect",
                      zoho_module="Accounts", zoho_id="57001")
    assert _event_text(born).startswith("queued     Customer 'Zoho-born Prospect' -> Accounts")
    known = AuditEvent(run_id=1, action="updated", qb_type="Customer", qb_name="Acme",
                       qb_id="80000001-1")
    assert "Customer 'Acme' (80000001-1) -> " in _event_text(known)

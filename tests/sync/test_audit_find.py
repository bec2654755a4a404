"""`ml-connector audit find NAME`: one record's history across runs, newest first, with what
each run wrote and why a write failed."""

from __future__ import annotations

import re

from click.testing import CliRunner, Result

from connector.audit import run_events
from connector.cli import cli
from connector.sandbox.qbd.records import ListRecord

from .conftest import Books, World

_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d run (\d+)\s")


def _find(world: World, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["audit", "find", *args], env={
        "MLC_DATABASE_URL": world.settings.resolved_database_url,
        "MLC_DATA_DIR": str(world.settings.data_dir)})
    assert result.exit_code == 0, result.output
    return result


def _events(result: Result) -> list[tuple[int, str]]:
    """(run id, line) of every event line printed."""
    return [(int(m.group(1)), line) for line in result.output.splitlines()
            if (m := _LINE.match(line))]


def _top_customer(books: Books) -> ListRecord:
    return next(c for c in books.qb.company.listed("Customer") if c.parent_id is None)


def _account_id(world: World, run_id: int, list_id: str) -> str:
    (event,) = [e for e in run_events(world.db, run_id)
                if e.qb_id == list_id and e.zoho_module == "Accounts"]
    assert event.zoho_id
    return event.zoho_id


def test_find_shows_a_customers_history_newest_first_with_values_and_errors(
        world: World, acme: Books) -> None:
    customer = _top_customer(acme)
    created = world.sync("Acme")
    world.clock.advance(minutes=1)
    acme.qb.company.modify_customer(customer.list_id, Phone="+1 555 0142")
    world.session("Acme")
    updated = world.sync("Acme")
    acme.qb.company.modify_customer(customer.list_id, Email="broken@nowhere")
    world.session("Acme")
    refused = world.sync("Acme")

    result = _find(world, customer.name.upper())  # any case
    events = _events(result)
    runs = [run_id for run_id, _ in events]
    assert runs == sorted(runs, reverse=True) and set(runs) == {
        created.run_id, updated.run_id, refused.run_id}
    assert f"audit events for {customer.name.upper()!r}, newest first" in result.output
    assert all("qb_to_zoho" in line and "Acme" in line for _, line in events)
    newest = [line for run_id, line in events if run_id == refused.run_id]
    assert any("failed" in line and "[INVALID_DATA]" in line and "Email" in line
               for line in newest)
    assert any("Phone: " in line and " → +1 555 0142" in line for run_id, line in events
               if run_id == updated.run_id)
    assert any(line.split()[6] == "created" for run_id, line in events
               if run_id == created.run_id)


def test_find_by_quickbooks_id_or_zoho_id_gives_the_same_record(world: World,
                                                                acme: Books) -> None:
    customer = _top_customer(acme)
    summary = world.sync("Acme")
    account = _account_id(world, summary.run_id, customer.list_id)
    by_qb = _find(world, customer.list_id)
    by_zoho = _find(world, account)
    assert _events(by_qb) and _events(by_qb) == _events(by_zoho)
    assert f"Accounts {account}" in by_qb.output
    assert all(customer.list_id in line for _, line in _events(by_qb))


def test_ids_match_whole_and_name_wildcards_are_plain_text(world: World, acme: Books) -> None:
    world.sync("Acme")
    customer = _top_customer(acme)
    for term in (customer.list_id[:-3], "%", "_"):
        result = _find(world, term)
        assert _events(result) == [] and "no audit events" in result.output


def test_a_deletion_carries_no_name_yet_belongs_to_the_history(world: World,
                                                               acme: Books) -> None:
    added = acme.qb.company.add_customer("Zephyr Trading Co", Phone="555-0190")
    world.session("Acme")
    world.sync("Acme")
    acme.qb.company.delete_customer(added.list_id)
    world.session("Acme")
    gone = world.sync("Acme")
    assert gone.counts["deleted"] >= 1
    events = _events(_find(world, "zephyr"))
    assert events[0][0] == gone.run_id and "deleted" in events[0][1]
    assert any("'Zephyr Trading Co'" in line for _, line in events)


def test_quickbooks_ids_repeat_across_companies_and_stay_apart(world: World) -> None:
    acme, beta = world.add_books("Acme"), world.add_books("Beta")
    mine, theirs = _top_customer(acme), _top_customer(beta)
    beta.qb.company.modify_customer(theirs.list_id, name="Brightwater Supplies")
    for books in (acme, beta):
        world.session(books.name)
        world.sync(books.name)
    assert mine.list_id == theirs.list_id  # ListIDs repeat across company files

    by_id = _events(_find(world, mine.list_id))
    assert {"Acme", "Beta"} <= {line.split()[5] for _, line in by_id}
    only_beta = _events(_find(world, mine.list_id, "--company", "Beta"))
    assert only_beta and all(line.split()[5] == "Beta" for _, line in only_beta)
    by_name = _events(_find(world, mine.name))
    assert by_name and all(line.split()[5] == "Acme" for _, line in by_name)


def test_limit_keeps_the_newest_and_says_so(world: World, acme: Books) -> None:
    customer = _top_customer(acme)
    world.sync("Acme")
    for n in range(3):
        world.clock.advance(minutes=1)
        acme.qb.company.modify_customer(customer.list_id, Phone=f"+1 555 014{n}")
        world.session("Acme")
        last = world.sync("Acme")
    result = _find(world, customer.list_id, "--limit", "2")
    events = _events(result)
    assert len(events) == 2 and {run for run, _ in events} == {last.run_id}
    assert "--limit for more" in result.output

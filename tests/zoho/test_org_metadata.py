"""The org's fields metadata as the mapping reads it (picklist attributes, mandatory fields,
lengths), cached per connection and read again when stale."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database
from connector.zoho import ZohoClient
from connector.zoho.connection import load_connection
from connector.zoho.metadata import OrgMeta
from connector.zoho.org_state import mark_stale, org_meta

from .conftest import FakeClock

DAY = timedelta(days=1)


def test_stage_options_carry_their_meaning_order_and_both_values(client: ZohoClient) -> None:
    meta = client.org_meta()
    stage = meta.field("Deals", "Stage")
    assert stage is not None and stage.mandatory and stage.data_type == "picklist"
    first, fourth, won = stage.options[0], stage.options[3], stage.options[6]
    assert (first.display, first.forecast_type, first.sequence) == ("Qualification", "Open", 1)
    assert (fourth.display, fourth.actual) == ("Identify Decision Makers", "Id. Decision Makers")
    assert (won.forecast_type, won.forecast_category, won.probability) == (
        "Closed Won", "Closed", 100)
    name = meta.field("Deals", "Deal_Name")
    assert name is not None and name.mandatory and name.length == 120


@pytest.mark.zoho_sim(edition="standard")
def test_a_module_the_org_lacks_is_not_in_the_metadata(client: ZohoClient) -> None:
    meta = client.org_meta()
    assert not meta.has_invoices and set(meta.modules) == {"Accounts", "Contacts", "Deals",
                                                           "Products"}


def test_the_metadata_survives_the_store(client: ZohoClient) -> None:
    meta = client.org_meta()
    again = OrgMeta.from_json(meta.to_json())
    assert again == meta


def test_the_metadata_is_cached_per_connection_and_read_again_when_stale(
        client: ZohoClient, sim: ZohoSimulator, db: Database, clock: FakeClock,
        connect: Callable[..., str]) -> None:
    connection_id = load_connection(db).id
    assert connection_id is not None

    def reads() -> int:
        org_meta(db, client, connection_id, now=clock(), max_age=DAY)
        return sim.call_count("GET", "/settings/fields")

    first = reads()
    assert first == 5 and reads() == first  # one read per module, then the stored copy
    mark_stale(db, connection_id, "Zoho refused a Deals.Stage value")
    assert reads() == 2 * first
    clock.advance(hours=23)
    assert reads() == 2 * first
    clock.advance(hours=2)
    assert reads() == 3 * first

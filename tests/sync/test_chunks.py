"""Stored responses are synced a chunk at a time, and a chunk is bounded in records too: a
customer page holds five times an invoice page's records, so responses alone do not keep
memory flat as a company grows."""

from __future__ import annotations

from connector.store import RawResponse
from connector.sync.batch import read_chunks
from tests.sync.conftest import Books, World


def test_a_chunk_stops_once_it_holds_enough_records(world: World, acme: Books) -> None:
    pending = [r.id for r in world.unprocessed()]
    with world.db.session() as s:
        acme_id = s.get(RawResponse, pending[0]).company_id  # type: ignore[union-attr]
    per_response = {c.responses[0]: c.batch.read
                    for c in read_chunks(world.db, acme_id, size=1)}
    chunks = list(read_chunks(world.db, acme_id, size=20, max_records=6))
    assert len(chunks) > 1
    # Every response read once, in order; a chunk ends with the response that reached the cap
    # (or with the last one).
    assert [r for c in chunks for r in c.responses] == pending
    for chunk in chunks[:-1]:
        counts = [per_response[r] for r in chunk.responses]
        assert sum(counts) >= 6 and sum(counts[:-1]) < 6, counts


def test_small_chunks_sync_the_whole_company(world: World, acme: Books) -> None:
    world.settings = world.settings.model_copy(update={"sync_chunk_records": 3})
    summary = world.sync("Acme")
    assert summary.status == "completed" and summary.counts["failed"] == 0
    assert not world.unprocessed()
    customers = [c for c in acme.qb.company.listed("Customer") if c.parent_id is None]
    assert len([a for a in world.records("Accounts") if a.get("QBD_Key")]) == len(customers)
    assert len([d for d in world.records("Deals") if d.get("QBD_Key")]) == \
        len(acme.qb.company.invoices)

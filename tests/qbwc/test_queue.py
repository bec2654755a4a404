"""The queue hands each request out once, across processes, in (band, order) order."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from sqlmodel import col, select

from connector.config import Settings
from connector.qbwc import add_company
from connector.qbwc.queue import Band, claim_next, enqueue
from connector.qbwc.service import QbwcService
from connector.store import Database, QbwcSession, QueuedRequest, RequestKind
from connector.store.types import utcnow
from tests.qbwc.claim_worker import answer, claim_all


def _fill(db: Database, n: int) -> tuple[int, list[int]]:
    company = add_company(db, "Acme", "acme", "pw")
    with db.session() as s:
        sessions = [QbwcSession(ticket_hash=f"h{i}", company_id=company.id or 0) for i in range(2)]
        s.add_all(sessions)
        s.flush()
        for _ in range(n):
            enqueue(s, company.id or 0, kind=RequestKind.WRITE, entity="Customer", seq=Band.WRITE,
                    build=lambda rid: f"<QBXML>{rid}</QBXML>")
        return company.id or 0, [x.id or 0 for x in sessions]


def test_two_processes_never_claim_the_same_request(database_url: str, db: Database) -> None:
    company_id, sessions = _fill(db, 120)
    ctx = multiprocessing.get_context("spawn")  # what Windows does; no fork-only tricks
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        futures = [pool.submit(claim_all, database_url, company_id, sid) for sid in sessions]
        claimed = [f.result(timeout=120) for f in futures]
    everything = claimed[0] + claimed[1]
    assert len(everything) == 120 and len(set(everything)) == 120


def test_one_session_has_one_request_out_at_a_time_even_when_asked_twice_at_once(
        database_url: str, db: Database) -> None:
    company_id, sessions = _fill(db, 20)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        futures = [pool.submit(claim_all, database_url, company_id, sessions[0], False)
                   for _ in range(2)]
        claimed = [f.result(timeout=120) for f in futures]
    assert len(claimed[0] + claimed[1]) == 1  # the rest waits for its answer
    with db.session() as s:
        answer(s, (claimed[0] + claimed[1])[0])
        follow = claim_next(s, company_id, sessions[0], utcnow())
    assert follow is not None


def test_checks_come_before_writes_before_reads(db: Database) -> None:
    company = add_company(db, "Acme", "acme", "pw")
    with db.session() as s:
        session = QbwcSession(ticket_hash="h", company_id=company.id or 0)
        s.add(session)
        s.flush()
        for band, kind in ((Band.QUERY, RequestKind.QUERY), (Band.WRITE, RequestKind.WRITE),
                           (Band.CHECK, RequestKind.CHECK)):
            enqueue(s, company.id or 0, kind=kind, entity=kind, seq=band, session_id=session.id,
                    build=lambda rid: rid)
        sid = session.id or 0
    order = []
    with db.session() as s:
        for _ in range(4):
            order.append(claimed := claim_next(s, company.id or 0, sid, utcnow()))
            if claimed:
                answer(s, claimed.id)
    assert [r.kind if r else None for r in order] == [
        RequestKind.CHECK, RequestKind.WRITE, RequestKind.QUERY, None]


def test_a_ticket_works_in_whichever_bridge_process_receives_the_call(
        database_url: str, db: Database, settings: Settings) -> None:
    add_company(db, "Acme", "acme", "pw")
    first, second = Database(database_url), Database(database_url)
    try:
        ticket, status, *_ = QbwcService(first, settings).authenticate("acme", "pw")
        assert status == ""
        request = QbwcService(second, settings).send_request_xml(
            ticket, "", r"C:\x.qbw", "US", 13, 0
        )
        assert "HostQueryRq" in request
    finally:
        first.dispose()
        second.dispose()


def test_an_older_database_keeps_its_waiting_backfill_reads_standing(db: Database) -> None:
    import sqlalchemy as sa

    company = add_company(db, "Acme", "acme", "pw")
    with db.session() as s:
        session = QbwcSession(ticket_hash="h", company_id=company.id or 0)
        s.add(session)
        s.flush()
        for session_id in (None, session.id):
            enqueue(s, company.id or 0, kind=RequestKind.QUERY, entity="Customer",
                    seq=Band.QUERY, session_id=session_id, build=lambda rid: rid)
    with db.engine.begin() as conn:
        # A version-3 database: reads queued for no session were standing by that alone.
        conn.execute(sa.text('ALTER TABLE "mlc_queued_request" DROP COLUMN "standing"'))
        conn.execute(sa.text("UPDATE mlc_schema_version SET version = 3"))
    db.create_all()
    with db.session() as s:
        rows = s.exec(select(QueuedRequest).order_by(col(QueuedRequest.id))).all()
        assert [(r.session_id is None, r.standing) for r in rows] == [(True, True), (False, False)]

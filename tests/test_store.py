from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert, text
from sqlmodel import select

from connector.store import (
    SCHEMA_VERSION,
    Company,
    Database,
    SchemaTooNewError,
    SchemaVersion,
    SyncBackPolicy,
)


def _company(name: str = "Acme") -> Company:
    return Company(
        name=name, qbwc_user=name.lower(), password_hash="x", owner_id="{o}", file_id="{f}"
    )


def test_create_all_records_schema_version(db: Database) -> None:
    assert db.schema_version() == SCHEMA_VERSION


def test_refuses_a_schema_newer_than_the_code(db: Database) -> None:
    with db.session() as s:
        s.get(SchemaVersion, 1).version = SCHEMA_VERSION + 1  # type: ignore[union-attr]
    with pytest.raises(SchemaTooNewError, match="upgrade ml-connector"):
        db.create_all()


def test_datetimes_round_trip_as_aware_utc(db: Database) -> None:
    moment = datetime(2026, 3, 8, 2, 30, tzinfo=UTC)
    with db.session() as s:
        c = _company()
        c.last_poll_at = moment
        s.add(c)
    with db.session() as s:
        got = s.exec(select(Company)).one()
    assert got.last_poll_at == moment and got.last_poll_at.tzinfo is not None


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.session() as s:
        c = _company()
        c.last_poll_at = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
        s.add(c)


def test_an_older_database_gains_the_new_columns_and_keeps_its_rows(db: Database) -> None:
    import sqlalchemy as sa

    with db.session() as s:
        s.add(_company())
    with db.engine.begin() as conn:
        # What a version-1 database looked like: these columns came later.
        conn.execute(sa.text('ALTER TABLE "mlc_record_link" DROP COLUMN "field_hashes"'))
        conn.execute(sa.text('ALTER TABLE "mlc_qbwc_session" DROP COLUMN "percent"'))
        conn.execute(sa.text("UPDATE mlc_schema_version SET version = 1"))
    db.create_all()
    assert db.schema_version() == SCHEMA_VERSION
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("mlc_qbwc_session")}
    assert "percent" in columns
    with db.session() as s:
        assert s.exec(select(Company)).one().name == "Acme"


def test_a_version_3_database_gains_notification_dedupe_and_its_unique_index(
        db: Database) -> None:
    import sqlalchemy as sa

    with db.engine.begin() as conn:
        conn.execute(sa.text('DROP INDEX "ix_mlc_zoho_notification_dedupe_key"'))
        conn.execute(sa.text('ALTER TABLE "mlc_zoho_notification" DROP COLUMN "dedupe_key"'))
        conn.execute(sa.text('ALTER TABLE "mlc_zoho_channel" DROP COLUMN "opening"'))
        conn.execute(sa.text("UPDATE mlc_schema_version SET version = 3"))
    db.create_all()
    inspector = sa.inspect(db.engine)
    assert "opening" in {c["name"] for c in inspector.get_columns("mlc_zoho_channel")}
    [index] = [i for i in inspector.get_indexes("mlc_zoho_notification")
               if i["column_names"] == ["dedupe_key"]]
    assert index["unique"]


def test_a_version_13_lost_deal_bool_becomes_the_void_choice(db: Database) -> None:
    import sqlalchemy as sa

    with db.session() as s:
        s.add(_company())
        s.add(_company("Other"))
    with db.engine.begin() as conn:
        conn.execute(sa.text('ALTER TABLE "mlc_sync_back_policy" DROP COLUMN "closed_deals"'))
        conn.execute(sa.text('ALTER TABLE "mlc_sync_back_policy" DROP COLUMN "invoice_lines"'))
        conn.execute(sa.text('ALTER TABLE "mlc_sync_back_policy" ADD COLUMN '
                             '"void_closed_invoices" BOOLEAN NOT NULL DEFAULT FALSE'))
        conn.execute(sa.text("INSERT INTO mlc_sync_back_policy (company_id, zoho_born, "
                             "void_closed_invoices, updated_at) SELECT id, 'review', "
                             "name = 'Acme', CURRENT_TIMESTAMP FROM mlc_company"))
        conn.execute(sa.text("UPDATE mlc_schema_version SET version = 13"))
    db.create_all()
    with db.session() as s:
        chosen = {c.name: s.get(SyncBackPolicy, c.id).closed_deals  # type: ignore[union-attr]
                  for c in s.exec(select(Company)).all()}
    assert chosen == {"Acme": "void", "Other": "review"}
    with db.session() as s:  # and the choice schema 17 added is the default
        assert {p.invoice_lines for p in s.exec(select(SyncBackPolicy)).all()} == {"quickbooks"}
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("mlc_sync_back_policy")}
    assert "void_closed_invoices" not in columns



def _interrupted_insert_returning(db: Database, *, invalidate: bool = False
                                  ) -> KeyboardInterrupt:
    """Ctrl-C landing between an INSERT ... RETURNING and the fetch of its rows: the moment
    no SQLAlchemy handler sees (a stored record link, an ORM flush of new rows). With
    ``invalidate`` the connection is closed with its transaction open, as SQLAlchemy does
    when a commit or a reset on its way back to the pool fails."""
    table = Company.__table__  # type: ignore[attr-defined]

    def interrupt(*_args: object) -> None:
        raise KeyboardInterrupt

    event.listen(db.engine, "after_cursor_execute", interrupt)
    try:
        with pytest.raises(KeyboardInterrupt) as caught, db.session() as s:
            try:
                s.connection().execute(insert(table).returning(table.c.id),
                                       [_company(n).model_dump(exclude={"id"})
                                        for n in ("Acme", "Bravo")])
            finally:
                if invalidate:
                    s.connection().invalidate()
    finally:
        event.remove(db.engine, "after_cursor_execute", interrupt)
    return caught.value  # kept, as a traceback on its way up keeps the cursor


def test_an_interrupted_write_leaves_its_pooled_connection_able_to_commit(
        sqlite_db: Database) -> None:
    interrupt = _interrupted_insert_returning(sqlite_db)
    with sqlite_db.session() as s:  # the same connection, from the pool
        s.add(_company("Charlie"))
    with sqlite_db.session() as s:
        assert [c.name for c in s.exec(select(Company)).all()] == ["Charlie"]
    assert interrupt is not None


def test_an_interrupted_write_closed_mid_transaction_leaves_the_store_unlocked(
        sqlite_db: Database) -> None:
    interrupt = _interrupted_insert_returning(sqlite_db, invalidate=True)
    with sqlite_db.engine.begin() as other:
        other.execute(text("PRAGMA busy_timeout=200"))
        other.execute(insert(Company.__table__),  # type: ignore[attr-defined]
                      [_company("Charlie").model_dump(exclude={"id"})])
    assert interrupt is not None

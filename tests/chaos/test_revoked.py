"""(e) The refresh token is revoked in the middle of a run (the user disconnected the app in
Zoho): the run stops with a clear fatal error in the audit, every record written before the
stop is linked in the store (nothing half-written), and after reconnecting the next runs
converge."""

from __future__ import annotations

import pytest
from sqlmodel import select

from connector.audit import list_runs
from connector.errors import FatalError
from connector.store import RecordLink
from connector.zoho.fields import QBD_KEY
from soap_bridge.app import create_app
from tests.bridge.conftest import LiveServer
from tests.qbwc.driver import Clock
from tests.sync.conftest import World, connect_zoho

from .checker import RESULTS, Checker, Figures, chaos_seed


@pytest.mark.slow
def test_refresh_token_revoked_mid_run(served_world: World) -> None:
    world, seed = served_world, chaos_seed()
    figures = Figures("e: refresh token revoked", seed)
    books = world.add_books("Acme", customers=20, invoices=10, seed=seed % 1000)
    server = LiveServer(create_app(world.settings, db=world.db, clock=world.clock))
    try:
        check = Checker(world, books, server.qbwc_url)
        check.session()
        # The second write of the run finds the app disconnected.
        world.sim.faults.revoke_at(2, path_contains="/upsert")
        result = check.run()
        assert isinstance(result.error, FatalError), result.error
        run = list_runs(world.db, limit=1)[0]
        assert run.status == "failed"
        assert run.error and "Traceback" not in run.error
        assert any(word in run.error.lower() for word in ("token", "auth", "connect")), run.error
        # Nothing half-written: whatever reached Zoho is linked, so nothing is written twice.
        with world.db.session() as s:
            linked = {link.zoho_id for link in s.exec(select(RecordLink)).all()}
        written = [r for m in ("Accounts", "Contacts", "Products", "Deals")
                   for r in world.records(m) if r.get(QBD_KEY)]
        assert written, "the revocation came before any write"
        orphans = [r["id"] for r in written if str(r["id"]) not in linked]
        assert orphans == [], orphans
        figures.injected = 1
        figures.invisible_failures = 0 if run.status == "failed" else 1
        urls = world.sim._core.served_accounts_url  # the user connects the app again
        connect_zoho(world.db, world.secrets, world.sim, Clock(), accounts_url=urls)
        check.converge(figures)
        check.compare(figures)
    finally:
        server.stop()
    RESULTS.append(figures)
    assert figures.clean, figures.details[:20]

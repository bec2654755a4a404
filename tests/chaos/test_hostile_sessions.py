"""(c) The Web Connector drops connections mid-session and QuickBooks answers lock errors
(3170-3180), while (d) Zoho and QuickBooks edit the same customers at once (the Mods carry a
stale EditSequence: the 3200 path) and Zoho's notifications arrive twice and out of order;
(f) the notification channel lapses mid-run and the scheduled renewal catches up. After the
bounded convergence both edits of every customer are on both sides."""

from __future__ import annotations

import random

import httpx
import pytest

from connector import runs
from connector.mapping.keys import ACCOUNT, qbd_key
from connector.notify import watch
from connector.store.types import utcnow
from connector.zoho.connection import load_connection, open_client
from connector.zoho.fields import QBD_KEY
from soap_bridge.app import create_app
from tests.bridge.conftest import LiveServer
from tests.sync.conftest import World

from .checker import FULL, RESULTS, Checker, Figures, chaos_seed

LOCKS = (3170, 3180)  # the lock codes the QuickBooks simulator answers


def _hostile(world: World, *, customers: int, steps: int, per_step: int, name: str,
             same_customers: bool, lapse_at: int | None = None) -> Figures:
    seed = chaos_seed()
    rng = random.Random(seed + 3)
    figures = Figures(name, seed)
    world.clock.now = utcnow()  # the simulated Zoho keeps real time: channels must agree
    books = world.add_books("Acme", customers=customers, invoices=4, seed=seed % 1000)
    server = LiveServer(create_app(world.settings, db=world.db, clock=world.clock))
    want_qb: dict[str, tuple[str, str]] = {}  # list id -> (QuickBooks field, value) from Zoho
    want_zoho: dict[str, tuple[str, str]] = {}  # list id -> (Zoho field, value) from QuickBooks
    try:
        check = Checker(world, books, server.qbwc_url)
        check.session()
        check.run()
        with open_client(world.settings, world.db, world.secrets) as client:
            watch(world.db, client, notify_url=f"{server.base_url}/zoho/notify",
                  connection_id=load_connection(world.db).id, now=world.clock(),
                  lifetime=world.settings.channel_lifetime)
        names = sorted(c.name for c in books.qb.company.records.values()
                       if c.kind == "Customer" and c.parent_id is None)
        zoho_ids = {str(a[QBD_KEY]): str(a["id"]) for a in world.records("Accounts")
                    if a.get(QBD_KEY)}
        for step in range(steps):
            seen = len(world.sim.deliveries)
            # (d) both sides edit the same customers; (c) each side edits its own half.
            if same_customers:
                in_zoho = in_qb = rng.sample(names, per_step)
            else:
                half = len(names) // 2
                in_zoho = rng.sample(names[:half], per_step)
                in_qb = rng.sample(names[half:], per_step)
            if step == lapse_at:  # (f) nobody renewed the channel: Zoho edits go unheard
                world.sim.lapse_channels()
                figures.injected += 1
            for each in in_zoho:
                customer = books.qb.company.customer(each)
                fax = f"555-{rng.randrange(10000):04d}"
                zid = zoho_ids[qbd_key(check.scope, customer.list_id, ACCOUNT)]
                world.sim.edit_record("Accounts", zid, Fax=fax)
                want_qb[customer.list_id] = ("Fax", fax)
                check.edited.add(customer.list_id)
            for each in in_qb:
                phone = f"555-{rng.randrange(10000):04d}"
                customer = books.qb.company.modify_customer(each, Phone=phone)
                want_zoho[customer.list_id] = ("Phone", phone)
                check.edited.add(customer.list_id)
            assert world.sim.wait_for_notifications()
            fresh = world.sim.deliveries[seen:]
            replay = fresh + rng.sample(fresh, len(fresh))  # each twice, reordered
            rng.shuffle(replay)
            with httpx.Client(timeout=5) as http:
                for delivery in replay:
                    assert http.post(delivery.url, json=delivery.payload).status_code < 500
            runs.sync_back(world.run_env(), "default", books.name)
            kind = rng.choice(("normal", "drop", "lock", "lock-drop"))
            if "lock" in kind:
                books.qb.faults.lock_file(requests=rng.randint(1, 3), code=rng.choice(LOCKS))
            drop = rng.randint(1, 3) if "drop" in kind else None
            with check.connector() as wc:
                wc.run_session(drop_after=drop)
            check.run()
            figures.injected += kind != "normal"
            world.clock.advance(minutes=1 + step % 3)
        books.qb.faults.clear()
        # The scheduled renewal: re-opens a lapsed channel and catches up on what it missed.
        runs.renew_channels(world.run_env())
        check.converge(figures, max_rounds=8)
        check.compare(figures)
        for list_id, (qb_field, value) in want_qb.items():
            record = books.qb.company.records[list_id]
            if record.fields.get(qb_field) != value:
                figures.lost_edits += 1
                figures.details.append(f"{list_id}: Zoho's {qb_field} {value} not in QuickBooks"
                                       f" ({record.fields.get(qb_field)!r})")
        accounts = {str(a.get(QBD_KEY)): a for a in world.records("Accounts")}
        for list_id, (zoho_field, value) in want_zoho.items():
            account = accounts.get(qbd_key(check.scope, list_id, ACCOUNT), {})
            if account.get(zoho_field) != value:
                figures.lost_edits += 1
                figures.details.append(f"{list_id}: QuickBooks' {zoho_field} {value} not in "
                                       f"Zoho ({account.get(zoho_field)!r})")
    finally:
        server.stop()
    RESULTS.append(figures)
    return figures


@pytest.mark.slow
def test_short_drops_and_locks_with_edits_on_both_sides(served_world: World) -> None:
    figures = _hostile(served_world, customers=10, steps=3, per_step=2, same_customers=False,
                       name="c: drops, locks, edits (short)")
    assert figures.clean, figures.details[:20]


@pytest.mark.chaos
def test_drops_and_locks_with_edits_on_both_sides(served_world: World) -> None:
    figures = _hostile(served_world, customers=30 if FULL else 15, steps=10 if FULL else 5,
                       per_step=4, same_customers=False, name="c: drops, locks, edits")
    assert figures.clean, figures.details[:20]


@pytest.mark.chaos
def test_concurrent_edits_of_the_same_customers(served_world: World) -> None:
    figures = _hostile(served_world, customers=30 if FULL else 15, steps=10 if FULL else 5,
                       per_step=4, same_customers=True,
                       name="d: same customers + dup notifs")
    assert figures.clean, figures.details[:20]



@pytest.mark.chaos
def test_a_channel_lapsing_mid_run_loses_no_zoho_edit(served_world: World) -> None:
    figures = _hostile(served_world, customers=16, steps=4, per_step=3, same_customers=False,
                       lapse_at=1, name="f: channel lapses")
    assert figures.clean, figures.details[:20]

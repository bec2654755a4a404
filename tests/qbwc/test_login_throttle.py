"""Password guessing is slowed per user and address, atomically, and every refusal looks alike."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from connector.config import Settings
from connector.qbwc import add_company, set_active, set_password
from connector.qbwc.client_address import client_address
from connector.qbwc.passwords import dummy_hash
from connector.qbwc.service import QbwcService
from connector.qbwc.throttle import ThrottlePolicy, user_key
from connector.store import Company, Database, LoginThrottle
from tests.qbwc.driver import Clock
from tests.qbwc.hashing import CountingVerifier
from tests.qbwc.login_worker import guess_in_parallel

ATTACKER, WEB_CONNECTOR = "203.0.113.66", "192.0.2.10"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier() -> CountingVerifier:
    return CountingVerifier()


@pytest.fixture
def service(db: Database, settings: Settings, clock: Clock,
            verifier: CountingVerifier) -> QbwcService:
    add_company(db, "Acme", "acme", "pw")
    return QbwcService(db, settings.model_copy(update={"min_poll_seconds": 0}), clock=clock,
                       verify=verifier)


def _real_hash(db: Database) -> str:
    with db.session() as s:
        return s.exec(select(Company.password_hash)).one()


def _status(service: QbwcService, password: str, address: str, user: str = "acme") -> str:
    return service.authenticate(user, password, address)[1]


def test_forty_parallel_guesses_get_no_more_checks_than_the_free_tries(
        service: QbwcService, verifier: CountingVerifier, db: Database) -> None:
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(lambda i: _status(service, f"guess-{i}", ATTACKER), range(40)))
    assert set(answers) == {"nvu"}
    assert verifier.against(_real_hash(db)) == service.settings.login_max_failures
    # The held-back guesses still cost one (dummy) check each: no fast answer tells them apart.
    assert len(verifier.checked) == 40


def test_parallel_guesses_from_several_processes_are_counted_once_each(
        database_url: str, service: QbwcService, db: Database) -> None:
    ctx = multiprocessing.get_context("spawn")  # what Windows does; no fork-only tricks
    with ctx.Manager() as manager:
        start = manager.Barrier(4)
        with ProcessPoolExecutor(max_workers=4, mp_context=ctx) as pool:
            futures = [pool.submit(guess_in_parallel, database_url, "acme", ATTACKER, 10, start)
                       for _ in range(4)]
            checked = [f.result(timeout=180) for f in futures]
    assert sum(checked) == service.settings.login_max_failures


def test_unknown_user_wrong_password_and_held_back_tries_cost_the_same_work(
        service: QbwcService, verifier: CountingVerifier, db: Database) -> None:
    real = _real_hash(db)
    answers: dict[str, list[str]] = {}
    for what, user, password in (("unknown user", "nobody", "pw"),
                                 ("wrong password", "acme", "wrong")):
        verifier.reset()
        answers[what] = service.authenticate(user, password, WEB_CONNECTOR)
        answers[what].append(str(verifier.costs()))
    for i in range(service.settings.login_max_failures):
        service.authenticate("acme", f"guess-{i}", ATTACKER)
    verifier.reset()
    answers["held back"] = service.authenticate("acme", "pw", ATTACKER)
    answers["held back"].append(str(verifier.costs()))
    set_active(db, "Acme", False)
    verifier.reset()
    answers["disabled"] = service.authenticate("acme", "pw", WEB_CONNECTOR)
    answers["disabled"].append(str(verifier.costs()))

    one_real_check = str([tuple(real.split("$")[1:4])])
    assert all(answer == ["", "nvu", "", "", one_real_check] for answer in answers.values()), (
        answers)


def test_a_held_back_try_is_not_checked_against_the_real_hash(
        service: QbwcService, verifier: CountingVerifier, db: Database) -> None:
    for i in range(service.settings.login_max_failures):
        service.authenticate("acme", f"guess-{i}", ATTACKER)
    verifier.reset()
    assert _status(service, "pw", ATTACKER) == "nvu"
    assert verifier.checked == [dummy_hash()]


def test_an_attackers_guesses_do_not_slow_the_web_connector_at_another_address(
        service: QbwcService) -> None:
    for i in range(40):
        assert _status(service, f"guess-{i}", ATTACKER) == "nvu"
    assert _status(service, "pw", WEB_CONNECTOR) == ""


def test_on_a_shared_address_the_right_password_gets_in_once_the_wait_is_over(
        service: QbwcService, clock: Clock) -> None:
    for i in range(service.settings.login_max_failures):
        assert _status(service, f"guess-{i}", WEB_CONNECTOR) == "nvu"
    assert _status(service, "pw", WEB_CONNECTOR) == "nvu"  # held back: not even checked
    clock.advance(seconds=service.settings.login_first_delay_seconds)
    assert _status(service, "pw", WEB_CONNECTOR) == ""
    # Getting in cleared the address: a later typo is not slowed.
    assert _status(service, "typo", WEB_CONNECTOR) == "nvu"


def test_the_wait_doubles_per_failure_up_to_the_longest(
        service: QbwcService, clock: Clock, verifier: CountingVerifier, db: Database) -> None:
    settings, real = service.settings, _real_hash(db)
    for i in range(settings.login_max_failures):
        service.authenticate("acme", f"guess-{i}", ATTACKER)
    for wait in (30, 60, 120, 240, 480, 900, 900):
        checked = verifier.against(real)
        clock.advance(seconds=wait - 1)
        service.authenticate("acme", "too-early", ATTACKER)
        assert verifier.against(real) == checked, f"checked before its {wait} s wait"
        clock.advance(seconds=1)
        service.authenticate("acme", "on-time", ATTACKER)
        assert verifier.against(real) == checked + 1, f"not checked after its {wait} s wait"


def test_guesses_spread_over_many_addresses_slow_new_addresses_not_the_known_one(
        service: QbwcService, verifier: CountingVerifier, db: Database) -> None:
    assert _status(service, "pw", WEB_CONNECTOR) == ""  # the Web Connector's address is known
    real, cap = _real_hash(db), service.settings.login_spread_max_failures
    for i in range(cap + 10):
        service.authenticate("acme", f"guess-{i}", f"2001:db8::{i + 1:x}")
    assert verifier.against(real) == 1 + cap
    assert _status(service, "pw", "2001:db8::ffff") == "nvu"  # a new address waits too
    service.close_connection(service.authenticate("acme", "pw", WEB_CONNECTOR)[0])
    assert verifier.against(real) == 1 + cap + 1


def test_guesses_over_many_user_names_slow_the_address_not_its_known_users(
        service: QbwcService, db: Database) -> None:
    # Two companies' Web Connectors on one PC (one address); one of them has logged in before.
    add_company(db, "Beta", "beta", "pw-b")
    service.close_connection(service.authenticate("beta", "pw-b", WEB_CONNECTOR)[0])
    for i in range(service.settings.login_spread_max_failures + 10):
        assert _status(service, "guess", WEB_CONNECTOR, user=f"user-{i}") == "nvu"
    assert _status(service, "pw", WEB_CONNECTOR) == "nvu"  # acme never logged in from here
    assert _status(service, "pw", ATTACKER) == ""  # elsewhere acme is not slowed
    assert _status(service, "pw-b", WEB_CONNECTOR, user="beta") == ""


def test_a_new_password_forgets_the_failures(service: QbwcService, db: Database) -> None:
    for i in range(service.settings.login_max_failures):
        service.authenticate("acme", f"guess-{i}", WEB_CONNECTOR)
    set_password(db, "Acme", "new-pw")
    with db.session() as s:
        assert s.exec(select(LoginThrottle).where(LoginThrottle.user_key == user_key("acme"))
                      ).all() == []
    assert _status(service, "new-pw", WEB_CONNECTOR) == ""


def test_quiet_failures_are_forgotten_after_a_day(service: QbwcService, clock: Clock,
                                                  db: Database) -> None:
    service.authenticate("nobody", "x", ATTACKER)
    clock.advance(days=1, hours=2)
    service.authenticate("acme", "pw", WEB_CONNECTOR)
    with db.session() as s:
        left = {(row.address, row.trusted) for row in s.exec(select(LoginThrottle)).all()}
    assert (ATTACKER, False) not in left and (WEB_CONNECTOR, True) in left


def test_the_wait_schedule_follows_the_settings(settings: Settings) -> None:
    policy = ThrottlePolicy.from_settings(settings)
    assert policy.waits(5) == [(5, timedelta(seconds=30)), (6, timedelta(seconds=60)),
                               (7, timedelta(seconds=120)), (8, timedelta(seconds=240)),
                               (9, timedelta(seconds=480))]


@pytest.mark.parametrize(
    "environ, header, expected",
    [
        ({"REMOTE_ADDR": "192.0.2.10"}, None, "192.0.2.10"),
        # Without the setting a forwarding header is just text the caller chose.
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, None,
         "127.0.0.1"),
        # From a trusted proxy: the last entry is the one the proxy added.
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.9.9.9, 198.51.100.1"},
         "X-Forwarded-For", "198.51.100.1"),
        # From anyone else the header is ignored, setting or not.
        ({"REMOTE_ADDR": "192.0.2.10", "HTTP_X_FORWARDED_FOR": "198.51.100.1"},
         "X-Forwarded-For", "192.0.2.10"),
        ({"REMOTE_ADDR": "::1", "HTTP_X_REAL_IP": "2001:DB8::1"}, "X-Real-IP", "2001:db8::1"),
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "not an address"},
         "X-Forwarded-For", "127.0.0.1"),
        ({}, None, "?"),
    ],
)
def test_the_client_address_honours_a_proxy_header_only_from_a_trusted_proxy(
        settings: Settings, environ: dict[str, str], header: str | None, expected: str) -> None:
    configured = settings.model_copy(update={"trusted_proxy_header": header})
    assert client_address(environ, configured) == expected

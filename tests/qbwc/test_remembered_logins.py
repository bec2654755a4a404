"""Every poll logs in again: scrypt runs once per password, refusals always cost it in full."""

from __future__ import annotations

from connector.qbwc.passwords import RememberedLogins, dummy_hash, hash_password
from tests.qbwc.hashing import CountingVerifier


def _remembering(now: list[float]) -> tuple[RememberedLogins, CountingVerifier]:
    counting = CountingVerifier()
    return RememberedLogins(counting, ttl=600, clock=lambda: now[0]), counting


def test_a_repeated_right_password_is_checked_with_scrypt_once() -> None:
    stored = hash_password("s3cret")
    verify, counting = _remembering([0.0])
    assert verify("s3cret", stored) and verify("s3cret", stored)
    assert counting.against(stored) == 1


def test_every_refusal_runs_scrypt_again() -> None:
    stored = hash_password("s3cret")
    verify, counting = _remembering([0.0])
    assert verify("s3cret", stored)
    assert not verify("guess", stored) and not verify("guess", stored)
    assert not verify("s3cret", dummy_hash()) and not verify("s3cret", dummy_hash())
    assert counting.against(stored) == 3 and counting.against(dummy_hash()) == 2


def test_a_changed_password_is_not_matched_by_the_old_one() -> None:
    old, new = hash_password("s3cret"), hash_password("n3w")
    verify, _ = _remembering([0.0])
    assert verify("s3cret", old)
    assert not verify("s3cret", new) and verify("n3w", new)


def test_a_remembered_match_expires() -> None:
    stored = hash_password("s3cret")
    now = [0.0]
    verify, counting = _remembering(now)
    assert verify("s3cret", stored)
    now[0] = 601.0
    assert verify("s3cret", stored)
    assert counting.against(stored) == 2

"""QBWC passwords: scrypt hashes, compared in constant time."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ScryptCost", "STORED_COST", "Verifier", "hash_password", "verify_password",
           "dummy_hash", "burn_verification_time", "RememberedLogins"]

# The password check as the login sees it: (password, stored hash) -> right or wrong. A seam, so
# tests can count how much hashing each answer costs.
Verifier = Callable[[str, str], bool]

_DKLEN = 32


@dataclass(frozen=True)
class ScryptCost:
    """scrypt's work factors; a hash keeps the ones it was made with, and is checked with them."""

    n: int
    r: int
    p: int


# 16 MiB and ~50 ms per check: cheap for QBWC's one login per poll, costly for guessing. New hashes
# take ``COST``; the test suite lowers it (as Django's test settings swap in a fast hasher), and
# checks this stored cost on its own.
STORED_COST = ScryptCost(n=2**14, r=8, p=1)
COST = STORED_COST


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_DKLEN,
                          maxmem=64 * 1024 * 1024)


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("the QBWC password must not be empty")
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, COST.n, COST.r, COST.p)
    return f"scrypt${COST.n}${COST.r}${COST.p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# A hash of a password nobody knows, with the same cost as every real one: checked instead of a
# real hash whenever there is none to check (unknown user, disabled company, throttled try), so
# every refusal costs the same scrypt work and none can be told apart by its timing.
# Made on first use, not at import: an scrypt hash costs every command that imports this module
# ~50 ms (`ml-connector --help` included).
@functools.cache
def dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_verification_time(password: str, verify: Verifier = verify_password) -> None:
    """Spend the same work as a real check, so refusals cannot be told apart by timing."""
    verify(password, dummy_hash())


class RememberedLogins:
    """A ``Verifier`` that runs scrypt once per password and stored hash, then remembers the
    match for ``ttl`` seconds.

    Every QBWC poll logs in again with the same password, and scrypt (~50 ms of CPU) was most
    of what a poll cost the bridge. What is remembered is an HMAC of hash and password under a
    key that lives only in this process, so nothing here helps an offline guess. Only matches
    are remembered: every refusal (a wrong password, an unknown user, a throttled try, each
    checked against ``dummy_hash()``) still costs a full scrypt check, so refusals stay equal in
    cost. A changed password has a new hash (new salt), which no remembered match fits.
    """

    def __init__(self, verify: Verifier = verify_password, *, ttl: float = 600.0,
                 size: int = 4096, clock: Callable[[], float] = time.monotonic) -> None:
        self.verify = verify
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self._matches: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def _tag(self, password: str, encoded: str) -> bytes:
        message = encoded.encode("utf-8") + b"\0" + password.encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def __call__(self, password: str, encoded: str) -> bool:
        tag = self._tag(password, encoded)
        now = self.clock()
        with self._lock:
            expires = self._matches.get(tag)
            if expires is not None and expires > now:
                return True
        if not self.verify(password, encoded):
            return False
        with self._lock:
            self._matches[tag] = now + self.ttl
            self._matches.move_to_end(tag)
            while len(self._matches) > self.size:
                self._matches.popitem(last=False)
        return True

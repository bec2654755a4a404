"""QBWC passwords: scrypt hashes, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable

__all__ = ["Verifier", "hash_password", "verify_password", "DUMMY_HASH", "burn_verification_time"]

# The password check as the login sees it: (password, stored hash) -> right or wrong. A seam, so
# tests can count how much hashing each answer costs.
Verifier = Callable[[str, str], bool]

# 16 MiB and ~50 ms per check: cheap for QBWC's one login per poll, costly for guessing.
_N, _R, _P, _DKLEN = 2**14, 8, 1, 32


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_DKLEN,
                          maxmem=64 * 1024 * 1024)


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("the QBWC password must not be empty")
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, _N, _R, _P)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


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
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def burn_verification_time(password: str, verify: Verifier = verify_password) -> None:
    """Spend the same work as a real check, so refusals cannot be told apart by timing."""
    verify(password, DUMMY_HASH)

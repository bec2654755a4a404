"""Channel ids and tokens: random; a token is kept only as a SHA-256, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["new_channel_id", "new_token", "hash_token", "token_matches"]

# A token of 32 random bytes is 43 url-safe characters: inside Zoho's 50 (MAX_TOKEN_LENGTH,
# which the client enforces), far beyond guessing.
_TOKEN_BYTES = 32
# Zoho's channel_id is a long; sixteen digits keep clear of its range and of each other.
_ID_LOW, _ID_SPAN = 10**15, 9 * 10**15
# Compared against when the channel is unknown, so both refusals take the same time.
_NO_HASH = hashlib.sha256(b"no channel").hexdigest()


def new_channel_id() -> str:
    return str(_ID_LOW + secrets.randbelow(_ID_SPAN))


def new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str | None) -> bool:
    """Constant-time check; an unknown channel (``None``) still costs the same work."""
    expected = stored_hash or _NO_HASH
    return hmac.compare_digest(hash_token(token), expected) and stored_hash is not None

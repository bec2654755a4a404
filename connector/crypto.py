"""Secrets at rest (Zoho refresh tokens, client secrets) are encrypted with Fernet.

The key comes from ``MLC_SECRET_KEY`` or, failing that, from a key file generated once in the
data directory, so a stolen database alone reveals no token.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from connector.config import Settings
from connector.errors import ConfigError
from connector.private import PRIVATE_FILE, make_private_dir

__all__ = ["SecretBox", "load_or_create_key"]


def load_or_create_key(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    make_private_dir(path.parent)
    key = Fernet.generate_key()
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


class SecretBox:
    """Encrypts and decrypts short secrets; ``from_settings`` picks the configured key."""

    def __init__(self, key: bytes, *, key_file: Path | None = None):
        """``key_file``: where ``key`` was read, when not from MLC_SECRET_KEY."""
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            if key_file is not None:
                raise ConfigError(
                    f"the key file {key_file} holds no valid Fernet key (it is damaged); "
                    "restore it from a backup: the Zoho tokens stored here can only be read "
                    "with the key that encrypted them. Without one, move it aside and connect "
                    "Zoho again (`ml-connector zoho connect`)") from exc
            raise ConfigError(
                "MLC_SECRET_KEY is not a valid Fernet key (32 url-safe base64 bytes); "
                "generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode())
        return cls(load_or_create_key(settings.key_file), key_file=settings.key_file)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ConfigError(
                "a stored secret cannot be decrypted: MLC_SECRET_KEY (or the key file) changed "
                "since it was saved; restore the old key or store the credential again"
            ) from exc

"""Errors grouped once, for every outside system: retriable, fatal, or about one record.

Each boundary (the Zoho client, the qbXML status table) maps what it sees into exactly one of
these, so the rest of the code only ever handles three kinds.
"""

from __future__ import annotations

__all__ = ["ConnectorError", "FatalError", "RetriableError", "RecordError", "ConfigError",
           "WaitsForPerson"]


class ConnectorError(Exception):
    """Base class; ``code`` is the far side's own error code (qbXML status, Zoho code)."""

    def __init__(self, message: str, *, code: str | int | None = None, details: object = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}" if self.code is not None else self.message


class FatalError(ConnectorError):
    """Retrying cannot help: authentication, permissions, configuration, missing modules."""


class ConfigError(FatalError):
    """The user's settings or stored configuration are wrong; the message says how to fix it."""


class Interrupted(FatalError):
    """A person asked the run to stop (Ctrl-C): it stopped at a safe point, between steps,
    with what Zoho accepted recorded; running it again goes on."""


class WaitsForPerson(ConfigError):
    """The run must not write before a person decides (a first load into a populated org
    waits for a confirmed plan): nothing was written, nothing is broken, and every run ends
    the same way until the person acts. The run ends ``waiting``, not ``failed``."""


class RetriableError(ConnectorError):
    """Network trouble, 5xx, rate limits, locked company file: try again later."""

    def __init__(self, message: str, *, code: str | int | None = None, details: object = None,
                 retry_after: float | None = None):
        super().__init__(message, code=code, details=details)
        self.retry_after = retry_after


class RecordError(ConnectorError):
    """One record was refused (validation, duplicate name, not found); the batch goes on."""

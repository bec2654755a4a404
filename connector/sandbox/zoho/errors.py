"""Zoho's error envelopes: one exception for whole-request failures, one for a single record."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "RecordFailure", "error_body", "STATUS_BODIES"]


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


class ApiError(Exception):
    """The whole request fails: HTTP ``status`` with Zoho's ``{code, details, message, status}``."""

    def __init__(self, status: int, code: str, message: str,
                 details: dict[str, Any] | None = None, *, wrap: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.wrap = wrap  # some APIs (watch, fields) wrap the error in a list under this key

    def body(self) -> dict[str, Any]:
        inner = error_body(self.code, self.message, self.details)
        return {self.wrap: [inner]} if self.wrap else inner


class RecordFailure(Exception):
    """One record of a batch is refused; the rest of the batch goes on."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details or {}

    def item(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


# Bodies for injected faults, by status; Zoho fronts 5xx and throttling with these envelopes.
STATUS_BODIES: dict[int, tuple[str, str]] = {
    429: ("TOO_MANY_REQUESTS", "The number of requests exceeds the limit."),
    500: ("INTERNAL_ERROR", "Internal server error occurred."),
    502: ("INTERNAL_ERROR", "Bad gateway."),
    503: ("INTERNAL_ERROR", "Service temporarily unavailable."),
    504: ("INTERNAL_ERROR", "Gateway timeout."),
}

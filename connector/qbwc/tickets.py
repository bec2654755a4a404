"""QBWC session tickets: random bearer strings, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["new_ticket", "hash_ticket", "ticket_prefix", "UNKNOWN_TICKET"]

UNKNOWN_TICKET = (
    "ml-connector: unknown or expired ticket. The session timed out or was never opened; "
    "the Web Connector will start a new one at its next scheduled run."
)


def new_ticket() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def hash_ticket(ticket: str) -> str:
    return hashlib.sha256(ticket.encode("utf-8")).hexdigest()


def ticket_prefix(ticket: str) -> str:
    """What logs may show of a ticket: enough to correlate, useless to replay."""
    return (ticket[:6] + "…") if ticket else "<none>"

"""What a request handler works with, and what it reports back to the message-set loop."""

from __future__ import annotations

from dataclasses import dataclass

from connector.sandbox.qbd.company import Company
from connector.sandbox.qbd.iterators import Iterators, Page
from connector.sandbox.qbd.render import Writer

__all__ = ["Context", "Outcome"]


@dataclass(slots=True)
class Context:
    company: Company
    writer: Writer
    iterators: Iterators


@dataclass(slots=True)
class Outcome:
    """A handled request's status (0 ok, 1 no match, 500 partial) and iterator position."""

    code: int = 0
    value: str = ""
    iterator: Page | None = None

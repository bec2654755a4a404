"""Plays the Web Connector against ``QbwcService`` in-process (the HTTP path has its own tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connector.qbwc.service import QbwcService
from connector.sandbox.qbd import QuickBooksSimulator


class Clock:
    def __init__(self, start: datetime = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Run:
    status: str
    ticket: str
    requests: list[str] = field(default_factory=list)
    percents: list[int] = field(default_factory=list)
    last_error: str | None = None
    close: str | None = None


def run_session(service: QbwcService, qb: QuickBooksSimulator, user: str, password: str, *,
                company_file: str | None = None, major: int = 13, drop_after: int | None = None,
                answer: object = None) -> Run:
    """``answer(request) -> (response, hresult, message)`` overrides QuickBooks for a request."""
    ticket, status, *_ = service.authenticate(user, password)
    run = Run(status=status, ticket=ticket)
    if status in ("nvu", "busy", "none"):
        return run
    qb.begin_session()
    try:
        while drop_after is None or len(run.requests) < drop_after:
            request = service.send_request_xml(
                ticket, "", company_file or qb.company_file, "US", major, 0
            )
            if not request:
                run.last_error = service.get_last_error(ticket)
                break
            run.requests.append(request)
            if answer is not None:
                response, hresult, message = answer(request)  # type: ignore[operator]
            else:
                response, hresult, message = qb.handle(request), "", ""
            percent = service.receive_response_xml(ticket, response, hresult, message)
            run.percents.append(percent)
            if percent < 0:
                run.last_error = service.get_last_error(ticket)
                break
            if percent >= 100:
                break
        else:
            return run  # connection dropped: no closeConnection
    finally:
        qb.end_session()
    run.close = service.close_connection(ticket)
    return run

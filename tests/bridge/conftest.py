"""Bridges for the tests: one Flask app per test, served in-process or over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

from connector.config import Settings
from connector.qbwc import add_company
from connector.sandbox.webconnector import WebConnector
from connector.store import Company, Database
from soap_bridge.app import create_app

Post = Callable[..., httpx.Response]
USER, PASSWORD = "qbwc-acme", "correct horse battery staple"
COMPANY_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Acme.QBW"


class StepClock:
    """A clock the test moves by hand, so expiry and lockout need no sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2024, 3, 10, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def company(db: Database) -> Company:
    # Pinned, so authenticate names the file and each call's wire shape carries it.
    return add_company(db, "Acme", USER, PASSWORD, company_file=COMPANY_FILE,
                       pin_company_file=True)


@pytest.fixture
def app(settings: Settings, db: Database, clock: StepClock) -> Flask:
    return create_app(settings, db=db, clock=clock)


class LiveServer:
    """The app behind waitress (the production server) on a free 127.0.0.1 port."""

    def __init__(self, app: Flask) -> None:
        self._sockets: dict[int, object] = {}
        self._server = create_server(app, map=self._sockets, host="127.0.0.1", port=0, threads=4)
        self.base_url = f"http://127.0.0.1:{self._server.effective_port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.05, map=self._sockets, count=1)

    @property
    def qbwc_url(self) -> str:
        return self.base_url + "/qbwc"

    def stop(self) -> None:
        # Close the sockets only once the loop has stopped selecting on them: closing them
        # under a running select() is what made shutdowns fail with EBADF now and then.
        self._stopping.set()
        self._thread.join(timeout=5)
        wasyncore.close_all(self._sockets)
        self._server.task_dispatcher.shutdown()


@pytest.fixture
def live(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture
def inprocess_http(app: Flask) -> Iterator[httpx.Client]:
    """httpx straight into the WSGI app: same bytes as over the wire, no socket."""
    with httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://bridge.test"
    ) as client:
        yield client


@pytest.fixture(params=["http", "inprocess"])
def post_soap(request: pytest.FixtureRequest, app: Flask) -> Iterator[Post]:
    """POST a raw SOAP body to /qbwc over real HTTP or in-process."""
    if request.param == "http":
        live: LiveServer = request.getfixturevalue("live")
        with httpx.Client(base_url=live.base_url) as client:
            yield lambda body, **kw: client.post("/qbwc", content=body, **kw)
    else:
        http: httpx.Client = request.getfixturevalue("inprocess_http")
        yield lambda body, **kw: http.post("/qbwc", content=body, **kw)


@pytest.fixture(params=["http", "inprocess"])
def soap(request: pytest.FixtureRequest, app: Flask) -> Iterator[WebConnector]:
    """A SOAP caller (the Web Connector's own call layer) over real HTTP or in-process."""
    if request.param == "http":
        live: LiveServer = request.getfixturevalue("live")
        with WebConnector(live.qbwc_url, USER, PASSWORD, qb=NO_QUICKBOOKS) as caller:
            yield caller
    else:
        http: httpx.Client = request.getfixturevalue("inprocess_http")
        yield WebConnector("http://bridge.test/qbwc", USER, PASSWORD, qb=NO_QUICKBOOKS, http=http)


class _NoQuickBooks:
    """These tests call SOAP operations one by one; nothing may reach QuickBooks."""

    company_file = COMPANY_FILE

    def handle(self, request_xml: str) -> str:
        raise AssertionError("bridge tests never run a QuickBooks session")

    def begin_session(self) -> None:
        raise AssertionError("bridge tests never run a QuickBooks session")

    def end_session(self) -> None:
        raise AssertionError("bridge tests never run a QuickBooks session")


NO_QUICKBOOKS = _NoQuickBooks()

"""The bridge as the Web Connector meets it: one SOAP round trip, and calls per second.

``ml-connector bridge`` runs in its own process (waitress, 8 threads) on 127.0.0.1.

- ``bridge_roundtrip``: Web Connector sessions (``connector.sandbox.webconnector``, a small
  seeded company: handshake, authenticate, every delta read and its answer, close) against the
  bridge. Each call is timed, and the same body is posted at once to the reference: a bare
  Flask route served by waitress the same way (``bench.bare_flask``) that reads the body and
  answers a SOAP-sized document. Median against median. Target: <= 3.
- ``bridge_calls_per_s``: 20 companies, each with its own QuickBooks simulator and Web
  Connector, polling the bridge at once for a while (every poll a full session, as
  ``MLC_MIN_POLL_SECONDS=0`` makes each one read its deltas); SOAP calls answered per second.
  The clients run in the benchmark's process, the bridge in its own: two cores in all. Target:
  >= 300 calls/s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from bench.procs import ROOT, free_port, start_bridge, wait_healthy
from bench.world import bench_settings, seeded_books
from connector.errors import ConnectorError
from connector.qbwc import add_company
from connector.qbxml.schema import schema
from connector.sandbox.qbd import QuickBooksSimulator
from connector.sandbox.webconnector import WebConnector
from connector.store import Database

THREADS = 8
COMPANIES = 20
POLL_SECONDS = 15.0
_OP = b'xmlns="http://developer.intuit.com/"'


class Timed(httpx.BaseTransport):
    """Times each SOAP call, then posts the same body to the bare route and times that."""

    def __init__(self, bare_url: str):
        self.inner = httpx.HTTPTransport()
        self.bare_url = bare_url
        self.soap: dict[str, list[float]] = defaultdict(list)
        self.bare: list[float] = []

    def _timed(self, request: httpx.Request) -> tuple[httpx.Response, float]:
        started = time.perf_counter()
        response = self.inner.handle_request(request)
        response.read()
        return response, time.perf_counter() - started

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        response, took = self._timed(request)
        op = request.headers.get("SOAPAction", "").strip('"').rsplit("/", 1)[-1]
        self.soap[op].append(took)
        bare = httpx.Request("POST", self.bare_url, content=body, headers={
            "Content-Type": "text/xml; charset=utf-8"})
        self.bare.append(self._timed(bare)[1])
        return response


def _bare_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.bare_flask", str(port), str(THREADS)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, cwd=ROOT)
    wait_healthy(f"http://127.0.0.1:{port}/healthz", server, "the bare Flask server")
    return server


def _companies(tmp: Path, count: int, customers: int,
               invoices: int) -> list[tuple[str, QuickBooksSimulator]]:
    settings = bench_settings(tmp)
    db = Database(settings.resolved_database_url)
    db.create_all()
    books = []
    for n in range(count):
        qb = seeded_books(customers, invoices, seed=n)
        add_company(db, f"Company {n}", f"user{n}", f"pw-{n}", company_file=qb.company_file)
        books.append((f"user{n}", qb))
    db.dispose()
    return books


def _roundtrip(tmp: Path) -> dict[str, Any]:
    (user, qb), = _companies(tmp, 1, customers=100, invoices=50)
    port, bare_port = free_port(), free_port()
    bridge = start_bridge(str(tmp), port, {"MLC_MIN_POLL_SECONDS": "0"}, threads=THREADS)
    bare = _bare_server(bare_port)
    try:
        timed = Timed(f"http://127.0.0.1:{bare_port}/bare")
        with httpx.Client(transport=timed, timeout=60) as http:
            connector = WebConnector(f"http://127.0.0.1:{port}/qbwc", user, "pw-0", qb,
                                     http=http)
            for _ in range(6):
                report = connector.run_session()
                assert report.authenticated, report.describe()
    finally:
        for process in (bridge, bare):
            process.terminate()
            process.wait(timeout=30)
    soap = [t for times in timed.soap.values() for t in times]
    value, reference = statistics.median(soap) * 1000, statistics.median(timed.bare) * 1000
    per_op = ", ".join(f"{op} {statistics.median(t) * 1000:.1f}"
                       for op, t in sorted(timed.soap.items()))
    return {"name": "bridge_roundtrip", "value": value, "unit": "ms", "reference": reference,
            "ratio": value / reference, "target": "<= 3",
            "detail": f"median of {len(soap)} SOAP calls of 6 Web Connector sessions vs the same "
                      f"bodies to a bare Flask route; medians per call (ms): {per_op}"}


def _poller(url: str, user: str, password: str, qb: QuickBooksSimulator,
            counts: list[int]) -> WebConnector:
    """A company's Web Connector, its HTTP client counting the SOAP calls answered."""

    def count(response: httpx.Response) -> None:
        counts.append(1)

    http = httpx.Client(timeout=120, event_hooks={"response": [count]})
    return WebConnector(url, user, password, qb, http=http, sleep=lambda s: None)


def _poll(connector: WebConnector, until: float, errors: list[str]) -> None:
    with connector.http:
        while time.perf_counter() < until:
            try:
                report = connector.run_session()
            except ConnectorError as exc:  # a refused call: counted, and the polling goes on
                errors.append(str(exc))
                continue
            if not report.authenticated or report.last_error:
                errors.append(report.describe())


def _throughput(tmp: Path) -> dict[str, Any]:
    books = _companies(tmp, COMPANIES, customers=30, invoices=20)
    port = free_port()
    bridge = start_bridge(str(tmp), port, {"MLC_MIN_POLL_SECONDS": "0"}, threads=THREADS)
    counts: list[int] = []
    errors: list[str] = []
    # The harness's one-time costs stay out of the timed window: 20 HTTP clients (a TLS
    # context each, ~25 ms of CPU) and the qbXML schema the simulators validate against
    # (~0.2 s). Timed, they were CPU the bench took from the bridge on the same two cores.
    schema()
    connectors = [_poller(f"http://127.0.0.1:{port}/qbwc", user, f"pw-{n}", qb, counts)
                  for n, (user, qb) in enumerate(books)]
    try:
        started = time.perf_counter()
        until = started + POLL_SECONDS
        pollers = [threading.Thread(target=_poll, args=(connector, until, errors))
                   for connector in connectors]
        for poller in pollers:
            poller.start()
        for poller in pollers:
            poller.join()
        took = time.perf_counter() - started
    finally:
        bridge.terminate()
        bridge.wait(timeout=30)
    rate = len(counts) / took
    failures = [line for line in (tmp / "bridge.log").read_text(errors="replace").splitlines()
                if "Error" in line][-1:]
    return {"name": "bridge_calls_per_s", "value": rate, "unit": "calls/s", "reference": 300.0,
            "ratio": rate / 300.0, "target": ">= 1.0",
            "detail": f"{COMPANIES} companies' Web Connectors polling at once for "
                      f"{took:.0f} s: {len(counts)} SOAP calls, {len(errors)} sessions with an "
                      f"error{': ' + errors[0] if errors else ''}"
                      f"{'; the bridge logged: ' + failures[0] if failures else ''}"}


def run() -> list[dict[str, Any]]:
    entries = []
    for measure in (_roundtrip, _throughput):
        with tempfile.TemporaryDirectory() as tmp:
            entries.append(measure(Path(tmp)))
    return entries


if __name__ == "__main__":
    for entry in run():
        print(entry)

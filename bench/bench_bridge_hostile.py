"""Hostile bodies against a real bridge process: how much memory a caller without a login costs.

``ml-connector bridge`` runs in its own process (waitress, SQLite) on 127.0.0.1. Three
clients at once POST 45 MB bodies no Web Connector would send, one kind after the other: an
``authenticate`` holding a million tiny elements, an ``authenticate`` whose password is one
45 MB text node, and a ``receiveResponseXML`` with a forged ticket and a 45 MB response.
The value is the bridge's peak resident memory over the whole run (Linux ``VmHWM``, else the
highest of frequent samples); the target is an absolute 200 MB. Before the gate streamed
bodies, one such body took 21 s and 2.5 GB, three 5.6 GB. The second entry is the wall time
of the three rounds.
"""

from __future__ import annotations

import tempfile
import threading
import time
from typing import Any

import httpx
import psutil

from bench.procs import free_port, peak_kb, start_bridge

BODY_MB = 45
PARALLEL = 3
PEAK_BUDGET_MB = 200
ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def _envelope(op: str, inner: bytes) -> bytes:
    return (b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="' + ENV.encode()
            + b'"><soap:Body><' + op.encode() + b' xmlns="http://developer.intuit.com/">'
            + inner + b"</" + op.encode() + b"></soap:Body></soap:Envelope>")


def _bodies() -> dict[str, bytes]:
    size = BODY_MB * 2**20
    return {
        "elements": _envelope("authenticate", b"<strUserName>x</strUserName>"
                              + b"<a/>" * (size // 4)),
        "text": _envelope("authenticate", b"<strUserName>x</strUserName><strPassword>"
                          + b"x" * size + b"</strPassword>"),
        "forged-ticket": _envelope("receiveResponseXML", b"<ticket>forged</ticket><response>"
                                   + b"&lt;QBXML/&gt;" * (size // 14) + b"</response>"),
    }


class _Sampler(threading.Thread):
    """Highest RSS seen, for systems without /proc's high-water mark."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.005)


def _attack(url: str, body: bytes, statuses: list[int]) -> None:
    with httpx.Client(timeout=120) as client:
        reply = client.post(url, content=body, headers={"Content-Type": "text/xml"})
        statuses.append(reply.status_code)


def run() -> list[dict[str, Any]]:
    bodies = _bodies()
    port = free_port()
    url = f"http://127.0.0.1:{port}/qbwc"
    with tempfile.TemporaryDirectory() as tmp:
        bridge = start_bridge(tmp, port)
        sampler = _Sampler(bridge.pid)
        sampler.start()
        idle_mb = psutil.Process(bridge.pid).memory_info().rss / 2**20
        statuses: list[int] = []
        started = time.perf_counter()
        try:
            for body in bodies.values():
                clients = [threading.Thread(target=_attack, args=(url, body, statuses))
                           for _ in range(PARALLEL)]
                for client in clients:
                    client.start()
                for client in clients:
                    client.join()
            took = time.perf_counter() - started
            high_water = peak_kb(bridge.pid)
        finally:
            sampler.stop.set()
            bridge.terminate()
            bridge.wait(timeout=30)
    assert len(statuses) == PARALLEL * len(bodies), statuses
    assert all(status in (200, 413, 500) for status in statuses), statuses
    peak_mb = high_water / 1024 if high_water else sampler.peak / 2**20
    detail = (f"{PARALLEL} parallel {BODY_MB} MB bodies of each kind ({', '.join(bodies)}); "
              f"idle bridge {idle_mb:.0f} MB; answers {sorted(set(statuses))}")
    return [
        {"name": "bridge_hostile_peak_rss", "value": peak_mb, "unit": "MB", "reference": 1.0,
         "ratio": peak_mb, "target": f"<= {PEAK_BUDGET_MB}", "detail": detail},
        {"name": "bridge_hostile_refusal_seconds", "value": took, "unit": "s",
         "reference": 1.0, "ratio": took, "target": "<= 10",
         "detail": f"wall time of the {len(bodies)} rounds of {PARALLEL} bodies"},
    ]


if __name__ == "__main__":
    for entry in run():
        print(entry)

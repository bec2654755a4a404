"""``ml-connector bridge`` serves the app with waitress, as it will on the QuickBooks PC."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from connector.cli.bridge import OVERSIZE_ANSWER_FACTOR
from tests.bridge.conftest import USER


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> httpx.Response:
    for _ in range(200):
        if proc.poll() is not None:
            raise AssertionError(
                f"bridge exited early: {proc.stdout.read().decode() if proc.stdout else ''}"
            )
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("bridge did not answer /healthz within 20 s")


def test_bridge_command_serves_healthz_and_soap_with_waitress_and_caps_bodies(
    tmp_path: Path,
) -> None:
    port = _free_port()
    env = {**os.environ, "MLC_DATA_DIR": str(tmp_path), "MLC_MAX_BODY_BYTES": "4096",
           "MLC_DATABASE_URL": f"sqlite:///{(tmp_path / 'cli.db').as_posix()}"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from connector.cli import main; main()",
         "bridge", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        health = _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        assert health.status_code == 200 and health.json()["database"] == "ok"
        assert health.headers["server"] == "ml-connector"
        reply = httpx.post(
            f"http://127.0.0.1:{port}/qbwc",
            content=(f'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
                     f'<soap:Body><authenticate xmlns="http://developer.intuit.com/"><strUserName>{USER}'
                     "</strUserName><strPassword>x</strPassword></authenticate></soap:Body></soap:Envelope>"),
            headers={"Content-Type": "text/xml; charset=utf-8",
                     "SOAPAction": '"http://developer.intuit.com/authenticate"'})
        assert reply.status_code == 200 and "<tns:string>nvu</tns:string>" in reply.text
        oversize = httpx.post(
            f"http://127.0.0.1:{port}/qbwc",
            content=b"<x>" + b" " * 5000 + b"</x>",
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        assert oversize.status_code == 413 and b"Client.BodyRefused" in oversize.content
        # The largest body waitress admits reaches the gate; one byte more never gets past it.
        limit = OVERSIZE_ANSWER_FACTOR * 4096
        admitted, refused = (httpx.post(f"http://127.0.0.1:{port}/qbwc", content=b" " * size)
                             for size in (limit - 1, limit))
        assert admitted.status_code == 413 and b"Client.BodyRefused" in admitted.content
        assert refused.status_code == 413 and f"exceeds max_body of {limit}" in refused.text
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0].decode()
    assert f"http://127.0.0.1:{port}/qbwc" in output

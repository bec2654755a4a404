"""Processes the benchmarks start: a bridge (``ml-connector bridge``, waitress) on a free port,
and what they read of a process's memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

__all__ = ["ROOT", "free_port", "peak_kb", "start_bridge", "wait_healthy"]

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_kb(pid: int) -> int | None:
    """The process's peak resident memory (Linux ``VmHWM``), None where /proc has none."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def wait_healthy(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{what} did not start")


def start_bridge(data_dir: str, port: int, env: Mapping[str, str] | None = None,
                 threads: int = 8) -> subprocess.Popen[bytes]:
    """``ml-connector bridge`` on 127.0.0.1:``port`` (SQLite in ``data_dir`` unless ``env``
    names another database), once /healthz answers; its log is ``data_dir``/bridge.log."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), "MLC_DATA_DIR": data_dir,
            "MLC_DATABASE_URL": f"sqlite:///{data_dir}/bench.db", "MLC_LOG_LEVEL": "WARNING",
            **(env or {})}
    with Path(data_dir, "bridge.log").open("wb") as log:
        bridge = subprocess.Popen(
            [sys.executable, "-m", "connector.cli", "bridge", "--port", str(port),
             "--threads", str(threads)], env=full, stdout=subprocess.DEVNULL, stderr=log,
            cwd=ROOT)
    wait_healthy(f"http://127.0.0.1:{port}/healthz", bridge, "the bridge")
    return bridge

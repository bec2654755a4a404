"""Serving the two apps: real HTTP on 127.0.0.1 in threads, or in-process httpx transports."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from connector.sandbox.zoho.api import WsgiApp
from connector.sandbox.zoho.http import IN_PROCESS_KEY, TIMEOUT_HEADER

__all__ = ["SimUrls", "serve_pair", "InProcessTransport"]

HOST = "127.0.0.1"


@dataclass(frozen=True)
class SimUrls:
    accounts_url: str
    api_url: str


class _QuietHandler(WSGIRequestHandler):
    """The call log already records every request; werkzeug's access log would be noise."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class _Served:
    def __init__(self, app: WsgiApp, port: int):
        self.server: BaseWSGIServer = make_server(HOST, port, app, threaded=True,
                                                  request_handler=_QuietHandler)
        # A short poll interval makes shutdown (end of a test's ``with sim.serve()``) quick.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True, name=f"zoho-sim-{self.server.server_port}")

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@contextmanager
def serve_pair(accounts: WsgiApp, api: WsgiApp, accounts_port: int = 0,
               api_port: int = 0) -> Iterator[SimUrls]:
    """Both servers listening (port 0: ephemeral) until the block ends."""
    served = [_Served(accounts, accounts_port), _Served(api, api_port)]
    for s in served:
        s.start()
    try:
        yield SimUrls(served[0].url, served[1].url)
    finally:
        for s in served:
            s.stop()


def _mark_in_process(app: WsgiApp) -> WsgiApp:
    def marked(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ[IN_PROCESS_KEY] = True
        return app(environ, start_response)
    return marked


class InProcessTransport(httpx.WSGITransport):
    """httpx talking to the app directly; a timeout fault raises ``httpx.ReadTimeout``."""

    def __init__(self, app: WsgiApp):
        super().__init__(app=_mark_in_process(app))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if TIMEOUT_HEADER in response.headers:
            response.close()
            raise httpx.ReadTimeout("simulated Zoho timeout", request=request)
        return response

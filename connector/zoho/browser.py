"""The authorization-code flow in the user's browser, with a one-shot listener on 127.0.0.1.

Zoho sends the browser back to ``redirect_uri`` with ``code``, ``state`` and, because a user
may live in another data centre than the one asked, ``accounts-server``: the code must be
exchanged there.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from connector.errors import FatalError
from connector.zoho.oauth import TokenEndpoint

__all__ = ["Authorization", "authorize_in_browser", "redirect_uri_for"]

_DONE_PAGE = (b"<!doctype html><title>ml-connector</title><h1>ml-connector is connected to "
              b"Zoho</h1><p>You can close this window and return to the terminal.</p>")
_FAILED_PAGE = (b"<!doctype html><title>ml-connector</title><h1>Zoho did not authorise "
                b"ml-connector</h1><p>See the terminal for the reason.</p>")


@dataclass(frozen=True)
class Authorization:
    code: str
    redirect_uri: str
    accounts_server: str | None


def redirect_uri_for(port: int) -> str:
    return f"http://127.0.0.1:{port}/callback"


def _listener(port: int, state: str, found: dict[str, str]) -> HTTPServer:
    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path != "/callback" or query.get("state") != state:
                self.send_response(404)
                self.end_headers()
                return
            found.update(query)
            ok = "code" in query
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(_DONE_PAGE if ok else _FAILED_PAGE)

        def log_message(self, format: str, *args: object) -> None:
            return None  # the query string holds the grant code: keep it out of logs

    server = HTTPServer(("127.0.0.1", port), Callback)
    server.timeout = 0.5
    return server


def authorize_in_browser(endpoint: TokenEndpoint, *, port: int,
                         open_url: Callable[[str], object],
                         echo: Callable[[str], None], timeout: float = 300.0) -> Authorization:
    """Show/open Zoho's consent page and wait for its redirect to our local listener."""
    state = secrets.token_urlsafe(16)
    redirect_uri = redirect_uri_for(port)
    found: dict[str, str] = {}
    try:
        server = _listener(port, state, found)
    except OSError as exc:
        raise FatalError(f"cannot listen on 127.0.0.1:{port} for Zoho's redirect ({exc}); "
                         "pass another --port (and register that redirect URI)") from exc
    url = endpoint.authorize_url(redirect_uri=redirect_uri, state=state)
    echo(f"Open this URL to let ml-connector use your Zoho CRM (waiting up to "
         f"{int(timeout)} s):\n\n  {url}\n\nThe client's redirect URI must be {redirect_uri}.")
    threading.Thread(target=open_url, args=(url,), daemon=True).start()
    deadline = time.monotonic() + timeout
    with server:
        while not found and time.monotonic() < deadline:
            server.handle_request()
    if not found:
        raise FatalError(f"no answer from Zoho within {int(timeout)} s; run the command again")
    if "code" not in found:
        reason = found.get("error", "no grant code in the redirect")
        raise FatalError(f"Zoho did not authorise ml-connector: {reason}", code=reason)
    return Authorization(found["code"], redirect_uri, found.get("accounts-server"))

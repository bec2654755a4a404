"""``ml-connector bridge``: serve the QBWC SOAP endpoint with waitress.

Waitress is pure Python and thread-based (no fork), so the same command runs on the Windows PC
beside QuickBooks and on a Linux server behind a TLS reverse proxy.
"""

from __future__ import annotations

import errno
import gc

import click

from connector.cli.common import AppContext, pass_app
from connector.errors import ConfigError

__all__ = ["bridge", "OVERSIZE_ANSWER_FACTOR"]

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Waitress refuses a body of this many times MLC_MAX_BODY_BYTES or more with a bare 413 (from
# its Content-Length, unread). A QuickBooks answer below that, though over the cap, reaches the
# gate, which reads only its head, finds the live session and stops it with a last error
# telling the Web Connector's user what to change. The price: waitress holds any body under its
# limit, on any path and from anyone, in full (on disk past 512 kB) before the app runs, so
# this is what one connection can make it hold; the README's proxy limits each path first.
OVERSIZE_ANSWER_FACTOR = 2


@click.command()
@click.option("--host", default=None, help="Interface to listen on [default: MLC_BRIDGE_HOST].")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="TCP port [default: MLC_BRIDGE_PORT].")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Worker threads; each serves one QBWC call at a time.")
@pass_app
def bridge(app: AppContext, host: str | None, port: int | None, threads: int) -> None:
    """Serve the QuickBooks Web Connector endpoint at /qbwc (and /healthz)."""
    from waitress.server import create_server

    from soap_bridge.app import create_app

    settings = app.settings
    host = host or settings.bridge_host
    port = settings.bridge_port if port is None else port
    flask_app = create_app(settings, db=app.db)
    try:
        server = create_server(
            flask_app, host=host, port=port, threads=threads, ident="ml-connector",
            max_request_body_size=OVERSIZE_ANSWER_FACTOR * settings.max_body_bytes,
            # waitress drops X-Forwarded-* unless told which proxy to trust; the bridge decides
            # that itself (MLC_TRUSTED_PROXY_HEADER / MLC_TRUSTED_PROXIES), so it must see them.
            clear_untrusted_proxy_headers=not settings.trusted_proxy_header,
        )
    except (OSError, ValueError) as exc:  # waitress: ValueError for a host it cannot resolve
        raise _cannot_listen(exc, host, port) from exc
    click.echo(f"ml-connector bridge: http://{host}:{port}/qbwc  (database: {app.db.safe_url})")
    if host not in LOOPBACK:
        click.echo("note: the Web Connector only accepts https for hosts other than localhost; "
                   "put a TLS reverse proxy in front of this port (see README).")
    # What the app holds for its whole life (SQLAlchemy's tables and compiled statements,
    # spyne's service model, the XSDs) is moved out of the collector's reach: each full
    # collection walked it again, about 0.1 s with the GIL held, several a minute under load.
    gc.freeze()
    server.run()


def _cannot_listen(exc: OSError | ValueError, host: str, port: int) -> ConfigError:
    code = exc.errno if isinstance(exc, OSError) else None
    if code == errno.EADDRINUSE:
        return ConfigError(f"port {port} on {host} is already in use (another ml-connector "
                           "bridge?); stop it, or choose another with --port or MLC_BRIDGE_PORT")
    if code == errno.EACCES:
        return ConfigError(f"not allowed to listen on port {port} (ports below 1024 need "
                           "administrator rights); choose another with --port or MLC_BRIDGE_PORT")
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return ConfigError(f"cannot listen on {host}:{port} ({reason}); check --host "
                       "and --port, or MLC_BRIDGE_HOST and MLC_BRIDGE_PORT")

"""Which address a Web Connector call came from, for the login throttle."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from connector.config import Settings

__all__ = ["client_address"]

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")))
    except ValueError:
        return None


@lru_cache(maxsize=32)
def _networks(spec: str) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False)
                 for part in spec.split(",") if part.strip())


def client_address(environ: Mapping[str, Any], settings: Settings) -> str:
    """The peer of the connection (WSGI ``REMOTE_ADDR``), or, when the bridge sits behind a
    reverse proxy that ``MLC_TRUSTED_PROXY_HEADER`` names and the peer is one of
    ``MLC_TRUSTED_PROXIES``, the address that proxy reports.

    A forwarding header is only believed from a configured proxy: from anyone else it is just
    text a guesser chooses to dodge the per-address throttle. Of a comma-separated list
    (X-Forwarded-For) the last entry is the one our proxy added; the earlier ones came from the
    client and prove nothing.
    """
    peer = _address(str(environ.get("REMOTE_ADDR") or "")) or "?"
    header = settings.trusted_proxy_header
    if not header or peer == "?":
        return peer
    if not any(ipaddress.ip_address(peer) in net for net in _networks(settings.trusted_proxies)):
        return peer
    forwarded = str(environ.get("HTTP_" + header.upper().replace("-", "_")) or "")
    reported = _address(forwarded.split(",")[-1]) if forwarded else None
    return reported or peer

"""The TLS context every HTTPS client of the process shares.

httpx builds a new context for each ``httpx.Client`` it is not handed one: it loads certifi's
~150 root certificates again, ~30 ms of CPU, for every Zoho client and token endpoint a run,
a ping or a notification opens. This one verifies exactly as httpx's default does (certifi's
roots, or the ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` the environment names) and is built once
for each such choice; a context is safe to share between clients and threads.
"""

from __future__ import annotations

import os
import ssl
from functools import cache

import certifi

__all__ = ["tls_context"]


def tls_context() -> ssl.SSLContext:
    return _context(os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None)


@cache
def _context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    if cafile:
        return ssl.create_default_context(cafile=cafile)
    if capath:
        return ssl.create_default_context(capath=capath)
    return ssl.create_default_context(cafile=certifi.where())

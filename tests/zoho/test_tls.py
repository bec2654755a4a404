"""The process's HTTPS clients share one TLS context: httpx builds one per client otherwise,
loading ~150 root certificates each time (~30 ms of CPU)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import certifi
import pytest

from connector.tls import tls_context
from connector.zoho.auth import MemoryTokenStore, ZohoAuth
from connector.zoho.client import ZohoClient
from connector.zoho.oauth import OAuthApp, TokenEndpoint


def test_zoho_clients_and_token_endpoints_load_the_root_certificates_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    loads: list[Any] = []
    load = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        loads.append(args or kwargs)
        load(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    app = OAuthApp("https://accounts.zoho.com", "1000.CLIENT", "secret")
    for _ in range(3):
        endpoint = TokenEndpoint(app)
        ZohoClient(ZohoAuth(endpoint, "1000.refresh", MemoryTokenStore())).close()
        endpoint.close()
    assert len(loads) <= 1  # none when an earlier test of this process built the context


def test_the_environment_names_other_root_certificates_as_httpx_lets_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    bundle = Path(certifi.where()).read_text()
    end = "-----END CERTIFICATE-----"
    one = tmp_path / "one-root.pem"
    one.write_text(bundle[bundle.index("-----BEGIN CERTIFICATE-----"):bundle.index(end) + len(end)])
    monkeypatch.setenv("SSL_CERT_FILE", str(one))
    assert len(tls_context().get_ca_certs()) == 1
    monkeypatch.delenv("SSL_CERT_FILE")
    assert len(tls_context().get_ca_certs()) > 100

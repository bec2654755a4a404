"""The Zoho accounts server: exchanging grant codes and refresh tokens for access tokens.

The token endpoint reports most failures as HTTP 200 with ``{"error": ...}``; every such
answer becomes a clear error here (see ``errors.oauth_error``), naming the likely cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from connector.errors import ConfigError, FatalError, RetriableError
from connector.store.types import utcnow
from connector.tls import tls_context
from connector.zoho.errors import decode_json, oauth_error, transport_error
from connector.zoho.retry import DEFAULT_RETRY, RetryPolicy

__all__ = ["AUTHORIZATION_CODE", "CLIENT_CREDENTIALS", "DEFAULT_SCOPES", "OAuthApp", "TokenGrant",
           "TokenEndpoint", "org_id_of", "soid"]

# How a connection gets its access tokens: a refresh token (from a grant code, the browser, or
# one brought along) or a Self Client's client credentials (no refresh token exists).
AUTHORIZATION_CODE = "authorization_code"
CLIENT_CREDENTIALS = "client_credentials"

# Everything ml-connector calls: records, COQL, custom fields, module list, org, notifications.
DEFAULT_SCOPES: tuple[str, ...] = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.coql.READ",
    "ZohoCRM.settings.fields.ALL",
    "ZohoCRM.settings.modules.READ",
    "ZohoCRM.org.READ",
    "ZohoCRM.notifications.ALL",
    "ZohoCRM.bulk.ALL",
)


_SOID_SERVICE = "ZohoCRM."


def soid(org_id: str) -> str:
    """The ``soid`` of a Zoho CRM org: ``ZohoCRM.{zsoid}``, zsoid being the org id shown in
    CRM (https://zoho.com/crm/developer/docs/api/v4/client-credentials.html)."""
    return _SOID_SERVICE + org_id_of(org_id)


def org_id_of(value: str) -> str:
    """An org id as the user may paste it: bare, or as a whole soid."""
    value = value.strip()
    return value[len(_SOID_SERVICE):] if value.startswith(_SOID_SERVICE) else value


@dataclass(frozen=True)
class OAuthApp:
    """A client registered in Zoho's API console, on the accounts server of its region."""

    accounts_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str | None = None


@dataclass(frozen=True)
class TokenGrant:
    access_token: str = field(repr=False)
    expires_at: datetime
    api_domain: str
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None


class TokenEndpoint:
    """``{accounts_url}/oauth/v2/token`` for one OAuth client."""

    def __init__(self, app: OAuthApp, *, transport: httpx.BaseTransport | None = None,
                 retry: RetryPolicy = DEFAULT_RETRY, clock: Callable[[], datetime] = utcnow,
                 timeout: float = 30.0):
        self.app = app
        self._retry = retry
        self._clock = clock
        self._http = httpx.Client(transport=transport, timeout=timeout, verify=tls_context())

    def close(self) -> None:
        self._http.close()

    def authorize_url(self, *, redirect_uri: str, state: str,
                      scopes: tuple[str, ...] = DEFAULT_SCOPES) -> str:
        # access_type=offline is what yields a refresh token; prompt=consent makes Zoho issue
        # one even when this user authorised the client before.
        query = urlencode({
            "client_id": self.app.client_id, "response_type": "code", "access_type": "offline",
            "prompt": "consent", "scope": ",".join(scopes), "redirect_uri": redirect_uri,
            "state": state,
        })
        return f"{self.app.accounts_url}/oauth/v2/auth?{query}"

    def exchange_code(self, code: str, *, redirect_uri: str | None = None) -> TokenGrant:
        """Grant code -> access + refresh token. A code works once, so only unsent calls repeat."""
        form = {"grant_type": "authorization_code", "code": code.strip()}
        redirect = redirect_uri or self.app.redirect_uri
        if redirect:
            form["redirect_uri"] = redirect
        return self._token(form, idempotent=False, redirect_uri=redirect)

    def refresh(self, refresh_token: str) -> TokenGrant:
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token},
                           idempotent=True)

    def client_credentials(self, org_id: str,
                           scopes: tuple[str, ...] = DEFAULT_SCOPES) -> TokenGrant:
        """A Self Client's own access token for one org; Zoho issues no refresh token, so this
        same call is made again whenever a new access token is needed.

        Documented (https://zoho.com/accounts/protocol/oauth/self-client/client-credentials-flow.html,
        https://zoho.com/crm/developer/docs/api/v4/client-credentials.html): ``client_id``,
        ``client_secret``, ``grant_type=client_credentials``, ``scope`` (comma separated) and,
        for CRM, the mandatory ``soid=ZohoCRM.{org id}``; the answer carries ``access_token``,
        ``scope``, ``api_domain``, ``token_type`` and ``expires_in`` (1 hour). The pages show
        the parameters in the query string; we send them as form data like the other grants,
        as Zoho recommends for secrets, so the client secret never lands in a URL log.
        """
        return self._token({"grant_type": "client_credentials", "scope": ",".join(scopes),
                            "soid": soid(org_id)}, idempotent=True)

    def _token(self, form: dict[str, str], *, idempotent: bool,
               redirect_uri: str | None = None) -> TokenGrant:
        form = {**form, "client_id": self.app.client_id, "client_secret": self.app.client_secret}
        url = f"{self.app.accounts_url}/oauth/v2/token"
        grant_type = form["grant_type"]

        def attempt() -> TokenGrant:
            try:
                response = self._http.post(url, data=form)
            except httpx.TransportError as exc:
                raise transport_error(
                    exc, f"Zoho token request to {self.app.accounts_url}"
                ) from exc
            body = decode_json(response.content)
            if isinstance(body, dict) and "error" in body:
                raise oauth_error(body, grant_type=grant_type, accounts_url=self.app.accounts_url,
                                  redirect_uri=redirect_uri, soid=form.get("soid"))
            if response.status_code >= 500 or response.status_code == 429:
                raise RetriableError(
                    f"Zoho accounts server {self.app.accounts_url} answered HTTP "
                    f"{response.status_code}", code=f"HTTP_{response.status_code}")
            if response.status_code != 200 or not isinstance(body, dict):
                raise ConfigError(
                    f"{url} answered HTTP {response.status_code} without a token; is "
                    f"{self.app.accounts_url} really a Zoho accounts server?",
                    code=f"HTTP_{response.status_code}")
            return self._grant(body)

        return self._retry.run(attempt, what=f"Zoho {grant_type} grant", idempotent=idempotent)

    def _grant(self, body: dict[str, Any]) -> TokenGrant:
        if "access_token" not in body or "api_domain" not in body:
            raise FatalError("Zoho's token response lacks access_token or api_domain",
                                 code="BAD_TOKEN_RESPONSE", details=sorted(body))
        lifetime = int(body.get("expires_in", 3600))
        return TokenGrant(
            access_token=str(body["access_token"]),
            expires_at=self._clock() + timedelta(seconds=lifetime),
            api_domain=str(body["api_domain"]).rstrip("/"),
            refresh_token=body.get("refresh_token"),
            scope=body.get("scope"),
        )

"""Zoho Accounts: clients, grant codes, refresh and access tokens, with Zoho's limits.

Token endpoint errors come back as HTTP 200 with ``{"error": ...}``, as Zoho does:
``invalid_client`` for an unknown client id (the usual sign of the wrong data centre),
``invalid_client_secret`` for a known client with a wrong secret, ``invalid_code`` for an
unknown, used or expired grant code *and* for an unknown or revoked refresh token, and
``invalid_redirect_uri``. A refresh token mints at most 10 access tokens per 10 minutes
(then HTTP 400 "Access Denied"), keeps at most 10 live access tokens (the oldest is
invalidated), and a user keeps at most 20 refresh tokens per client (the 21st silently
evicts the oldest).

A Self Client may also take ``grant_type=client_credentials`` with ``scope`` and
``soid=ZohoCRM.{org id}`` (https://zoho.com/accounts/protocol/oauth/self-client/client-credentials-flow.html):
the answer is an access token for an hour and no refresh token. Zoho documents one refusal,
``missing_org_info`` for an absent ``soid``; the simulator's choices for the undocumented
ones: ``missing_org_info`` too for a ``soid`` naming another org or service,
``invalid_scope`` for no scope, ``unauthorized_client`` for a client that is not a Self Client
(the grant is "self client only"). Deleting a client (as in the API console) ends every token
it issued.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

__all__ = ["Accounts", "AccessToken", "DEFAULT_SCOPE", "TokenError"]

DEFAULT_SCOPE = ("ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.notifications.ALL,"
                 "ZohoCRM.org.READ,ZohoCRM.coql.READ")
ACCESS_TTL = timedelta(hours=1)
CODE_TTL = timedelta(seconds=60)
MINT_WINDOW = timedelta(minutes=10)
MINTS_PER_WINDOW = 10
LIVE_ACCESS_PER_REFRESH = 10
REFRESH_PER_CLIENT = 20
THROTTLED = {
    "error_description": "You have made too many requests continuously. "
                         "Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


class TokenError(Exception):
    def __init__(self, body: dict[str, Any], status: int = 200):
        super().__init__(str(body))
        self.body = body
        self.status = status


def _err(code: str) -> TokenError:
    return TokenError({"error": code})


def _token() -> str:
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


def _scopes(scope: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in scope.replace(" ", ",").split(",") if s.strip())


@dataclass
class Client:
    client_id: str
    secret: str
    redirect_uri: str | None
    self_client: bool = True


@dataclass
class GrantCode:
    client_id: str
    scope: tuple[str, ...]
    expires: datetime
    redirect_uri: str | None
    offline: bool


@dataclass
class RefreshToken:
    token: str
    client_id: str
    scope: tuple[str, ...]
    mints: deque[datetime] = field(default_factory=deque)
    live: deque[str] = field(default_factory=deque)


@dataclass
class AccessToken:
    token: str
    client_id: str
    scope: tuple[str, ...]
    expires: datetime
    refresh: str | None


class Accounts:
    def __init__(self, clock: Callable[[], datetime], dc: str,
                 org_id: Callable[[], str] = lambda: ""):
        self.clock = clock
        self.dc = dc
        self.org_id = org_id
        self._lock = threading.Lock()
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, GrantCode] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.access: dict[str, AccessToken] = {}

    # ---- helpers used by tests, the admin API and the consent page -------------------
    def register_client(self, client_id: str, secret: str, redirect_uri: str | None, *,
                        self_client: bool = True) -> None:
        with self._lock:
            self.clients[client_id] = Client(client_id, secret, redirect_uri, self_client)

    def delete_client(self, client_id: str) -> None:
        """As in the API console: the client and every token and code it holds are gone."""
        with self._lock:
            self.clients.pop(client_id, None)
            for token in [t for t, r in self.refresh.items() if r.client_id == client_id]:
                self._drop_refresh(token)
            for token in [t for t, a in self.access.items() if a.client_id == client_id]:
                del self.access[token]
            for code in [c for c, g in self.codes.items() if g.client_id == client_id]:
                del self.codes[code]

    def grant_code(self, client_id: str, scope: str, *, offline: bool = True,
                   redirect_uri: str | None = None) -> str:
        code = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        with self._lock:
            self.codes[code] = GrantCode(client_id, _scopes(scope), self.clock() + CODE_TTL,
                                         redirect_uri, offline)
        return code

    def issue_refresh_token(self, client_id: str, scope: str) -> str:
        with self._lock:
            return self._new_refresh(client_id, _scopes(scope))

    def _new_refresh(self, client_id: str, scope: tuple[str, ...]) -> str:
        mine = [t for t in self.refresh.values() if t.client_id == client_id]
        for old in mine[: max(0, len(mine) - REFRESH_PER_CLIENT + 1)]:
            self._drop_refresh(old.token)
        token = _token()
        self.refresh[token] = RefreshToken(token, client_id, scope)
        return token

    def _drop_refresh(self, token: str) -> None:
        gone = self.refresh.pop(token, None)
        for access in gone.live if gone else ():
            self.access.pop(access, None)

    def revoke(self, token: str) -> None:
        with self._lock:
            self._drop_refresh(token)

    def revoke_all(self) -> None:
        with self._lock:
            for token in list(self.refresh):
                self._drop_refresh(token)
            self.access.clear()

    def expire_access_tokens(self) -> None:
        with self._lock:
            for access in self.access.values():
                access.expires = self.clock() - timedelta(seconds=1)

    def check(self, token: str) -> AccessToken | None:
        with self._lock:
            access = self.access.get(token)
            return access if access and access.expires > self.clock() else None

    # ---- the token endpoint --------------------------------------------------------------
    def token(self, params: Mapping[str, str], api_domain: str) -> dict[str, Any]:
        with self._lock:
            client = self.clients.get(params.get("client_id", ""))
            if client is None:
                raise _err("invalid_client")
            if params.get("client_secret") != client.secret:
                raise _err("invalid_client_secret")
            grant = params.get("grant_type")
            if grant == "authorization_code":
                return self._code_grant(client, params, api_domain)
            if grant == "refresh_token":
                return self._refresh_grant(client, params.get("refresh_token", ""), api_domain)
            if grant == "client_credentials":
                return self._client_credentials_grant(client, params, api_domain)
            raise _err("unsupported_grant_type")

    def _client_credentials_grant(self, client: Client, params: Mapping[str, str],
                                  api_domain: str) -> dict[str, Any]:
        if not client.self_client:
            raise _err("unauthorized_client")
        if params.get("soid", "").strip() != f"ZohoCRM.{self.org_id()}":
            raise _err("missing_org_info")
        scope = _scopes(params.get("scope", ""))
        if not scope:
            raise _err("invalid_scope")
        return self._mint(client.client_id, scope, None, api_domain)

    def _code_grant(self, client: Client, params: Mapping[str, str],
                    api_domain: str) -> dict[str, Any]:
        code = self.codes.get(params.get("code", ""))
        if code is None or code.client_id != client.client_id or code.expires <= self.clock():
            raise _err("invalid_code")
        wanted = code.redirect_uri or client.redirect_uri
        if wanted and params.get("redirect_uri") != wanted:
            raise _err("invalid_redirect_uri")
        del self.codes[params["code"]]  # a grant code works once
        refresh = (self.refresh[self._new_refresh(client.client_id, code.scope)]
                   if code.offline else None)
        body = self._mint(client.client_id, code.scope, refresh, api_domain)
        if refresh is not None:
            body["refresh_token"] = refresh.token
        return body

    def _refresh_grant(self, client: Client, token: str, api_domain: str) -> dict[str, Any]:
        refresh = self.refresh.get(token)
        if refresh is None or refresh.client_id != client.client_id:
            raise _err("invalid_code")
        now = self.clock()
        while refresh.mints and refresh.mints[0] <= now - MINT_WINDOW:
            refresh.mints.popleft()
        if len(refresh.mints) >= MINTS_PER_WINDOW:
            raise TokenError(dict(THROTTLED), status=400)
        refresh.mints.append(now)
        return self._mint(client.client_id, refresh.scope, refresh, api_domain)

    def _mint(self, client_id: str, scope: tuple[str, ...], refresh: RefreshToken | None,
              api_domain: str) -> dict[str, Any]:
        token = _token()
        self.access[token] = AccessToken(token, client_id, scope,
                                         self.clock() + ACCESS_TTL,
                                         refresh.token if refresh else None)
        if refresh is not None:
            refresh.live.append(token)
            while len(refresh.live) > LIVE_ACCESS_PER_REFRESH:
                self.access.pop(refresh.live.popleft(), None)
        return {"access_token": token, "scope": " ".join(scope), "api_domain": api_domain,
                "token_type": "Bearer", "expires_in": int(ACCESS_TTL.total_seconds())}

    # ---- the consent page (auto-approved as the simulated user) -------------------------
    def authorize(self, params: Mapping[str, str], accounts_url: str) -> str:
        """The redirect URL carrying a fresh grant code, or TokenError (shown as a page)."""
        client = self.clients.get(params.get("client_id", ""))
        if client is None:
            raise _err("invalid_client")
        redirect = params.get("redirect_uri") or client.redirect_uri
        if not redirect or (client.redirect_uri and redirect != client.redirect_uri):
            raise _err("invalid_redirect_uri")
        if params.get("response_type") != "code":
            raise _err("unsupported_response_type")
        code = self.grant_code(client.client_id, params.get("scope", DEFAULT_SCOPE),
                               offline=params.get("access_type") == "offline",
                               redirect_uri=redirect)
        query = {"code": code, "location": self.dc, "accounts-server": accounts_url}
        if "state" in params:
            query["state"] = params["state"]
        return f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(query)}"

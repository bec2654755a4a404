"""Token refresh is authentication, so it lives in ``httpx.Auth``: no caller thinks about tokens.

A refresh token mints at most 10 access tokens per 10 minutes, so refreshes are rationed:
one per process at a time (a process-wide lock per connection) and one across processes (a
claim on the stored token's version: even = settled, odd = someone is refreshing). A process
that finds a refresh under way waits for it and uses the winner's token instead of minting its
own. A refresh that Zoho refuses is fatal, never retried in a loop.

How a new token is minted is the connection's ``Credential``: a refresh token, or a Self
Client's client credentials for one org (Zoho issues no refresh token for those, so the same
grant is asked again on expiry and on a 401). Everything else is the same for both.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import ClassVar, Protocol

import httpx

from connector.errors import FatalError, RetriableError
from connector.store.types import utcnow
from connector.zoho.errors import CONNECT_AGAIN, decode_json
from connector.zoho.oauth import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    DEFAULT_SCOPES,
    TokenEndpoint,
    TokenGrant,
)

__all__ = ["ClientCredentials", "Credential", "RefreshTokenCredential", "TokenState",
           "TokenStore", "MemoryTokenStore", "ZohoAuth", "process_lock"]

log = logging.getLogger(__name__)

# Zoho answers 401 with one of these when the access token itself is the problem.
_TOKEN_REJECTED = frozenset({"INVALID_TOKEN", "AUTHENTICATION_FAILURE"})
# Our own ration, well under Zoho's 10 per 10 minutes, so a runaway never locks the user out.
# Zoho documents no such quota for the client-credentials grant; the same ration applies.
_MAX_REFRESHES = 5
_REFRESH_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class TokenState:
    """The stored access token; ``version`` is odd while some process is refreshing it."""

    access_token: str | None = field(repr=False)
    expires_at: datetime | None
    api_domain: str | None
    version: int = 0
    changed_at: datetime | None = None

    @property
    def refreshing(self) -> bool:
        return self.version % 2 == 1


class TokenStore(Protocol):
    """Where the access token lives between calls and processes."""

    key: str

    def read(self) -> TokenState: ...

    def claim(self, version: int, now: datetime) -> int | None:
        """Compare-and-set ``version`` to the next odd number; the claimed version or None."""

    def publish(self, claimed: int, grant: TokenGrant, now: datetime) -> None:
        """Store the new token and settle the version (claimed + 1)."""

    def abandon(self, claimed: int, now: datetime) -> None:
        """Settle the version without a new token (the refresh failed)."""


class Credential(Protocol):
    """What mints a new access token for a connection."""

    @property
    def mode(self) -> str: ...

    def mint(self, endpoint: TokenEndpoint) -> TokenGrant: ...


@dataclass(frozen=True)
class RefreshTokenCredential:
    refresh_token: str = field(repr=False)
    mode: ClassVar[str] = AUTHORIZATION_CODE

    def mint(self, endpoint: TokenEndpoint) -> TokenGrant:
        return endpoint.refresh(self.refresh_token)


@dataclass(frozen=True)
class ClientCredentials:
    """A Self Client acting for one org (``soid=ZohoCRM.{org_id}``); the client id and secret
    are the endpoint's. Every new access token is a new client-credentials grant."""

    org_id: str
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    mode: ClassVar[str] = CLIENT_CREDENTIALS

    def mint(self, endpoint: TokenEndpoint) -> TokenGrant:
        return endpoint.client_credentials(self.org_id, self.scopes)


def _next_claim(version: int) -> int:
    return version + 1 if version % 2 == 0 else version + 2


class MemoryTokenStore:
    """A TokenStore for one process (tests, one-off commands); same rules as the stored one."""

    def __init__(self, grant: TokenGrant | None = None, *, key: str = "memory"):
        self.key = key
        self._lock = threading.Lock()
        self._state = TokenState(
            grant.access_token if grant else None, grant.expires_at if grant else None,
            grant.api_domain if grant else None)

    def read(self) -> TokenState:
        with self._lock:
            return self._state

    def claim(self, version: int, now: datetime) -> int | None:
        with self._lock:
            if self._state.version != version:
                return None
            self._state = replace(self._state, version=_next_claim(version), changed_at=now)
            return self._state.version

    def publish(self, claimed: int, grant: TokenGrant, now: datetime) -> None:
        with self._lock:
            if self._state.version == claimed:
                self._state = TokenState(grant.access_token, grant.expires_at, grant.api_domain,
                                         claimed + 1, now)

    def abandon(self, claimed: int, now: datetime) -> None:
        with self._lock:
            if self._state.version == claimed:
                self._state = replace(self._state, version=claimed + 1, changed_at=now)


_PROCESS_LOCKS: dict[str, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def process_lock(key: str) -> threading.Lock:
    """One lock per stored connection in this process, shared by every client using it."""
    with _PROCESS_LOCKS_GUARD:
        return _PROCESS_LOCKS.setdefault(key, threading.Lock())


class ZohoAuth(httpx.Auth):
    """``Authorization: Zoho-oauthtoken ...``; refreshes ahead of expiry and once on a 401.

    ``credential`` mints new tokens; a plain string is a refresh token.
    """

    requires_response_body = True

    def __init__(self, endpoint: TokenEndpoint, credential: str | Credential,
                 store: TokenStore, *,
                 clock: Callable[[], datetime] = utcnow,
                 refresh_ahead: timedelta = timedelta(minutes=5),
                 claim_lease: timedelta = timedelta(seconds=30),
                 lock: threading.Lock | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.endpoint = endpoint
        self.credential: Credential = (RefreshTokenCredential(credential)
                                       if isinstance(credential, str) else credential)
        self.store = store
        self._clock = clock
        self._ahead = refresh_ahead
        self._lease = claim_lease
        self._lock = lock or process_lock(store.key)
        self._sleep = sleep
        self._current: TokenState | None = None
        self._recent: deque[datetime] = deque()
        self.refresh_count = 0

    @property
    def api_domain(self) -> str:
        """The API base URL from the latest token response: the only host we call."""
        domain = (self._current or self.store.read()).api_domain
        if not domain:
            domain = self.token().api_domain
        if not domain:
            raise FatalError("the stored Zoho token names no api_domain; " + CONNECT_AGAIN,
                             code="NO_API_DOMAIN")
        return domain

    def _fresh(self, state: TokenState, stale: str | None) -> bool:
        return (state.access_token is not None and state.access_token != stale
                and state.expires_at is not None
                and state.expires_at - self._ahead > self._clock())

    def token(self, *, stale: str | None = None) -> TokenState:
        """A token valid for at least ``refresh_ahead``; ``stale`` is one Zoho just refused."""
        current = self._current
        if current is not None and self._fresh(current, stale):
            return current
        with self._lock:
            current = self._current
            if current is not None and self._fresh(current, stale):
                return current
            self._current = self._settle(stale)
            return self._current

    def force_refresh(self) -> TokenState:
        """Mint a new access token now (``ping`` proves the credential still works)."""
        with self._lock:
            held = self._current.access_token if self._current else None
            self._current = self._settle(held or self.store.read().access_token or "")
            return self._current

    def _settle(self, stale: str | None) -> TokenState:
        """Adopt a good stored token, wait for another process's refresh, or refresh ourselves."""
        # Waiting is bounded on the monotonic clock: an injected test clock may stand still.
        give_up = time.monotonic() + 2 * self._lease.total_seconds()
        while True:
            state = self.store.read()
            if not state.refreshing and self._fresh(state, stale):
                return state
            now = self._clock()
            if state.refreshing and state.changed_at and now - state.changed_at < self._lease:
                if time.monotonic() > give_up:
                    raise RetriableError("another ml-connector process is refreshing the Zoho "
                                         "token and has not finished", code="TOKEN_BUSY")
                self._sleep(0.05)
                continue
            claimed = self.store.claim(state.version, now)
            if claimed is not None:
                return self._refresh(claimed)

    def _refresh(self, claimed: int) -> TokenState:
        self._ration()
        try:
            grant = self.credential.mint(self.endpoint)
        except BaseException:
            self.store.abandon(claimed, self._clock())
            raise
        self.store.publish(claimed, grant, self._clock())
        self.refresh_count += 1
        log.info("new Zoho access token by %s (store %s, version %d)", self.credential.mode,
                 self.store.key, claimed + 1)
        return TokenState(grant.access_token, grant.expires_at, grant.api_domain, claimed + 1,
                          self._clock())

    def _ration(self) -> None:
        now = self._clock()
        while self._recent and now - self._recent[0] > _REFRESH_WINDOW:
            self._recent.popleft()
        if len(self._recent) >= _MAX_REFRESHES:
            raise FatalError(
                f"Zoho keeps refusing fresh access tokens ({_MAX_REFRESHES} new tokens in 10 "
                "minutes); stopping before Zoho's token quota (10 per 10 minutes for a refresh "
                f"token) runs out. Check the connection's scopes and org, then {CONNECT_AGAIN}",
                code="REFRESH_LOOP")
        self._recent.append(now)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.token()
        request.headers["Authorization"] = f"Zoho-oauthtoken {token.access_token}"
        response = yield request
        if response.status_code != 401:
            return
        body = decode_json(response.content)
        if not isinstance(body, dict) or body.get("code") not in _TOKEN_REJECTED:
            return
        # Once only: a second 401 goes back to the caller and becomes a fatal error there.
        token = self.token(stale=token.access_token)
        request.headers["Authorization"] = f"Zoho-oauthtoken {token.access_token}"
        yield request

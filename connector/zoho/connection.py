"""The stored Zoho connection: one row per Zoho org, secrets encrypted at rest.

The refresh token and client secret (and the short-lived access token) are kept only as
``SecretBox`` ciphertext, so a copied database file alone opens nothing. The row's
``token_version`` is the compare-and-set that lets several processes share one access token.
A connection made with client credentials (``auth_mode``) has no refresh token: its client
secret and org id mint every access token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import Update, update
from sqlmodel import col, select

from connector.config import Settings
from connector.crypto import SecretBox
from connector.errors import ConfigError
from connector.store import Database, ZohoConnection
from connector.store.rows import require_id
from connector.store.types import utcnow
from connector.zoho.auth import ClientCredentials, Credential, TokenState, ZohoAuth
from connector.zoho.client import ZohoClient
from connector.zoho.limits import ConcurrencyLimiter, StoredCreditMeter, edition
from connector.zoho.oauth import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    OAuthApp,
    TokenEndpoint,
    TokenGrant,
)
from connector.zoho.retry import DEFAULT_RETRY, RetryPolicy

__all__ = ["DbTokenStore", "NewConnection", "save_connection", "load_connection", "open_client",
           "oauth_app", "credential", "describe_mode"]


class DbTokenStore:
    """The TokenStore on the ``ZohoConnection`` row, shared by every process using it."""

    def __init__(self, db: Database, connection_id: int, secrets: SecretBox):
        self.db = db
        self.connection_id = connection_id
        self.secrets = secrets
        self.key = f"{db.safe_url}#zoho-{connection_id}"

    def _where(self, version: int) -> Update:
        return (update(ZohoConnection)
                .where(col(ZohoConnection.id) == self.connection_id)
                .where(col(ZohoConnection.token_version) == version))

    def _cas(self, stmt: Update) -> bool:
        with self.db.engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def read(self) -> TokenState:
        with self.db.session() as s:
            row = s.get(ZohoConnection, self.connection_id)
        if row is None:
            raise ConfigError(f"the Zoho connection #{self.connection_id} was removed; "
                              "run `ml-connector zoho connect` again")
        token = self.secrets.decrypt(row.access_token_enc) if row.access_token_enc else None
        return TokenState(token, row.access_expires_at, row.api_domain, row.token_version,
                          row.updated_at)

    def claim(self, version: int, now: datetime) -> int | None:
        claimed = version + 1 if version % 2 == 0 else version + 2
        ok = self._cas(self._where(version).values(token_version=claimed, updated_at=now))
        return claimed if ok else None

    def publish(self, claimed: int, grant: TokenGrant, now: datetime) -> None:
        self._cas(self._where(claimed).values(
            access_token_enc=self.secrets.encrypt(grant.access_token),
            access_expires_at=grant.expires_at, api_domain=grant.api_domain,
            token_version=claimed + 1, updated_at=now))

    def abandon(self, claimed: int, now: datetime) -> None:
        self._cas(self._where(claimed).values(token_version=claimed + 1, updated_at=now))


@dataclass(frozen=True)
class NewConnection:
    """What ``zoho connect`` learnt, ready to be stored (``refresh_token`` is empty for a
    client-credentials connection)."""

    app: OAuthApp
    region: str | None
    refresh_token: str
    grant: TokenGrant
    org_id: str | None = None
    edition: str | None = None
    mode: str = AUTHORIZATION_CODE


def save_connection(db: Database, secrets: SecretBox, new: NewConnection, *,
                    name: str = "default") -> ZohoConnection:
    """Create or replace the named connection; the token version moves on, never back."""
    now = utcnow()
    with db.session() as s:
        row = s.exec(select(ZohoConnection).where(ZohoConnection.name == name)).first()
        if row is None:
            row = ZohoConnection(name=name, accounts_url=new.app.accounts_url,
                                 client_id=new.app.client_id, refresh_token_enc="")
        row.region = new.region
        row.accounts_url = new.app.accounts_url
        row.client_id = new.app.client_id
        row.client_secret_enc = secrets.encrypt(new.app.client_secret)
        row.auth_mode = new.mode
        row.refresh_token_enc = secrets.encrypt(new.refresh_token) if new.refresh_token else ""
        row.access_token_enc = secrets.encrypt(new.grant.access_token)
        row.access_expires_at = new.grant.expires_at
        row.api_domain = new.grant.api_domain
        row.scope = new.grant.scope
        row.org_id = new.org_id
        row.edition = new.edition
        # Even, and past any claim a running process may hold on the old token.
        row.token_version = (row.token_version or 0) + 2 - (row.token_version or 0) % 2
        row.updated_at = now
        s.add(row)
        s.flush()
        s.refresh(row)
        return row


def load_connection(db: Database, name: str = "default") -> ZohoConnection:
    with db.session() as s:
        row = s.exec(select(ZohoConnection).where(ZohoConnection.name == name)).first()
    if row is None:
        raise ConfigError(f"no Zoho connection named {name!r} is stored; run "
                          "`ml-connector zoho connect --client-id ... --grant-code ...` first")
    return row


def oauth_app(row: ZohoConnection, secrets: SecretBox) -> OAuthApp:
    if not row.client_secret_enc:
        raise ConfigError("the stored Zoho connection has no client secret; "
                          "run `ml-connector zoho connect` again")
    return OAuthApp(row.accounts_url, row.client_id, secrets.decrypt(row.client_secret_enc))


def credential(row: ZohoConnection, secrets: SecretBox) -> Credential | str:
    """What mints the connection's access tokens: its refresh token, or its client credentials
    for the stored org."""
    if row.auth_mode == CLIENT_CREDENTIALS:
        if not row.org_id:
            raise ConfigError("the client-credentials connection names no org; run `ml-connector "
                              "zoho connect --client-credentials --org-id ORG_ID` again")
        return ClientCredentials(row.org_id)
    if not row.refresh_token_enc:
        raise ConfigError("the stored Zoho connection has no refresh token; "
                          "run `ml-connector zoho connect` again")
    return secrets.decrypt(row.refresh_token_enc)


def describe_mode(row: ZohoConnection) -> str:
    """How the connection gets its tokens, in the words ``ping`` and ``connect`` print."""
    if row.auth_mode == CLIENT_CREDENTIALS:
        return f"client credentials for org {row.org_id} (no refresh token)"
    return "refresh token (authorization code grant)"


def open_client(settings: Settings, db: Database, secrets: SecretBox, *, name: str = "default",
                transport: httpx.BaseTransport | None = None,
                accounts_transport: httpx.BaseTransport | None = None,
                retry: RetryPolicy = DEFAULT_RETRY,
                clock: Callable[[], datetime] = utcnow) -> ZohoClient:
    """A client for the stored connection: its tokens, its edition's limits, its credit budget."""
    row = load_connection(db, name)
    connection_id = require_id(row)
    endpoint = TokenEndpoint(oauth_app(row, secrets), transport=accounts_transport, retry=retry,
                             clock=clock, timeout=settings.zoho_timeout_seconds)
    auth = ZohoAuth(endpoint, credential(row, secrets), DbTokenStore(db, connection_id, secrets),
                    clock=clock)
    limits = edition(row.edition)
    limiter = ConcurrencyLimiter(settings.zoho_concurrency or limits.concurrency)
    credits = StoredCreditMeter(db, connection_id, settings.zoho_daily_credit_budget, clock=clock)
    return ZohoClient(auth, transport=transport, retry=retry, limiter=limiter, credits=credits,
                      clock=clock, timeout=settings.zoho_timeout_seconds)

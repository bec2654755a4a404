"""The one boundary where Zoho's answers become connector errors.

Everything Zoho (or the network) says is sorted here into exactly one kind: retriable
(network, timeouts, 5xx, 429), fatal (auth, scope, configuration, a module the edition lacks,
our own malformed request) or about one record (validation, duplicates, missing mandatory
fields). Each error keeps Zoho's own code and ``details`` and, where we can tell, says what
the user should do about it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from connector.errors import ConnectorError, FatalError, RecordError, RetriableError

__all__ = [
    "CONNECT_AGAIN", "CreditBudgetExceeded", "NOT_SENT_CODES", "OAUTH_ERRORS", "api_error",
    "decode_json", "oauth_error", "record_error", "retry_after_seconds", "transport_error",
]

CONNECT_AGAIN = "run `ml-connector zoho connect` again"

# Retrying these is safe even for a non-idempotent call: Zoho never saw or never ran the call.
NOT_SENT_CODES = frozenset({"TOO_MANY_REQUESTS", "CONNECT_FAILED"})


class CreditBudgetExceeded(RetriableError):
    """ml-connector's share of today's Zoho API credits is spent; try again tomorrow."""


@dataclass(frozen=True, slots=True)
class _OAuthError:
    kind: type[ConnectorError]
    hint: str


# The accounts server answers HTTP 200 with {"error": ...}; these are the values seen in the wild.
OAUTH_ERRORS: dict[str, _OAuthError] = {
    "invalid_client": _OAuthError(
        FatalError,
        "Zoho does not know this client id at {accounts_url}. That is usually the wrong data "
        "centre: the client was created in another region's API console (accounts.zoho.com, "
        ".eu, .in, .com.au, .jp, .sa, .com.cn or zohocloud.ca); pass --region (or check the "
        "client id for typos)",
    ),
    "invalid_client_secret": _OAuthError(
        FatalError,
        "the client secret does not match the client id; copy it again from the Zoho API "
        "console (Client Secret tab) and " + CONNECT_AGAIN,
    ),
    "invalid_redirect_uri": _OAuthError(
        FatalError,
        "the redirect URI does not match the one registered for this client in the Zoho API "
        "console; register {redirect_uri} there (or pass the registered one)",
    ),
    "invalid_scope": _OAuthError(
        FatalError, "Zoho refused the requested scopes; the client may not be allowed CRM scopes"
    ),
    "unsupported_grant_type": _OAuthError(
        FatalError, "Zoho refused the grant type; this is a bug in ml-connector, please report it"
    ),
    "access denied": _OAuthError(
        RetriableError,
        "too many token requests: a refresh token mints at most 10 access tokens per 10 "
        "minutes; wait a few minutes before trying again",
    ),
}

_INVALID_CODE_HINTS = {
    "authorization_code": (
        "the grant code has expired (grant codes last 1-10 minutes, as chosen when it was "
        "generated) or was already used; generate a new one and connect within its lifetime"
    ),
    "refresh_token": (
        "Zoho does not accept the refresh token: it was revoked (Zoho keeps at most 20 refresh "
        "tokens per user and silently drops the oldest), deleted in the API console, or issued "
        "by another data centre; connect again with a new grant code "
        "(`ml-connector zoho connect --grant-code ...` or `--browser`)"
    ),
}


_RECONNECT_CC = ("`ml-connector zoho connect --client-credentials --org-id ORG_ID` (org id: Zoho "
                 "CRM, profile picture > org id)")
# The client-credentials grant fails for its own reasons: the Self Client is gone, or the org
# in ``soid`` is not one it may act for. Only ``missing_org_info`` is a documented string
# (https://zoho.com/accounts/protocol/oauth/self-client/client-credentials-flow.html: the
# answer when ``soid`` is needed and absent); what Zoho says to an org the client cannot reach
# is undocumented, so every refusal of this grant names the soid we sent.
_CLIENT_CREDENTIALS_HINTS = {
    "invalid_client": (
        "Zoho does not know this client at {accounts_url}: the Self Client was deleted in the "
        "Zoho API console (which also ends the tokens it issued), or it was created in another "
        "data centre (pass --region). Create or check the Self Client, then run "
        + _RECONNECT_CC
    ),
    "missing_org_info": (
        "Zoho does not accept the org in soid={soid}: the org id is missing or wrong, or the "
        "Self Client's user is not in that org. Run " + _RECONNECT_CC + " with the right id"
    ),
    "unauthorized_client": (
        "Zoho allows the client-credentials grant only for a Self Client; create one in the "
        "Zoho API console (Self Client) and connect with its client id and secret"
    ),
}


def decode_json(content: bytes) -> Any:
    """Parse a Zoho body; amounts become Decimal so no cent is lost to float rounding."""
    if not content:
        return None
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError:
        return None


def oauth_error(body: Any, *, grant_type: str, accounts_url: str,
                redirect_uri: str | None = None, soid: str | None = None) -> ConnectorError:
    """Map an accounts-server error body (HTTP 200!) to a clear, actionable error."""
    raw = str(body.get("error", "unknown")) if isinstance(body, dict) else "unknown"
    code = raw.strip().lower()
    if grant_type == "client_credentials" and code != "access denied":
        template = _CLIENT_CREDENTIALS_HINTS.get(code)
        if template is not None:
            text = template.format(accounts_url=accounts_url, soid=soid)
        else:
            known = OAUTH_ERRORS.get(code)
            text = (known.hint.format(accounts_url=accounts_url, redirect_uri="it") if known
                    else raw) + (f" (client-credentials grant for soid={soid}: check the org "
                                 "id and that the client is a Self Client)")
        return FatalError(f"Zoho token request failed: {text}", code=raw, details=body)
    if code == "invalid_code":
        hint = _INVALID_CODE_HINTS.get(grant_type, _INVALID_CODE_HINTS["authorization_code"])
        return FatalError(f"Zoho token request failed: {hint}", code=raw, details=body)
    known = OAUTH_ERRORS.get(code)
    if known is None:
        desc = body.get("error_description", "") if isinstance(body, dict) else ""
        return FatalError(f"Zoho token request failed: {raw} {desc}".rstrip(), code=raw,
                          details=body)
    hint = known.hint.format(accounts_url=accounts_url, redirect_uri=redirect_uri or "it")
    if known.kind is RetriableError:
        # Zoho's window is ten minutes: say so, and let the caller come back rather than
        # hold the refresh lock (and every thread waiting on it) through a long backoff.
        return RetriableError(f"Zoho token request refused: {hint}", code=raw, details=body,
                              retry_after=600.0)
    return known.kind(f"Zoho token request failed: {hint}", code=raw, details=body)


@dataclass(frozen=True, slots=True)
class _ApiCode:
    kind: type[ConnectorError]
    hint: str


API_CODES: dict[str, _ApiCode] = {
    "INVALID_TOKEN": _ApiCode(FatalError, "Zoho refused a freshly refreshed access token; "
                              + CONNECT_AGAIN),
    "AUTHENTICATION_FAILURE": _ApiCode(FatalError, "Zoho could not authenticate the call; "
                                       + CONNECT_AGAIN),
    "OAUTH_SCOPE_MISMATCH": _ApiCode(FatalError, "the connection lacks a scope this call needs; "
                                     + CONNECT_AGAIN + " (it asks for every scope we use)"),
    "NO_PERMISSION": _ApiCode(FatalError, "the connected Zoho user lacks permission for this; "
                              "connect as a user with the Administrator profile"),
    "INVALID_MODULE": _ApiCode(FatalError, "the module does not exist in this Zoho org; the "
                               "edition may lack it (Invoices needs Professional or above)"),
    "NOT_SUPPORTED": _ApiCode(FatalError, "this Zoho edition does not support the operation"),
    "FEATURE_NOT_SUPPORTED": _ApiCode(FatalError, "this Zoho edition lacks the feature"),
    "INVALID_URL_PATTERN": _ApiCode(FatalError, "Zoho does not know this URL; check api_domain"),
    "TOO_MANY_REQUESTS": _ApiCode(RetriableError, "Zoho's concurrency or rate limit was hit"),
    "INTERNAL_ERROR": _ApiCode(RetriableError, "Zoho had an internal error"),
    "LIMIT_REACHED": _ApiCode(RetriableError, "the org's daily API credits are used up; "
                              "calls resume when Zoho's 24-hour window moves on"),
}


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds; Zoho documents none, but a proxy in between may send one."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _status_default(status: int) -> tuple[type[ConnectorError], str]:
    if status == 429:
        return RetriableError, "TOO_MANY_REQUESTS"
    if status >= 500:
        return RetriableError, f"HTTP_{status}"
    if status == 401:
        return FatalError, "INVALID_TOKEN"
    return FatalError, f"HTTP_{status}"


# Wrappers whose list holds one result per item sent; a 400 or 202 then means "all refused".
_ITEM_WRAPPERS = ("data", "fields", "watch", "__composite_requests")


def _per_item(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    for key in _ITEM_WRAPPERS:
        items = body.get(key)
        if isinstance(items, list) and items and all(
            isinstance(i, dict) and "status" in i for i in items
        ):
            return True
    return False


def api_error(response: httpx.Response, body: Any) -> ConnectorError | None:
    """The error a whole response stands for, or None when it carries data/per-record items."""
    status = response.status_code
    if status < 400 and not (isinstance(body, dict) and body.get("status") == "error"):
        return None
    if status in (400, 202) and _per_item(body):
        return None
    kind, code = _status_default(status)
    message, details = "", None
    if isinstance(body, dict):
        code = str(body.get("code") or code)
        message = str(body.get("message") or "")
        details = body.get("details")
    known = API_CODES.get(code)
    if status == 429 or status >= 500:
        kind = RetriableError  # whatever the code says, these go away by themselves
    elif known is not None:
        kind = known.kind
    what = f"{response.request.method} {response.request.url.path}"
    text = f"Zoho answered HTTP {status} to {what}: {message or code}"
    if known is not None:
        text += f" ({known.hint})"
    if kind is RetriableError:
        after = retry_after_seconds(response.headers.get("Retry-After"))
        return RetriableError(text, code=code, details=details, retry_after=after)
    return kind(text, code=code, details=details)


def record_error(item: dict[str, Any]) -> RecordError:
    """One refused record of a batch; ``details`` names the field (api_name) when Zoho does."""
    code = str(item.get("code") or "UNKNOWN")
    details = item.get("details")
    message = str(item.get("message") or code)
    field = details.get("api_name") if isinstance(details, dict) else None
    if field:
        message = f"{message} (field {field})"
    return RecordError(message, code=code, details=details)


def transport_error(exc: httpx.TransportError, what: str) -> RetriableError:
    """Network trouble. Connect failures never reached Zoho, so even an insert may repeat."""
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        code = "CONNECT_FAILED"
    elif isinstance(exc, httpx.TimeoutException):
        code = "TIMEOUT"
    else:
        code = "NETWORK"
    return RetriableError(f"{what} failed: {type(exc).__name__}: {exc}", code=code)

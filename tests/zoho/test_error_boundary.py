"""The one boundary: each kind of Zoho answer becomes exactly one kind of connector error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connector.errors import FatalError, RecordError, RetriableError
from connector.zoho.errors import api_error, oauth_error, record_error, transport_error


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("POST", "https://www.zohoapis.eu/crm/v8/Accounts/upsert")
    return httpx.Response(status, json=body, headers=headers, request=request)


def test_429_is_retriable_and_keeps_a_retry_after_when_one_is_sent() -> None:
    body = {"code": "TOO_MANY_REQUESTS", "message": "limit", "status": "error"}
    err = api_error(_answer(429, body, {"Retry-After": "12"}), body)
    assert isinstance(err, RetriableError) and err.code == "TOO_MANY_REQUESTS"
    assert err.retry_after == 12.0
    bare = api_error(_answer(429, body), body)
    assert isinstance(bare, RetriableError) and bare.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retriable(status: int) -> None:
    err = api_error(_answer(status, None), None)
    assert isinstance(err, RetriableError) and err.code == f"HTTP_{status}"


@pytest.mark.parametrize("code,status", [("OAUTH_SCOPE_MISMATCH", 401), ("INVALID_MODULE", 400),
                                         ("NO_PERMISSION", 403), ("INVALID_TOKEN", 401)])
def test_auth_scope_and_edition_errors_are_fatal_with_a_hint(code: str, status: int) -> None:
    body = {"code": code, "message": "m", "status": "error", "details": {"x": 1}}
    err = api_error(_answer(status, body), body)
    assert isinstance(err, FatalError) and err.code == code and err.details == {"x": 1}
    assert "(" in err.message  # the hint says what to do


def test_a_batch_refused_record_by_record_is_not_a_whole_call_error() -> None:
    body = {"data": [{"code": "MANDATORY_NOT_FOUND", "status": "error",
                      "details": {"api_name": "Account_Name"}, "message": "required"}]}
    assert api_error(_answer(400, body), body) is None


def test_record_error_names_the_field() -> None:
    err = record_error({"code": "DUPLICATE_DATA", "message": "duplicate data",
                        "details": {"api_name": "QBD_Key"}, "status": "error"})
    assert isinstance(err, RecordError) and err.code == "DUPLICATE_DATA"
    assert "QBD_Key" in err.message


def test_connect_failures_are_marked_as_never_sent() -> None:
    err = transport_error(httpx.ConnectError("refused"), "Zoho GET /org")
    assert isinstance(err, RetriableError) and err.code == "CONNECT_FAILED"
    assert transport_error(httpx.ReadTimeout("slow"), "x").code == "TIMEOUT"


def test_token_throttling_is_retriable_and_unknown_errors_are_fatal() -> None:
    throttled = oauth_error({"error": "Access Denied", "error_description": "too many"},
                            grant_type="refresh_token", accounts_url="https://accounts.zoho.com")
    assert isinstance(throttled, RetriableError) and "10 access tokens" in throttled.message
    odd = oauth_error({"error": "general_error"}, grant_type="refresh_token",
                      accounts_url="https://accounts.zoho.com")
    assert isinstance(odd, FatalError) and odd.code == "general_error"

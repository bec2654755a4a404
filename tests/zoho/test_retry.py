from __future__ import annotations

from typing import Any

import pytest

from connector.errors import FatalError, RetriableError
from connector.zoho.retry import RetryPolicy


def _policy(**kw: Any) -> tuple[RetryPolicy, list[float]]:
    slept: list[float] = []
    return RetryPolicy(sleep=slept.append, random=lambda: 0.5, **kw), slept


def _failing(errors: list[Exception]):
    calls = {"n": 0}

    def fn() -> str:
        calls["n"] += 1
        if errors:
            raise errors.pop(0)
        return "ok"

    return fn, calls


def test_backoff_grows_exponentially_and_is_capped_with_jitter() -> None:
    policy, _ = _policy(base_delay=1.0, max_delay=8.0, jitter=0.5)
    # raw 1, 2, 4, 8, 8 -> with random()=0.5 and jitter 0.5: 75 % of raw
    assert [policy.backoff(i) for i in range(1, 6)] == [0.75, 1.5, 3.0, 6.0, 6.0]


def test_retriable_errors_are_retried_until_success() -> None:
    policy, slept = _policy(attempts=4)
    fn, calls = _failing([RetriableError("busy", code="TOO_MANY_REQUESTS")] * 3)
    assert policy.run(fn, what="t") == "ok"
    assert calls["n"] == 4 and len(slept) == 3


def test_exhausted_retries_raise_the_last_retriable_error() -> None:
    policy, slept = _policy(attempts=3)
    fn, calls = _failing([RetriableError(f"busy {i}", code="HTTP_503") for i in range(5)])
    with pytest.raises(RetriableError, match="busy 2"):
        policy.run(fn, what="t")
    assert calls["n"] == 3 and len(slept) == 2


def test_fatal_errors_are_never_retried() -> None:
    policy, slept = _policy()
    fn, calls = _failing([FatalError("no scope", code="OAUTH_SCOPE_MISMATCH")])
    with pytest.raises(FatalError):
        policy.run(fn, what="t")
    assert calls["n"] == 1 and slept == []


def test_retry_after_is_honoured_instead_of_backoff() -> None:
    policy, slept = _policy()
    fn, _ = _failing([RetriableError("slow down", code="TOO_MANY_REQUESTS", retry_after=7.0)])
    policy.run(fn, what="t")
    assert slept == [7.0]


def test_retry_after_beyond_the_cap_gives_up_at_once() -> None:
    policy, slept = _policy(max_retry_after=60.0)
    fn, _ = _failing([RetriableError("tomorrow", code="TOO_MANY_REQUESTS", retry_after=3600.0)])
    with pytest.raises(RetriableError):
        policy.run(fn, what="t")
    assert slept == []


def test_non_idempotent_call_repeats_only_what_zoho_never_ran() -> None:
    policy, _ = _policy()
    timeout, _ = _failing([RetriableError("read timeout", code="TIMEOUT")])
    with pytest.raises(RetriableError):
        policy.run(timeout, what="insert", idempotent=False)
    throttled, calls = _failing([RetriableError("429", code="TOO_MANY_REQUESTS")])
    assert policy.run(throttled, what="insert", idempotent=False) == "ok"
    assert calls["n"] == 2


def test_give_up_codes_are_not_retried_within_a_call() -> None:
    policy, slept = _policy()
    fn, _ = _failing([RetriableError("budget", code="CREDIT_BUDGET")])
    with pytest.raises(RetriableError):
        policy.run(fn, what="t")
    assert slept == []


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=2.0)

"""``ZohoClient``: every call the connector makes to Zoho CRM goes through ``call`` below.

One call = charge credits (stop before the day's budget runs out) -> take a concurrency slot
-> send (auth adds and refreshes the token) -> sort the answer at the error boundary -> retry
per policy, sleeping outside the slot. Batches run in parallel on a thread pool as wide as the
org's concurrency; the limiter keeps them from ever causing a 429 themselves.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx

from connector.errors import ConnectorError
from connector.store.types import utcnow
from connector.tls import tls_context
from connector.zoho.auth import ZohoAuth
from connector.zoho.base import Reply, encode_json
from connector.zoho.coql import CoqlApi
from connector.zoho.errors import api_error, decode_json, transport_error
from connector.zoho.fields import MetadataApi
from connector.zoho.limits import READ, ConcurrencyLimiter, Cost, CreditMeter, UnmeteredCredits
from connector.zoho.limits import edition as edition_limits
from connector.zoho.notifications import NotificationsApi
from connector.zoho.records import RecordsApi
from connector.zoho.retry import DEFAULT_RETRY, RetryPolicy

__all__ = ["ZohoClient", "CallTally"]

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

_worker = threading.local()


class CallTally:
    """Calls and credits this client spent: a plan reports what it cost and that it wrote
    nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reads = self.writes = self.credits = 0

    def add(self, method: str, path: str, credits: int) -> None:
        # COQL is a POST that only reads.
        write = method != "GET" and path != "/coql"
        with self._lock:
            self.writes += write
            self.reads += not write
            self.credits += credits


class ZohoClient(RecordsApi, CoqlApi, MetadataApi, NotificationsApi):
    """Zoho CRM API v8 for one org. Thread-safe; use as a context manager or call ``close``."""

    def __init__(self, auth: ZohoAuth, *, api_domain: str | None = None,
                 transport: httpx.BaseTransport | None = None,
                 retry: RetryPolicy = DEFAULT_RETRY,
                 limiter: ConcurrencyLimiter | None = None,
                 credits: CreditMeter | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 timeout: float = 60.0, api_version: str = "v8"):
        self.auth = auth
        self._api_domain = api_domain.rstrip("/") if api_domain else None
        self.retry = retry
        # Without a known edition, the Free edition's limit is the one that cannot overrun.
        self.limiter = limiter or ConcurrencyLimiter(edition_limits(None).concurrency)
        self.credits = credits or UnmeteredCredits()
        self.clock = clock
        self.api_version = api_version
        self._http = httpx.Client(transport=transport, auth=auth, timeout=timeout,
                                  verify=tls_context())
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        # Failures tried again, by error code: a run's audit shows what Zoho put it through.
        self.retried: Counter[str] = Counter()
        self._retried_lock = threading.Lock()
        self.tally = CallTally()
        self.refused_lists: set[tuple[str, str]] = set()

    @property
    def api_domain(self) -> str:
        return self._api_domain or self.auth.api_domain

    def __enter__(self) -> ZohoClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Return unspent reserved credits, stop the worker threads, close connections."""
        self.credits.release()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._http.close()
        self.auth.endpoint.close()

    def call(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             body: Any = None, headers: Mapping[str, str] | None = None, cost: Cost = READ,
             idempotent: bool = True) -> Reply:
        """One API call below ``{api_domain}/crm/v8``; returns the decoded answer or raises."""
        content = encode_json(body) if body is not None else None
        sent_headers = dict(headers or {})
        if content is not None:
            sent_headers["Content-Type"] = "application/json"
        what = f"Zoho {method} {path}"

        def attempt() -> Reply:
            self.credits.charge(cost.credits)
            self.tally.add(method, path, cost.credits)
            url = f"{self.api_domain}/crm/{self.api_version}{path}"
            with self.limiter.slot(cost.heavy):
                try:
                    response = self._http.request(method, url, params=params, content=content,
                                                  headers=sent_headers)
                except httpx.TransportError as exc:
                    raise transport_error(exc, what) from exc
            decoded = decode_json(response.content)
            error = api_error(response, decoded)
            if error is not None:
                raise error
            log.debug("%s -> %d", what, response.status_code)
            return Reply(response.status_code, decoded, response.headers)

        return self.retry.run(attempt, what=what, idempotent=idempotent,
                              on_retry=self._count_retry)

    def _count_retry(self, exc: ConnectorError) -> None:
        with self._retried_lock:  # calls run on the pool's threads
            self.retried[str(exc.code or type(exc).__name__)] += 1

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.limiter.concurrency,
                                                thread_name_prefix="zoho",
                                                initializer=_mark_worker)
            return self._pool

    def parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items`` on the worker threads, results in order; first error raised."""
        if len(items) <= 1 or getattr(_worker, "active", False):
            # A worker that fans out again would wait on its own pool: run inline instead.
            return [fn(item) for item in items]
        futures: list[Future[R]] = [self._executor().submit(fn, item) for item in items]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _mark_worker() -> None:
    _worker.active = True

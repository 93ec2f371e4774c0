"""`UpstreamClient`: one typed method per documented endpoint of the REST account API.

This is the only place where aiohttp's errors are caught (`_exchange`, one attempt
of `_request`): each becomes one of `gateway.upstream.errors`, raised `from` the
original. Every attempt asks the circuit breaker first and tells it how it ended,
is counted in the metrics by endpoint template, and may be retried as
`retry.RetryPolicy` allows. Only the readiness check (`check_reachable`) goes
around the breaker.

Timeouts: the session's total timeout is the deadline of a whole call, retries
and the waits between them included; `RetryPolicy.attempt_timeout` cuts each
attempt that another may follow, so a hanging upstream shows as timeouts (which
the breaker counts) well before the deadline.
"""

import asyncio
import functools
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

import aiohttp
import orjson
from multidict import CIMultiDictProxy
from yarl import URL

from gateway.edge.request_id import HEADER as REQUEST_ID_HEADER
from gateway.edge.request_id import current_request_id
from gateway.metrics import Metrics
from gateway.upstream.breaker import BreakerPolicy, CircuitBreaker, Permit
from gateway.upstream.credentials import Credentials
from gateway.upstream.errors import (
    UpstreamBadBody,
    UpstreamCircuitOpen,
    UpstreamError,
    UpstreamUnavailable,
    error_from_response,
)
from gateway.upstream.models import (
    Account,
    ListName,
    MediaKind,
    MediaPage,
    Rated,
    SortOrder,
    parse_toggle,
)
from gateway.upstream.retry import RetryPolicy

_ACCEPT = {"Accept": "application/json"}
_LEAST_TIMEOUT = 0.001
#: How each kind's list pages are read from the body.
_READ_PAGE = {
    kind: functools.partial(MediaPage.from_body, kind=kind) for kind in MediaKind
}

T = TypeVar("T")


class _Call(NamedTuple):
    """One logical upstream call: what each of its attempts sends.

    A named tuple rather than a frozen dataclass: as immutable, and built in a
    fraction of the time (a frozen dataclass sets each field through
    `object.__setattr__`), once per upstream call.
    """

    method: str
    url: str  # without the query string: what errors name
    target: URL  # what is requested: `url` and its query string
    endpoint: str  # "GET account/{id}/favorite": the metrics label, never ids
    headers: Mapping[str, str]
    payload: Mapping[str, Any] | None
    guarded: bool = True  # asks the breaker and tells it the outcome


class UpstreamClient:
    """Calls the REST API under `base_url` on a session it is given and never owns.

    `base_url` is the API root (`https://host/api`); every path is appended to it.
    Each call forwards the caller's `Credentials` (and the current request id)
    and nothing else, so nothing of one caller can reach another's request. The
    session's total timeout is the deadline of a whole call, retries and the waits
    between them included. Every method raises `UpstreamError`.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/") + "/"
        self._base = URL(self._base_url)
        self._retry = retry or RetryPolicy()
        self._breaker = breaker or CircuitBreaker(BreakerPolicy(enabled=False))
        self._metrics = metrics or Metrics()
        self._last_timeout = session.timeout

    async def get_account(self, credentials: Credentials) -> Account:
        """`GET /account`: the account the credentials belong to."""
        body: object = await self._request(
            "GET", "account", credentials, endpoint="account"
        )
        return Account.from_json(body)

    async def check_reachable(self) -> None:
        """`GET /account` without credentials, for readiness: returns if upstream
        answers 2xx, else raises `UpstreamError` (a 401 is the usual answer).

        The breaker neither admits nor counts it: how often an orchestrator probes
        readiness must not open or close the circuit, and readiness must report
        upstream itself, not what the breaker last concluded.
        """
        await self._request(
            "GET", "account", Credentials(()), endpoint="account", guarded=False
        )

    async def list_media(
        self,
        credentials: Credentials,
        account_id: int,
        list_name: ListName,
        kind: MediaKind,
        *,
        page: int,
        language: str,
        sort: SortOrder,
    ) -> MediaPage:
        """`GET /account/{id}/{list}/{movies|tv}`: one page of one of the lists."""
        path = f"account/{account_id}/{list_name.value}/{kind.plural}"
        query = _list_query(page, language, sort)
        endpoint = "account/{id}/{list}/{kind}"
        return await self._request(
            "GET",
            path,
            credentials,
            endpoint=endpoint,
            query=query,
            read=_READ_PAGE[kind],
        )

    async def set_favorite(
        self,
        credentials: Credentials,
        account_id: int,
        kind: MediaKind,
        media_id: int,
        favorite: bool,
    ) -> bool:
        """`POST /account/{id}/favorite`: the favorite status upstream now holds."""
        return await self._toggle(
            credentials, account_id, "favorite", kind, media_id, favorite
        )

    async def set_watchlist(
        self,
        credentials: Credentials,
        account_id: int,
        kind: MediaKind,
        media_id: int,
        watchlist: bool,
    ) -> bool:
        """`POST /account/{id}/watchlist`: the watchlist status upstream now holds."""
        return await self._toggle(
            credentials, account_id, "watchlist", kind, media_id, watchlist
        )

    async def rate(
        self, credentials: Credentials, kind: MediaKind, media_id: int, rating: float
    ) -> float | None:
        """`POST /{movie|tv}/{id}/rating`: the rating upstream now holds."""
        path = f"{kind.value}/{media_id}/rating"
        body: object = await self._request(
            "POST",
            path,
            credentials,
            endpoint="{kind}/{id}/rating",
            payload={"rating": rating},
        )
        return Rated.from_json(body, requested=rating).value

    async def delete_rating(
        self, credentials: Credentials, kind: MediaKind, media_id: int
    ) -> None:
        """`DELETE /{movie|tv}/{id}/rating`."""
        path = f"{kind.value}/{media_id}/rating"
        body: object = await self._request(
            "DELETE", path, credentials, endpoint="{kind}/{id}/rating"
        )
        Rated.from_json(body, requested=None)

    async def _toggle(
        self,
        credentials: Credentials,
        account_id: int,
        field: str,
        kind: MediaKind,
        media_id: int,
        flag: bool,
    ) -> bool:
        payload = {"media_type": kind.value, "media_id": media_id, field: flag}
        body: object = await self._request(
            "POST",
            f"account/{account_id}/{field}",
            credentials,
            endpoint=f"account/{{id}}/{field}",
            payload=payload,
        )
        return parse_toggle(body, field, requested=flag)

    async def _request(
        self,
        method: str,
        path: str,
        credentials: Credentials,
        *,
        endpoint: str,
        query: str = "",
        payload: Mapping[str, Any] | None = None,
        guarded: bool = True,
        read: Callable[[bytes], T] = orjson.loads,
    ) -> T:
        """Call `path` with `query` (encoded) and `read` its body (decode its
        JSON by default); `endpoint` is its template, for metrics.

        The URL is built from parts already encoded: the base's, a `path` of ids
        and fixed names only, and a query encoded by `_list_query`. aiohttp would
        otherwise parse the URL and encode the query again on every attempt.
        """
        url = self._base_url + path
        target = URL.build(
            scheme=self._base.scheme,
            authority=self._base.raw_authority,
            path=self._base.raw_path + path,
            query_string=query,
            encoded=True,
        )
        headers = _headers(credentials)
        endpoint = f"{method} {endpoint}"
        call = _Call(method, url, target, endpoint, headers, payload, guarded)
        return _read(read, await self._send(call), method=method, url=url)

    async def _send(self, call: _Call) -> bytes:
        """Attempt `call` until it succeeds or the retry policy gives up."""
        attempts = self._retry.start(call.method, self._deadline())
        while True:
            try:
                return await self._attempt(call, attempts.timeout())
            except UpstreamError as error:
                delay = attempts.delay_before_retry(error)
                if delay is None:
                    raise
            await asyncio.sleep(delay)

    async def _attempt(self, call: _Call, limit: float | None) -> bytes:
        """One exchange, if the breaker admits it; counted there and in the metrics."""
        permit = self._admit(call)
        started, outcome = time.perf_counter(), None
        try:
            status, headers, body = await self._exchange(call, limit)
            outcome = str(status)
            if not 200 <= status < 300:
                raise error_from_response(
                    status, headers, body, method=call.method, url=call.url
                )
            return body
        except UpstreamUnavailable as exc:
            outcome = "timeout" if isinstance(exc.__cause__, TimeoutError) else "error"
            raise
        finally:
            self._settle(call, permit, outcome, time.perf_counter() - started)

    def _admit(self, call: _Call) -> Permit | None:
        """The breaker's permit for `call` (None: it goes around the breaker);
        raises `UpstreamCircuitOpen` if the breaker refuses it."""
        if not call.guarded:
            return None
        if (permit := self._breaker.admit()) is None:
            self._count(call, "circuit_open")
            retry_in = self._breaker.retry_in
            raise UpstreamCircuitOpen(retry_in, method=call.method, url=call.url)
        return permit

    async def _exchange(
        self, call: _Call, limit: float | None
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        try:
            # Redirects are not followed: the credentials must not travel on to
            # wherever upstream points, and the documented API never redirects.
            async with self._session.request(
                call.method,
                call.target,
                json=call.payload,
                headers=call.headers,
                allow_redirects=False,
                timeout=self._timeout(limit),
            ) as response:
                return response.status, response.headers, await response.read()
        # aiohttp raises a total timeout as plain TimeoutError, not a ClientError.
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamUnavailable(method=call.method, url=call.url) from exc

    def _settle(
        self, call: _Call, permit: Permit | None, outcome: str | None, seconds: float
    ) -> None:
        """Tell the breaker and the metrics how an admitted attempt ended."""
        if outcome is None:  # cancelled: no answer, so no evidence either way
            if permit is not None:
                self._breaker.abandon(permit)
            return
        if permit is not None:
            failed = outcome in ("error", "timeout") or outcome.startswith("5")
            self._breaker.record(permit, failed=failed)
        self._count(call, outcome)
        self._metrics.upstream_latency(call.endpoint).observe(seconds)

    def _count(self, call: _Call, outcome: str) -> None:
        self._metrics.upstream_requests(call.endpoint, outcome).inc()

    def _deadline(self) -> float | None:
        total = self._session.timeout.total
        return None if total is None else time.monotonic() + total

    def _timeout(self, total: float | None) -> aiohttp.ClientTimeout:
        """The session's timeouts, with `total` cut to what this attempt may take.

        The last one built is kept and reused while `total` stays the same (every
        first attempt of a GET is cut to `RetryPolicy.attempt_timeout`), since a
        `ClientTimeout` is immutable and building one is a measurable share of an
        attempt's own cost.
        """
        if total is not None:
            # aiohttp reads a total of 0 as "no timeout": a deadline already
            # reached must still time the attempt out, at once.
            total = max(total, _LEAST_TIMEOUT)
        if total != self._last_timeout.total:
            self._last_timeout = _cut(self._session.timeout, total)
        return self._last_timeout


def _cut(base: aiohttp.ClientTimeout, total: float | None) -> aiohttp.ClientTimeout:
    """`base` with its total replaced by `total`."""
    return aiohttp.ClientTimeout(
        total=total,
        connect=base.connect,
        sock_read=base.sock_read,
        sock_connect=base.sock_connect,
        ceil_threshold=base.ceil_threshold,
    )


@functools.lru_cache(maxsize=256)
def _list_query(page: int, language: str, sort: SortOrder) -> str:
    """The encoded query string of a list page, as aiohttp's `params` encode it.

    Kept for the few distinct pages, languages and orders that callers ask for:
    aiohttp encoding `params` on every attempt cost about 26 K instructions a
    GET, 8 % of what it spends on one (callgrind).
    """
    query = {"page": str(page), "language": language, "sort_by": sort.value}
    return URL.build(query=query).raw_query_string


def _headers(credentials: Credentials) -> dict[str, str]:
    headers = {**_ACCEPT, **dict(credentials.headers)}
    if (request_id := current_request_id()) is not None:
        headers[REQUEST_ID_HEADER] = request_id
    return headers


def _read(read: Callable[[bytes], T], body: bytes, *, method: str, url: str) -> T:
    """`read(body)`; a ValueError, which orjson raises, says it is not JSON."""
    try:
        return read(body)
    except ValueError as exc:
        raise UpstreamBadBody("the body is not JSON", method=method, url=url) from exc

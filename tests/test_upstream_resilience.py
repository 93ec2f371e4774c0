"""Retries, deadline and circuit breaker, end to end against the live reference API.

Caches are off (TTL 0, nothing served stale) so that every query reaches upstream
and `Calls` counts exactly the attempts the gateway made.
"""

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway import reference_api
from gateway.settings import Settings
from harness.servers import RunningServer, bound_socket, run_server
from tests.conftest import ALICE, BOB, Upstream, metric, running_gateway
from tests.graphql_client import GraphQLClient, Result

ACCOUNT = "{ account { id } }"
SET_FAVORITE = (
    "mutation { setFavorite(mediaType: MOVIE, mediaId: 603, favorite: true) "
    "{ favorite } }"
)
GET_ACCOUNT = "GET /account"


def resilient(upstream_url: str, **overrides: Any) -> Settings:
    """Uncached settings with quick backoff; `overrides` set what a test is about.

    An attempt may take the whole timeout, as in the `settings` fixture: these
    tests count calls, which a slow answer's retry would add to."""
    options: dict[str, Any] = {
        "upstream_timeout": 2.0,
        "upstream_attempt_timeout": 0,
        "upstream_retry_backoff": 0.01,
        "account_ttl": 0,
        "list_ttl": 0,
        "stale_ttl": 0,
    }
    return Settings(upstream_url=upstream_url, **{**options, **overrides})


def breaking(
    upstream_url: str, *, min_calls: int, open_time: float, probes: int = 1
) -> Settings:
    """Settings whose breaker opens once half of at least `min_calls` attempts
    failed, for `open_time` (retries off: one query, one attempt)."""
    return resilient(
        upstream_url,
        upstream_retries=0,
        upstream_breaker_min_calls=min_calls,
        upstream_breaker_failure_rate=50,
        upstream_breaker_probes=probes,
        upstream_breaker_open_time=open_time,
        upstream_breaker_max_open_time=open_time,
    )


@contextlib.asynccontextmanager
async def gateway_client(
    settings: Settings, client_for: Callable[..., GraphQLClient]
) -> AsyncIterator[tuple[GraphQLClient, RunningServer]]:
    async with running_gateway(settings) as server:
        yield client_for(server, ALICE), server


async def breaker_is(
    http: aiohttp.ClientSession, server: RunningServer, state: str
) -> bool:
    name = "gateway_upstream_breaker_state"
    return await metric(http, server, name, **{name: state}) == 1.0


def attempts(endpoint: str, status: str) -> dict[str, str]:
    return {"endpoint": endpoint, "status": status}


REQUESTS = "gateway_upstream_requests_total"
OPENED = "gateway_upstream_breaker_opened_total"


async def test_a_get_is_retried_through_a_burst_of_503s(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], http: Any
) -> None:
    upstream.faults.status, upstream.faults.times = 503, 2
    settings = resilient(upstream.url, upstream_retries=2)
    async with gateway_client(settings, client_for) as (client, server):
        result = await client.query(ACCOUNT)
        assert result.errors == []
        assert result.data == {"account": {"id": 12345}}
        assert upstream.calls.count(GET_ACCOUNT) == 3
        labels = attempts("GET account", "503")
        assert await metric(http, server, REQUESTS, **labels) == 2
        labels = attempts("GET account", "200")
        assert await metric(http, server, REQUESTS, **labels) == 1


async def test_a_mutation_is_never_retried(
    upstream: Upstream, client_for: Callable[..., GraphQLClient]
) -> None:
    settings = resilient(upstream.url, upstream_retries=2, account_ttl=30)
    async with gateway_client(settings, client_for) as (client, _):
        assert (await client.query(ACCOUNT)).errors == []  # the account is cached
        upstream.faults.status, upstream.faults.times = 503, 1
        result = await client.query(SET_FAVORITE)
    assert result.codes == ["UPSTREAM_ERROR"]
    assert upstream.calls.count("POST /account/{account_id}/favorite") == 1


async def test_retries_turned_off_make_exactly_one_call(
    upstream: Upstream, client_for: Callable[..., GraphQLClient]
) -> None:
    upstream.faults.status = 503
    async with gateway_client(
        resilient(upstream.url, upstream_retries=0), client_for
    ) as (client, _):
        result = await client.query(ACCOUNT)
    assert result.codes == ["UPSTREAM_ERROR"]
    assert upstream.calls.count(GET_ACCOUNT) == 1


async def test_a_slow_answer_is_retried_after_the_attempt_timeout(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], http: Any
) -> None:
    upstream.faults.delay, upstream.faults.times = 30.0, 1
    settings = resilient(
        upstream.url, upstream_timeout=5.0, upstream_attempt_timeout=0.3
    )
    async with gateway_client(settings, client_for) as (client, server):
        result = await client.query(ACCOUNT)
        assert result.errors == []
        assert upstream.calls.count(GET_ACCOUNT) == 2
        labels = attempts("GET account", "timeout")
        assert await metric(http, server, REQUESTS, **labels) == 1


async def test_an_upstream_slower_than_the_deadline_is_unavailable_in_time(
    upstream: Upstream, client_for: Callable[..., GraphQLClient]
) -> None:
    upstream.faults.delay = 30.0
    settings = resilient(
        upstream.url,
        upstream_timeout=1.0,
        upstream_attempt_timeout=0.2,
        upstream_retries=50,
    )
    async with gateway_client(settings, client_for) as (client, _):
        started = time.monotonic()
        result = await client.query(ACCOUNT)
        elapsed = time.monotonic() - started
    assert result.codes == ["UPSTREAM_UNAVAILABLE"]
    # Retries never stretch a call past its 1 s deadline: 51 attempts of 0.2 s
    # would take over 10 s, so a machine however busy tells the two apart.
    assert elapsed < 5
    assert upstream.calls.count(GET_ACCOUNT) >= 2


@pytest.mark.parametrize(
    ("retry_after", "times", "calls", "codes"),
    [
        ("0.05", 1, 2, []),
        ("0.05", None, 2, ["RATE_LIMITED"]),
        ("30", None, 1, ["RATE_LIMITED"]),
    ],
    ids=["short-then-data", "short-waited-out-once", "long-raised-at-once"],
)
async def test_a_get_waits_out_only_a_short_retry_after_and_only_once(
    upstream: Upstream,
    client_for: Callable[..., GraphQLClient],
    retry_after: str,
    times: int | None,
    calls: int,
    codes: list[str],
) -> None:
    upstream.faults.status, upstream.faults.times = 429, times
    upstream.faults.headers = {"Retry-After": retry_after}
    settings = resilient(upstream.url, upstream_retries=3)
    async with gateway_client(settings, client_for) as (client, _):
        result = await client.query(ACCOUNT)
    assert result.codes == codes
    assert upstream.calls.count(GET_ACCOUNT) == calls
    if codes:
        extensions = result.error_at("account")["extensions"]
        assert extensions["retryAfter"] == float(retry_after)


async def test_the_breaker_opens_and_then_fails_fast_without_calling(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], http: Any
) -> None:
    settings = breaking(upstream.url, min_calls=4, open_time=60.0)
    async with gateway_client(settings, client_for) as (client, server):
        upstream.faults.status = 404  # an answer: upstream is alive
        for _ in range(3):
            assert (await client.query(ACCOUNT)).codes == ["NOT_FOUND"]
        upstream.faults.status = 503
        for _ in range(2):
            assert (await client.query(ACCOUNT)).codes == ["UPSTREAM_ERROR"]
        assert await breaker_is(http, server, "closed")  # 2 of 5 failed
        assert (await client.query(ACCOUNT)).codes == ["UPSTREAM_ERROR"]
        assert await breaker_is(http, server, "open")  # 3 of 6
        assert await metric(http, server, OPENED) == 1
        result = await client.query(ACCOUNT)
        assert upstream.calls.count(GET_ACCOUNT) == 6  # answered without a call
        labels = attempts("GET account", "circuit_open")
        assert await metric(http, server, REQUESTS, **labels) == 1
    assert result.codes == ["UPSTREAM_UNAVAILABLE"]
    error = result.error_at("account")
    assert 0 < error["extensions"]["retryAfter"] <= 60
    assert "will not call it again" in error["message"]


async def test_after_the_open_time_one_probe_closes_the_breaker(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], http: Any
) -> None:
    settings = breaking(upstream.url, min_calls=2, open_time=0.2)
    upstream.faults.status = 503
    async with gateway_client(settings, client_for) as (client, server):
        for _ in range(2):
            await client.query(ACCOUNT)
        assert await breaker_is(http, server, "open")
        upstream.faults.clear()
        upstream.calls.reset()
        result = await until_answered(client)
        assert upstream.calls.count(GET_ACCOUNT) == 1  # the probe alone
        assert await breaker_is(http, server, "closed")
    assert result.data == {"account": {"id": 12345}}


async def test_a_burst_of_503s_among_answers_leaves_the_breaker_closed(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], http: Any
) -> None:
    """Eight failures in a row, but among many answers: retries are for that."""
    async with gateway_client(resilient(upstream.url), client_for) as (client, server):
        for _ in range(20):
            assert (await client.query(ACCOUNT)).errors == []
        upstream.faults.status, upstream.faults.times = 503, 8
        codes = [(await client.query(ACCOUNT)).codes for _ in range(3)]
        assert codes == [["UPSTREAM_ERROR"], ["UPSTREAM_ERROR"], []]
        assert upstream.calls.count(GET_ACCOUNT) == 20 + 3 + 3 + 3
        assert await breaker_is(http, server, "closed")


async def test_half_open_probes_outlast_one_that_meets_a_fault(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], http: Any
) -> None:
    settings = breaking(upstream.url, min_calls=2, open_time=0.2, probes=3)
    upstream.faults.status = 503
    async with gateway_client(settings, client_for) as (client, server):
        for _ in range(2):
            await client.query(ACCOUNT)
        assert await breaker_is(http, server, "open")
        upstream.faults.times = 1  # the first probe meets the fault's last 503
        upstream.calls.reset()
        first = await until_attempted(client)
        assert first.codes == ["UPSTREAM_ERROR"]
        assert (await client.query(ACCOUNT)).errors == []
        assert await breaker_is(http, server, "half_open")
        assert (await client.query(ACCOUNT)).errors == []  # 1 of 3 failed
        assert await breaker_is(http, server, "closed")
        assert upstream.calls.count(GET_ACCOUNT) == 3
        assert await metric(http, server, OPENED) == 1  # the probe did not reopen it


async def readiness(http: aiohttp.ClientSession, server: RunningServer) -> int:
    async with http.get(f"{server.url}/readyz") as response:
        return response.status


async def test_readiness_probes_neither_open_nor_close_the_breaker(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], http: Any
) -> None:
    settings = breaking(upstream.url, min_calls=2, open_time=60.0)
    async with gateway_client(settings, client_for) as (client, server):
        upstream.faults.status = 503
        for _ in range(5):
            assert await readiness(http, server) == 503
        assert await breaker_is(http, server, "closed")
        for _ in range(2):
            await client.query(ACCOUNT)
        assert await breaker_is(http, server, "open")
        upstream.faults.clear()
        assert await readiness(http, server) == 200  # upstream itself, not the breaker
        assert await breaker_is(http, server, "open")


async def until_attempted(client: GraphQLClient, within: float = 10.0) -> Result:
    """Query until the breaker lets one through; polls (its open time passing is
    no event to wait for), bounded by `within`."""
    async with asyncio.timeout(within):
        while True:
            result = await client.query(ACCOUNT)
            if not circuit_open(result):
                return result
            await asyncio.sleep(0.02)


async def until_answered(client: GraphQLClient, within: float = 10.0) -> Result:
    """Query until the gateway answers with data; polls, bounded by `within`."""
    async with asyncio.timeout(within):
        while (result := await client.query(ACCOUNT)).errors:
            assert result.codes == ["UPSTREAM_UNAVAILABLE"]
            await asyncio.sleep(0.02)
    return result


@contextlib.asynccontextmanager
async def serving_api(sock: socket.socket) -> AsyncIterator[None]:
    """A fresh reference API on `sock`, as `gateway reference-api` would serve it."""
    app = Starlette(routes=[Mount("/api", reference_api.create_app())])
    async with run_server(app, sock):
        yield


def has_data(result: Result) -> bool:
    return not result.errors


def circuit_open(result: Result) -> bool:
    return any("will not call it again" in error["message"] for error in result.errors)


class Traffic:
    """Callers querying the gateway until stopped; each answer wakes `until`."""

    def __init__(self, client: GraphQLClient, bound: float) -> None:
        self.results: list[Result | None] = []  # None: took longer than `bound`
        self._client, self._bound = client, bound
        self._changed = asyncio.Condition()
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                async with asyncio.timeout(self._bound):
                    result: Result | None = await self._client.query(ACCOUNT)
            except TimeoutError:
                result = None
            async with self._changed:
                self.results.append(result)
                self._changed.notify_all()

    async def until(
        self, wanted: Callable[[Result], bool], since: int, within: float = 10.0
    ) -> None:
        """Wait for a `wanted` answer among those after the first `since`."""

        def seen() -> bool:
            return any(r is not None and wanted(r) for r in self.results[since:])

        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(seen)

    def stop(self) -> None:
        self._stop.set()


async def test_upstream_killed_and_restarted_mid_traffic(
    client_for: Callable[..., GraphQLClient], http: Any
) -> None:
    sock = bound_socket()
    port = sock.getsockname()[1]
    settings = resilient(f"http://127.0.0.1:{port}/api")  # the default breaker
    async with gateway_client(settings, client_for) as (client, server):
        traffic = Traffic(client, bound=settings.upstream_timeout + 1)
        async with serving_api(sock):
            callers = [asyncio.create_task(traffic.run()) for _ in range(4)]
            await traffic.until(has_data, since=0)
        await traffic.until(circuit_open, since=len(traffic.results))
        async with serving_api(bound_socket(port)):
            await traffic.until(has_data, since=len(traffic.results))
            traffic.stop()
            await asyncio.gather(*callers)
            assert await breaker_is(http, server, "closed")
            assert (await client.query(ACCOUNT)).errors == []
    assert None not in traffic.results, "a query outlasted the upstream timeout"
    codes = {code for result in traffic.results if result for code in result.codes}
    assert codes <= {"UPSTREAM_UNAVAILABLE"}


PAGE = """query ($page: Int!) { account { id
  favorites(mediaType: MOVIE, page: $page) { results { id } } } }"""
#: Seconds upstream hangs for. Every caller is answered by the gateway's own
#: bounds (two calls of the default 1 s timeout at most) long before: within half
#: of it even on a busy machine. How long callers wait is measured by the soak
#: (`bench.soak`: its verdict wants every answer within 2.5 s during a hang).
HANG = 10.0


async def timed(query: Awaitable[Result]) -> tuple[Result, float]:
    started = time.monotonic()
    result = await query
    return result, time.monotonic() - started


@pytest.mark.parametrize("breaker", [True, False], ids=["breaker-on", "breaker-off"])
async def test_while_upstream_hangs_every_caller_answers_within_the_bound(
    upstream: Upstream,
    client_for: Callable[..., GraphQLClient],
    http: Any,
    breaker: bool,
) -> None:
    """The default timeouts bound a query of two calls in a row (the account, then
    a list) while upstream hangs far longer, in two waves of callers: Alice, whose
    pages were fetched before, gets them stale; Bob, a newcomer, gets
    UPSTREAM_UNAVAILABLE. With the breaker on, the first wave's timeouts open it
    and the second wave's attempts fail at once instead of waiting."""
    settings = Settings(
        upstream_url=upstream.url, account_ttl=0, list_ttl=0, upstream_breaker=breaker
    )
    pages = range(1, 11)
    async with running_gateway(settings) as server:
        alice, bob = client_for(server, ALICE), client_for(server, BOB)
        for page in pages:
            assert (await alice.query(PAGE, {"page": page})).errors == []
        upstream.faults.delay = HANG
        wave = [(alice, page) for page in pages] + [(bob, page) for page in pages]
        answers = []
        for _ in range(2):
            answers += await asyncio.gather(
                *(timed(caller.query(PAGE, {"page": page})) for caller, page in wave)
            )
        refused = [
            await metric(http, server, REQUESTS, **attempts(endpoint, "circuit_open"))
            for endpoint in ("GET account", "GET account/{id}/{list}/{kind}")
        ]
    slowest = max(seconds for _, seconds in answers)
    assert slowest < HANG / 2, f"a caller waited {slowest:.2f} s"
    for (caller, _), (result, _) in zip(wave * 2, answers, strict=True):
        if caller is alice:
            assert result.errors == []
            paths = sorted(mark["path"] for mark in result.extensions["stale"])
            assert paths == [["account"], ["account", "favorites"]]
        else:
            assert result.codes == ["UPSTREAM_UNAVAILABLE"]
    assert (sum(refused) > 0) is breaker

"""Per-caller rate limiting: a token bucket per credentials, shared through Redis.

The end-to-end tests run on both cache backends. None waits for time to pass
except `test_the_bucket_refills`, which waits on a condition: the first request
answered again, at a rate that makes that a few seconds at most.
"""

import asyncio
import dataclasses
from collections.abc import Callable

import aiohttp
import pytest

from gateway.cache import BucketPolicy
from gateway.cache.buckets import MemoryBuckets
from gateway.settings import Settings
from harness.redis_server import RedisServer
from harness.servers import RunningServer, bound_socket
from tests.conftest import ALICE, BOB, Upstream, metric, running_gateway
from tests.graphql_client import GraphQLClient, Result

QUERY = "{ account { username } }"
#: Always asks upstream: nothing kept or shared can answer it.
MUTATION = (
    "mutation { setFavorite(mediaType: MOVIE, mediaId: 603, favorite: true)"
    " { favorite } }"
)
#: A bucket of two that refills so slowly that no test sees it refill.
SLOW = {"rate_limit": 0.001, "rate_limit_burst": 2}
#: One token a second: the refill test waits about that long.
REFILLING = {"rate_limit": 1.0, "rate_limit_burst": 1}
#: Seconds the refill test may wait for its bucket before it fails.
REFILL_LIMIT = 30


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_gives_its_burst_then_says_how_long_to_wait() -> None:
    clock = Clock()
    buckets = MemoryBuckets(BucketPolicy(rate=2.0, burst=3), clock=clock)
    assert [buckets.take_now("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take_now("a") == 0.5
    assert buckets.take_now("b") == 0.0  # another caller, another bucket
    clock.now += 0.25
    assert buckets.take_now("a") == 0.25
    clock.now += 0.25
    assert buckets.take_now("a") == 0.0
    assert buckets.take_now("a") == 0.5


def test_a_refilled_bucket_is_forgotten() -> None:
    clock = Clock()
    buckets = MemoryBuckets(BucketPolicy(rate=1.0, burst=2), clock=clock)
    buckets.take_now("a")
    buckets.take_now("b")
    clock.now += 1
    buckets.take_now("c")  # a and b are full again: held as if never seen
    assert len(buckets) == 1
    assert [buckets.take_now("a") for _ in range(3)] == [0.0, 0.0, 1.0]


def _limited(settings: Settings, **rate: float) -> Settings:
    return dataclasses.replace(settings, **rate)


def _is_rate_limited(result: Result) -> bool:
    return result.status == 429 and result.codes == ["RATE_LIMITED"]


async def test_a_caller_over_the_limit_waits_and_upstream_is_not_asked(
    settings: Settings,
    upstream: Upstream,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
    http: aiohttp.ClientSession,
) -> None:
    async with running_gateway(_limited(settings, **SLOW)) as server:
        alice, bob = client_for(server, ALICE), client_for(server, BOB)
        assert [(await alice.query(QUERY)).errors for _ in range(2)] == [[], []]
        calls = upstream.calls.total()
        refused = await alice.query(MUTATION)
        assert upstream.calls.total() == calls
        assert (await bob.query(QUERY)).errors == []  # a bucket of his own
        refused_count = await metric(
            http,
            server,
            "gateway_graphql_requests_total",
            operation="anonymous",
            outcome="RATE_LIMITED",
        )
    assert _is_rate_limited(refused) and refused.data is None
    assert 0 < refused.errors[0]["extensions"]["retryAfter"] <= 1000
    assert refused_count == 1


async def test_the_answer_says_when_to_retry_in_http_too(
    settings: Settings, http: aiohttp.ClientSession
) -> None:
    async with running_gateway(_limited(settings, **SLOW)) as server:
        for _ in range(3):
            async with http.post(
                f"{server.url}/graphql",
                json={"query": QUERY},
                headers={**ALICE, "Accept": "application/graphql-response+json"},
            ) as response:
                body = await response.json(content_type=None)
    assert response.status == 429
    assert response.headers["content-type"] == "application/graphql-response+json"
    retry_after = body["errors"][0]["extensions"]["retryAfter"]
    assert int(response.headers["Retry-After"]) >= retry_after > 0


async def test_a_page_on_an_allowed_origin_may_read_when_to_retry(
    settings: Settings, http: aiohttp.ClientSession
) -> None:
    origin = "https://app.example"
    allowed = dataclasses.replace(_limited(settings, **SLOW), cors_origins=(origin,))
    async with running_gateway(allowed) as server:
        for _ in range(3):
            async with http.post(
                f"{server.url}/graphql",
                json={"query": QUERY},
                headers={**ALICE, "Origin": origin},
            ) as response:
                await response.read()
    assert response.status == 429
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    assert "retry-after" in exposed.split(", ")


async def test_the_bucket_refills(
    settings: Settings,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
) -> None:
    async with running_gateway(_limited(settings, **REFILLING)) as server:
        alice = client_for(server, ALICE)
        assert (await alice.query(QUERY)).errors == []
        result = await asyncio.wait_for(_first_answered(alice), REFILL_LIMIT)
        # Not the first request's answer repeated: its bucket was empty between.
        assert result.errors == [] and result.data["account"]["username"] == "alice"


async def _first_answered(client: GraphQLClient) -> Result:
    """Ask until the caller's bucket has a token again."""
    while _is_rate_limited(result := await client.query(QUERY)):
        pass
    return result


async def test_callers_without_credentials_are_not_limited(
    settings: Settings,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
) -> None:
    async with running_gateway(_limited(settings, **SLOW)) as server:
        anonymous = client_for(server, {})
        results = [await anonymous.query("{ __typename }") for _ in range(5)]
    assert all(result.errors == [] for result in results)


async def test_rate_limiting_is_off_by_default(
    settings: Settings,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
) -> None:
    async with running_gateway(settings) as server:
        alice = client_for(server, ALICE)
        burst = Settings.rate_limit_burst
        results = [await alice.query("{ __typename }") for _ in range(burst + 5)]
    assert all(result.errors == [] for result in results)


@pytest.mark.parametrize("cache_backend", ["redis"])
async def test_replicas_sharing_redis_share_each_callers_bucket(
    settings: Settings,
    upstream: Upstream,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
) -> None:
    limited = _limited(settings, **SLOW)
    async with running_gateway(limited) as one, running_gateway(limited) as two:
        assert (await client_for(one, ALICE).query(QUERY)).errors == []
        assert (await client_for(two, ALICE).query(QUERY)).errors == []
        calls = upstream.calls.total()
        on_one = await client_for(one, ALICE).query(MUTATION)
        on_two = await client_for(two, ALICE).query(MUTATION)
        assert upstream.calls.total() == calls
    assert _is_rate_limited(on_one) and _is_rate_limited(on_two)


@pytest.mark.parametrize("cache_backend", ["memory"])
async def test_without_redis_each_replica_limits_on_its_own(
    settings: Settings,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
) -> None:
    """A Redis that does not answer neither lifts the limit nor stops answers."""
    closed = bound_socket()
    port = closed.getsockname()[1]
    closed.close()
    unreachable = dataclasses.replace(
        _limited(settings, **SLOW), cache_url=f"redis://127.0.0.1:{port}/0"
    )
    async with running_gateway(unreachable) as server:
        alice = client_for(server, ALICE)
        results = [await alice.query(QUERY) for _ in range(3)]
    assert [result.errors for result in results[:2]] == [[], []]
    assert _is_rate_limited(results[2])


async def test_replicas_count_alone_while_redis_is_away_and_share_again_after(
    upstream: Upstream,
    restartable_redis: RedisServer,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
) -> None:
    """No back-off, so that Redis is tried again at the next request."""
    shared = Settings(
        upstream_url=upstream.url,
        cache_url=restartable_redis.url,
        cache_backoff=0,
        rate_limit=SLOW["rate_limit"],
        rate_limit_burst=int(SLOW["rate_limit_burst"]),
    )
    async with running_gateway(shared) as one, running_gateway(shared) as two:
        on_one, on_two = client_for(one, ALICE), client_for(two, ALICE)
        await asyncio.to_thread(restartable_redis.stop)
        away = [await on_one.query(QUERY) for _ in range(3)]
        away.append(await on_two.query(QUERY))  # its own bucket, still full
        await asyncio.to_thread(restartable_redis.start)
        back = [await on_one.query(QUERY), await on_two.query(QUERY)]
        back.append(await on_one.query(QUERY))
    assert [_is_rate_limited(result) for result in away] == [False, False, True, False]
    assert [_is_rate_limited(result) for result in back] == [False, False, True]

"""The cache is never a single point of failure: the gateway serves through a Redis
outage, from upstream, and comes back to its cache by itself afterwards."""

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from gateway.schema.mutations import INVALIDATION_PENDING_MESSAGE
from gateway.settings import Settings
from harness.redis_server import RedisServer
from harness.servers import RunningServer
from tests.conftest import ALICE, Upstream, metric, running_gateway
from tests.graphql_client import GraphQLClient, Result

FAVORITES = "{ account { id favorites(mediaType: MOVIE) { results { id } } } }"
SET_FAVORITE = """mutation ($id: Int!) {
  setFavorite(mediaType: MOVIE, mediaId: $id, favorite: true) { favorite } }"""
LIST_READS = "GET /account/{account_id}/{list}/{media}"
PENDING_AT_SET_FAVORITE = {
    "code": "INVALIDATION_PENDING",
    "message": INVALIDATION_PENDING_MESSAGE,
    "path": ["setFavorite"],
}


def favorite_ids(result: Result) -> set[int]:
    assert result.errors == [], result.errors
    return {item["id"] for item in result.data["account"]["favorites"]["results"]}


@pytest.fixture
async def redis_gateway(
    upstream: Upstream, restartable_redis: RedisServer
) -> AsyncIterator[RunningServer]:
    """A gateway on Redis that retries a failed Redis at once (no back-off), so
    that recovery is visible at the next request, and gives up recording an
    invalidation after 0.2 s."""
    settings = Settings(
        upstream_url=upstream.url,
        cache_url=restartable_redis.url,
        cache_backoff=0,
        cache_write_timeout=0.2,
    )
    async with running_gateway(settings) as server:
        yield server


async def pending_invalidations(
    http: aiohttp.ClientSession, server: RunningServer
) -> float:
    return await metric(
        http, server, "gateway_cache_events_total", event="invalidation_pending"
    )


async def readiness(http: aiohttp.ClientSession, server: RunningServer) -> tuple:
    async with http.get(f"{server.url}/readyz") as response:
        return response.status, await response.json()


async def test_queries_are_answered_from_upstream_while_redis_is_down(
    redis_gateway: RunningServer,
    restartable_redis: RedisServer,
    upstream: Upstream,
    client_for: Callable[..., GraphQLClient],
    http: aiohttp.ClientSession,
) -> None:
    alice = client_for(redis_gateway, ALICE)
    expected = favorite_ids(await alice.query(FAVORITES))
    in_flight = [asyncio.ensure_future(alice.query(FAVORITES)) for _ in range(20)]
    await asyncio.to_thread(restartable_redis.stop)
    during = [*await asyncio.gather(*in_flight)]
    during += [await alice.query(FAVORITES) for _ in range(5)]
    assert all(favorite_ids(result) == expected for result in during)
    assert await readiness(http, redis_gateway) == (
        200,
        {"status": "ready", "upstream": "ok", "cache": "degraded"},
    )
    async with http.get(f"{redis_gateway.url}/metrics") as response:
        assert 'gateway_cache_events_total{event="error"}' in await response.text()


@pytest.fixture
async def second_gateway(
    upstream: Upstream, restartable_redis: RedisServer
) -> AsyncIterator[RunningServer]:
    """Another replica on the same Redis, which only reads."""
    settings = Settings(upstream_url=upstream.url, cache_url=restartable_redis.url)
    async with running_gateway(settings) as server:
        yield server


async def test_a_write_during_the_outage_says_its_invalidation_is_pending(
    redis_gateway: RunningServer,
    second_gateway: RunningServer,
    restartable_redis: RedisServer,
    upstream: Upstream,
    client_for: Callable[..., GraphQLClient],
    http: aiohttp.ClientSession,
) -> None:
    """The write is answered, with a warning and a count, since its invalidation
    could not be recorded; once Redis is back (here with the lists it held before
    the outage, a snapshot) it is replayed, and both replicas read the write."""
    writer, reader = (
        client_for(server, ALICE) for server in (redis_gateway, second_gateway)
    )
    before = favorite_ids(await writer.query(FAVORITES))
    assert favorite_ids(await reader.query(FAVORITES)) == before
    assert 603 not in before
    await asyncio.to_thread(restartable_redis.stop)
    written = await writer.query(SET_FAVORITE, {"id": 603})
    assert written.errors == [] and written.data == {"setFavorite": {"favorite": True}}
    assert written.extensions == {"warnings": [PENDING_AT_SET_FAVORITE]}
    assert await pending_invalidations(http, redis_gateway) == 1
    assert favorite_ids(await writer.query(FAVORITES)) == before | {603}
    await asyncio.to_thread(restartable_redis.start)
    assert favorite_ids(await writer.query(FAVORITES)) == before | {603}
    assert favorite_ids(await reader.query(FAVORITES)) == before | {603}
    reads = upstream.calls.count(LIST_READS)
    assert favorite_ids(await writer.query(FAVORITES)) == before | {603}
    assert upstream.calls.count(LIST_READS) == reads  # replayed: a cache hit again
    assert await readiness(http, redis_gateway) == (
        200,
        {"status": "ready", "upstream": "ok", "cache": "ok"},
    )

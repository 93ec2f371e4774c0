"""The cache is never a single point of failure: the gateway serves through a Redis
outage, from upstream, and comes back to its cache by itself afterwards."""

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from gateway.settings import Settings
from harness.redis_server import RedisServer
from harness.servers import RunningServer
from tests.conftest import ALICE, Upstream, running_gateway
from tests.graphql_client import GraphQLClient, Result

FAVORITES = "{ account { id favorites(mediaType: MOVIE) { results { id } } } }"
SET_FAVORITE = """mutation ($id: Int!) {
  setFavorite(mediaType: MOVIE, mediaId: $id, favorite: true) { favorite } }"""
LIST_READS = "GET /account/{account_id}/{list}/{media}"


def favorite_ids(result: Result) -> set[int]:
    assert result.errors == [], result.errors
    return {item["id"] for item in result.data["account"]["favorites"]["results"]}


@pytest.fixture
async def redis_gateway(
    upstream: Upstream, restartable_redis: RedisServer
) -> AsyncIterator[RunningServer]:
    """A gateway on Redis that retries a failed Redis at once (no back-off), so
    that recovery is visible at the next request."""
    settings = Settings(
        upstream_url=upstream.url, cache_url=restartable_redis.url, cache_backoff=0
    )
    async with running_gateway(settings) as server:
        yield server


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


async def test_the_gateway_recovers_and_a_write_made_during_the_outage_holds(
    redis_gateway: RunningServer,
    restartable_redis: RedisServer,
    upstream: Upstream,
    client_for: Callable[..., GraphQLClient],
    http: aiohttp.ClientSession,
) -> None:
    """Redis comes back with the list it held before the outage (a snapshot):
    the write made meanwhile must still be visible (DESIGN.md invariant 2)."""
    alice = client_for(redis_gateway, ALICE)
    before = favorite_ids(await alice.query(FAVORITES))
    assert 603 not in before
    await asyncio.to_thread(restartable_redis.stop)
    written = await alice.query(SET_FAVORITE, {"id": 603})
    assert written.errors == [] and written.data == {"setFavorite": {"favorite": True}}
    assert favorite_ids(await alice.query(FAVORITES)) == before | {603}
    await asyncio.to_thread(restartable_redis.start)
    assert favorite_ids(await alice.query(FAVORITES)) == before | {603}
    reads = upstream.calls.count(LIST_READS)
    assert favorite_ids(await alice.query(FAVORITES)) == before | {603}
    assert upstream.calls.count(LIST_READS) == reads  # a cache hit again
    assert await readiness(http, redis_gateway) == (
        200,
        {"status": "ready", "upstream": "ok", "cache": "ok"},
    )

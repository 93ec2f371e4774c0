"""Two replicas on one Redis that crashes and restarts, empty or from a snapshot
taken before a write: no replica serves a list older than a write acknowledged
before, nor any page, kept response or generation from before the restart, and
stale pooled connections are replaced rather than taken for a Redis outage."""

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from gateway.settings import Settings
from harness.redis_server import RedisServer
from harness.servers import RunningServer
from tests.conftest import (
    ALICE,
    Upstream,
    crash_and_restart,
    metric,
    running_gateway,
    side_connection,
)
from tests.graphql_client import GraphQLClient
from tests.test_redis_outage import FAVORITES, LIST_READS, SET_FAVORITE, favorite_ids

MOST_READS = 5
CONCURRENT = 8
LATER_WRITES = (604, 605, 278, 238)


@pytest.fixture
async def replicas(
    upstream: Upstream, restartable_redis: RedisServer
) -> AsyncIterator[tuple[RunningServer, RunningServer]]:
    """Two gateways sharing one Redis. With no back-off, a replica whose command
    failed caches again at once, as replicas under load soon do."""
    settings = Settings(
        upstream_url=upstream.url, cache_url=restartable_redis.url, cache_backoff=0
    )
    async with running_gateway(settings) as one, running_gateway(settings) as two:
        yield one, two


async def write(client: GraphQLClient, media_id: int) -> None:
    """Favorite `media_id`; the answer must say the invalidation is recorded."""
    result = await client.query(SET_FAVORITE, {"id": media_id})
    assert (result.errors, result.extensions) == ([], {})


async def read_until_cached(
    client: GraphQLClient, upstream: Upstream, expected: set[int]
) -> None:
    """Read until an answer costs no upstream list call; every one must be
    `expected`."""
    for _ in range(MOST_READS):
        calls = upstream.calls.count(LIST_READS)
        assert favorite_ids(await client.query(FAVORITES)) == expected
        if upstream.calls.count(LIST_READS) == calls:
            return
    pytest.fail(f"not served from the cache within {MOST_READS} reads")


@pytest.mark.parametrize("from_snapshot", [False, True], ids=["empty", "snapshot"])
async def test_no_replica_serves_a_list_from_before_a_write_or_a_restart(
    replicas: tuple[RunningServer, RunningServer],
    restartable_redis: RedisServer,
    upstream: Upstream,
    client_for: Callable[..., GraphQLClient],
    http: aiohttp.ClientSession,
    from_snapshot: bool,
) -> None:
    zero, one = (client_for(server, ALICE) for server in replicas)
    before = favorite_ids(await zero.query(FAVORITES))
    await read_until_cached(zero, upstream, before)  # a page and a kept response
    await read_until_cached(one, upstream, before)
    # Replica one's pool grows to several connections, all stale after the crash.
    await asyncio.gather(*(one.query(FAVORITES) for _ in range(CONCURRENT)))
    async with side_connection(restartable_redis.url) as side:
        await side.save()  # holds those, and the generations they were built at
    await write(one, 603)
    await crash_and_restart(restartable_redis, from_snapshot=from_snapshot)
    await read_until_cached(zero, upstream, before | {603})
    # At once, so that they meet replica one's pooled connections, all stale now.
    await asyncio.gather(*(write(one, media_id) for media_id in LATER_WRITES))
    after = before | {603, *LATER_WRITES}
    await read_until_cached(zero, upstream, after)
    await read_until_cached(one, upstream, after)
    for server in replicas:
        errors = await metric(http, server, "gateway_cache_events_total", event="error")
        assert errors == 0


ACCOUNT_ONLY = "{ account { id username } }"


@pytest.mark.parametrize("from_snapshot", [False, True], ids=["empty", "snapshot"])
async def test_a_kept_response_that_read_no_list_is_not_served_after_a_restart(
    replicas: tuple[RunningServer, RunningServer],
    restartable_redis: RedisServer,
    upstream: Upstream,
    client_for: Callable[..., GraphQLClient],
    http: aiohttp.ClientSession,
    from_snapshot: bool,
) -> None:
    zero = client_for(replicas[0], ALICE)
    first = await zero.query(ACCOUNT_ONLY)
    assert (await zero.query(ACCOUNT_ONLY)).data == first.data
    reused = "gateway_responses_reused_total"
    assert await metric(http, replicas[0], reused) == 1  # kept, and served again
    async with side_connection(restartable_redis.url) as side:
        await side.save()  # holds the account mapping the kept response relied on
    await crash_and_restart(restartable_redis, from_snapshot=from_snapshot)
    accounts = upstream.calls.count("GET /account")
    assert (await zero.query(ACCOUNT_ONLY)).data == first.data
    assert upstream.calls.count("GET /account") == accounts + 1
    assert await metric(http, replicas[0], reused) == 1

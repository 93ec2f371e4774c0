"""The cache behind the service: both backends, real Redis included."""

import json
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from gateway.cache import Cache, CacheConfigError, create_cache
from gateway.cache.store import GENERATION_TTL
from harness.redis_server import RedisServer
from harness.servers import free_port


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    url = None if request.param == "memory" else request.getfixturevalue("redis_url")
    cache = create_cache(url, max_entries=100)
    yield cache
    await cache.close()


async def test_values_round_trip_as_json(cache: Cache) -> None:
    await cache.set("k", {"a": [1, 2.5, None, "x"]}, ttl=60)
    assert await cache.get("k") == {"a": [1, 2.5, None, "x"]}
    assert await cache.get("missing") is None


async def test_a_value_read_is_a_copy(cache: Cache) -> None:
    await cache.set("k", {"items": [1]}, ttl=60)
    (await cache.get("k"))["items"].append(2)
    assert await cache.get("k") == {"items": [1]}


async def test_generation_is_stable_until_bumped(cache: Cache) -> None:
    first = await cache.generation("gen:1")
    assert first is not None
    assert await cache.generation("gen:1") == first
    await cache.bump("gen:1")
    bumped = await cache.generation("gen:1")
    assert bumped not in (None, first)
    assert await cache.generation("gen:1") == bumped
    assert await cache.generation("gen:2") != bumped


async def test_current_generations_of_no_keys_are_none_at_all(cache: Cache) -> None:
    assert await cache.current_generations([]) == []
    await cache.bump("gen:1")
    assert await cache.current_generations([]) == []


async def test_bump_of_a_missing_generation_is_new(cache: Cache) -> None:
    before = await cache.generation("gen:a")
    await cache.bump("gen:b")
    assert await cache.generation("gen:b") not in (before, 1, None)


async def test_a_value_is_fresh_until_max_age_then_only_stale(cache: Cache) -> None:
    await cache.set("k", [1], ttl=60)
    assert await cache.get("k", max_age=60) == [1]
    assert await cache.get("k", max_age=0) is None
    stale = await cache.get_stale("k", max_age=60)
    assert stale is not None and stale.value == [1] and 0 <= stale.age < 60
    assert await cache.get_stale("missing", max_age=60) is None


async def test_memory_cache_is_bounded_and_forgets_the_oldest() -> None:
    cache = create_cache("memory://", max_entries=3)
    for key in "abcde":
        await cache.set(key, key, ttl=60)
    assert [await cache.get(key) for key in "abcde"] == [None, None, "c", "d", "e"]


async def test_evicted_generation_never_comes_back() -> None:
    cache = create_cache(None, max_entries=2)
    await cache.bump("gen")
    generation = await cache.generation("gen")
    await cache.set("x", 1, ttl=60)
    await cache.set("y", 2, ttl=60)  # evicts the generation
    assert generation is not None
    assert (await cache.generation("gen") or 0) > generation


async def test_replicas_share_generations_through_redis(redis_url: str) -> None:
    one, two = (
        create_cache(redis_url, max_entries=10),
        create_cache(redis_url, max_entries=10),
    )
    try:
        seen = await two.generation("gen")
        await one.bump("gen")
        assert await two.generation("gen") not in (seen, None)
    finally:
        await one.close()
        await two.close()


async def test_redis_holds_json_text_never_pickles(redis_url: str) -> None:
    cache = create_cache(redis_url, max_entries=10)
    await cache.set("k", {"a": 1}, ttl=60)
    await cache.close()
    raw = redis.asyncio.from_url(redis_url)
    try:
        stored = await raw.get("gateway:k")
        ttl = await raw.ttl("gateway:k")
    finally:
        await raw.aclose()
    assert json.loads(stored)["value"] == {"a": 1}
    assert 0 < ttl <= 60


async def test_ping(cache: Cache) -> None:
    assert await cache.ping() is True


async def test_ping_is_false_when_redis_is_gone() -> None:
    cache = create_cache(f"redis://127.0.0.1:{free_port()}/0", max_entries=10)
    try:
        assert await cache.ping() is False
    finally:
        await cache.close()


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(CacheConfigError, match="memcached"):
        create_cache("memcached://localhost", max_entries=1)


async def test_a_ttl_of_zero_stores_nothing(cache: Cache) -> None:
    await cache.set("k", 1, ttl=0)
    assert await cache.get("k") is None


async def test_generations_expire_in_redis(redis_url: str) -> None:
    cache = create_cache(redis_url, max_entries=10)
    await cache.bump("gen")
    await cache.close()
    raw = redis.asyncio.from_url(redis_url)
    try:
        ttl = await raw.ttl("gateway:gen")
    finally:
        await raw.aclose()
    assert 0 < ttl <= GENERATION_TTL


async def test_a_dead_redis_is_a_miss_and_writes_do_nothing(
    restartable_redis: RedisServer,
) -> None:
    events: list[str] = []
    cache = create_cache(
        restartable_redis.url, max_entries=10, backoff=0, on_event=events.append
    )
    try:
        await cache.set("k", 1, ttl=60)
        restartable_redis.stop()
        assert await cache.get("k") is None
        await cache.set("k", 2, ttl=60)
        assert await cache.generation("gen") is None
        assert await cache.ping() is False
    finally:
        await cache.close()
    assert "error" in events and "hit" not in events


async def test_a_failed_bump_is_replayed_before_the_cache_is_trusted(
    restartable_redis: RedisServer,
) -> None:
    """Redis comes back with what it held before (a snapshot): the generation read
    then must not be the one that pre-outage entries were stored under."""
    cache = create_cache(restartable_redis.url, max_entries=10, backoff=0)
    try:
        before = await cache.generation("gen")
        restartable_redis.stop()
        await cache.bump("gen")
        assert await cache.generation("gen") is None
        restartable_redis.start()
        assert await cache.generation("gen") not in (before, None)
        assert await cache.ping() is True
    finally:
        await cache.close()


async def test_the_backend_is_skipped_while_backing_off(
    restartable_redis: RedisServer,
) -> None:
    events: list[str] = []
    cache = create_cache(
        restartable_redis.url, max_entries=10, backoff=3600, on_event=events.append
    )
    try:
        await cache.set("k", 1, ttl=60)
        restartable_redis.stop()
        assert await cache.get("k") is None
        restartable_redis.start()
        assert await cache.get("k") is None  # not asked: still backing off
        assert events.count("error") == 1
        assert await cache.ping() is True  # a probe asks all the same
        assert await cache.get("k") == 1
    finally:
        await cache.close()

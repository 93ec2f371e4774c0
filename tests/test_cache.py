"""The cache behind the service: both backends, real Redis included."""

import json
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from gateway.cache import GENERATION_TTL, Cache, CacheConfigError, create_cache
from tests.servers import bound_socket


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
    assert await cache.generation("gen:1") == first
    bumped = await cache.bump("gen:1")
    assert bumped != first
    assert await cache.generation("gen:1") == bumped
    assert await cache.generation("gen:2") != bumped


async def test_bump_of_a_missing_generation_is_new(cache: Cache) -> None:
    before = await cache.generation("gen:a")
    assert await cache.bump("gen:b") not in (before, 1)


async def test_memory_cache_is_bounded_and_forgets_the_oldest() -> None:
    cache = create_cache("memory://", max_entries=3)
    for key in "abcde":
        await cache.set(key, key, ttl=60)
    assert [await cache.get(key) for key in "abcde"] == [None, None, "c", "d", "e"]


async def test_evicted_generation_never_comes_back() -> None:
    cache = create_cache(None, max_entries=2)
    generation = await cache.bump("gen")
    await cache.set("x", 1, ttl=60)
    await cache.set("y", 2, ttl=60)  # evicts the generation
    assert await cache.generation("gen") > generation


async def test_replicas_share_generations_through_redis(redis_url: str) -> None:
    one, two = (
        create_cache(redis_url, max_entries=10),
        create_cache(redis_url, max_entries=10),
    )
    try:
        seen = await two.generation("gen")
        assert await one.bump("gen") != seen
        assert await two.generation("gen") != seen
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
    assert json.loads(stored) == {"a": 1}
    assert 0 < ttl <= 60


async def test_ping(cache: Cache) -> None:
    assert await cache.ping() is True


async def test_ping_is_false_when_redis_is_gone() -> None:
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    cache = create_cache(f"redis://127.0.0.1:{port}/0", max_entries=10)
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

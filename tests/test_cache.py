"""The cache behind the service: both backends, real Redis included."""

import asyncio
import json
from collections.abc import AsyncIterator

import orjson
import pytest

from gateway.cache import Cache, CacheConfigError, create_cache
from gateway.cache.backends import memory_backend
from gateway.cache.store import GENERATION_TTL
from gateway.upstream.models import Account, MediaKind, MediaPage
from harness.redis_server import RedisServer
from harness.servers import free_port
from tests.conftest import crash_and_restart, side_connection

SIX = [f"gen:{{a:1}}:{n}" for n in range(6)]
#: Models as the accounts service caches them, built as it builds them.
ACCOUNT = Account.from_json({"id": 7, "name": "Ada", "avatar": {"gravatar": {}}})
PAGE = MediaPage.from_json(
    {
        "page": 1,
        "total_pages": 1,
        "total_results": 2,
        "results": [
            {"id": 550, "title": "Fight Club", "vote_average": 8.4, "rating": 9},
            {"id": 680, "title": "Pulp Fiction", "overview": None},
        ],
    },
    MediaKind.MOVIE,
)
MODELS = pytest.mark.parametrize("model", [ACCOUNT, PAGE], ids=["account", "page"])


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    url = None if request.param == "memory" else request.getfixturevalue("redis_url")
    cache = create_cache(url, max_entries=100)
    yield cache
    await cache.close()


async def stored_key(url: str, name: str) -> bytes:
    """The one key in Redis that ends with `name`, as the store wrote it."""
    async with side_connection(url) as raw:
        keys = [key for key in await raw.keys("*") if key.endswith(name.encode())]
    assert len(keys) == 1, keys
    return keys[0]


async def test_values_round_trip(cache: Cache) -> None:
    await cache.set("k", {"a": [1, 2.5, None, "x"]}, ttl=60)
    assert await cache.get("k") == {"a": [1, 2.5, None, "x"]}
    assert await cache.get("missing") is None


@MODELS
async def test_no_reader_can_change_a_cached_model(
    cache: Cache, model: Account | MediaPage, request: pytest.FixtureRequest
) -> None:
    """Memory hands every reader the very object stored, so it must be immutable
    all the way down (hashable: no list, dict or unfrozen dataclass inside);
    Redis hands each reader a JSON value of its own."""
    await cache.set("k", model, ttl=60)
    read = await cache.get("k")
    if request.node.callspec.params["cache"] == "memory":
        assert read is model
        hash(read)
    else:
        read.clear()
        assert await cache.get("k") == orjson.loads(orjson.dumps(model.to_json()))


async def test_generation_is_stable_until_bumped(cache: Cache) -> None:
    first = await cache.generation("gen:1")
    assert first is not None
    assert await cache.generation("gen:1") == first
    assert await cache.bump("gen:1") is True
    bumped = await cache.generation("gen:1")
    assert bumped not in (None, first)
    assert await cache.generation("gen:1") == bumped
    assert await cache.generation("gen:2") != bumped


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_a_bump_of_a_missing_generation_moves_past_a_fresh_seed(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Seeds come from the clock, which two replicas may read alike: a bump must
    add to its seed, or a reader that seeded the same value would keep its page."""
    url = None if backend == "memory" else request.getfixturevalue("redis_url")
    cache = create_cache(url, max_entries=100, clock=lambda: 1_000)
    try:
        seeded = await cache.generation("gen:a")
        await cache.bump("gen:b")
        assert await cache.generation("gen:b") not in (seeded, None)
    finally:
        await cache.close()


@pytest.mark.parametrize("keys", [[], SIX[:1], SIX], ids=["none", "one", "six"])
async def test_current_generations_of_no_one_or_six_keys(
    cache: Cache, keys: list[str]
) -> None:
    assert await cache.current_generations(keys) == [None] * len(keys)
    seen = [await cache.generation(key) for key in keys]
    assert await cache.current_generations(keys) == seen
    assert await cache.current_generations(keys) == seen


async def test_no_generations_need_no_round_trip(
    restartable_redis: RedisServer,
) -> None:
    """A query that read no list is judged current without Redis, even when it is
    down: a kept response of it depends on no generation."""
    events: list[str] = []
    cache = create_cache(restartable_redis.url, max_entries=10, on_event=events.append)
    try:
        restartable_redis.stop()
        assert await cache.current_generations([]) == []
    finally:
        await cache.close()
    assert events == []


async def test_a_value_is_fresh_until_max_age_then_only_stale(cache: Cache) -> None:
    await cache.set("k", [1], ttl=60)
    assert await cache.get("k", max_age=60) == [1]
    assert await cache.get("k", max_age=0) is None
    stale = await cache.get_stale("k", max_age=60)
    assert stale is not None and stale.value == [1] and 0 <= stale.age < 60
    assert await cache.get_stale("missing", max_age=60) is None


async def test_a_value_leaves_the_backend_when_its_ttl_ends(cache: Cache) -> None:
    """The TTL is the backend's to enforce: a stale fallback (`get_stale`, any
    age) must not find a value past it, nor may memory hold it on."""
    await cache.set("k", [1], ttl=0.05)
    assert await cache.get_stale("k", max_age=60) is not None
    await asyncio.sleep(0.2)  # the TTL itself is what is tested: let it pass
    assert await cache.get_stale("k", max_age=60) is None


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_concurrent_first_reads_agree_on_one_seed(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Readers that all find a generation missing each seed it from their own
    clock reading; the first seed must stand, or they would disagree."""
    url = None if backend == "memory" else request.getfixturevalue("redis_url")
    readings = iter(range(1_000, 2_000))
    cache = create_cache(url, max_entries=100, clock=lambda: next(readings))
    try:
        seen = await asyncio.gather(*(cache.generation("gen:s") for _ in range(20)))
        assert len(set(seen)) == 1 and seen[0] is not None
        assert await cache.generation("gen:s") == seen[0]
    finally:
        await cache.close()


async def test_memory_backend_add_refuses_a_key_it_holds() -> None:
    """The seed of a generation is an `add`, which must keep what is there."""
    backend = memory_backend(10, namespace="t")
    await backend.add("k", 1, ttl=60)
    with pytest.raises(ValueError):
        await backend.add("k", 2, ttl=60)
    assert await backend.get("k") == 1


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
    key = await stored_key(redis_url, ":k")
    async with side_connection(redis_url) as raw:
        stored, ttl = await raw.get(key), await raw.ttl(key)
    assert json.loads(stored)["value"] == {"a": 1}
    assert 0 < ttl <= 60


@MODELS
async def test_redis_holds_a_models_json_as_before(
    redis_url: str, model: Account | MediaPage
) -> None:
    """A model is stored as the JSON of its `to_json()`, byte for byte what
    versions that cached `to_json()` themselves wrote: replicas of both share."""
    cache = create_cache(redis_url, max_entries=10)
    await cache.set("k", model, ttl=60)
    await cache.close()
    async with side_connection(redis_url) as raw:
        stored = await raw.get(await stored_key(redis_url, ":k"))
    at = orjson.loads(stored)["at"]
    assert stored == orjson.dumps({"at": at, "value": model.to_json()})


async def test_keys_carry_the_servers_run(redis_url: str) -> None:
    cache = create_cache(redis_url, max_entries=10)
    await cache.set("k", 1, ttl=60)
    await cache.close()
    async with side_connection(redis_url) as raw:
        run_id = (await raw.info("server"))["run_id"]
    assert await stored_key(redis_url, ":k") == f"gateway:{run_id[:16]}:k".encode()


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
    key = await stored_key(redis_url, ":gen")
    async with side_connection(redis_url) as raw:
        ttl = await raw.ttl(key)
    assert 0 < ttl <= GENERATION_TTL


async def test_a_broken_pooled_connection_is_replaced_not_a_failure(
    redis_url: str,
) -> None:
    events: list[str] = []
    cache = create_cache(
        redis_url, max_entries=10, backoff=3600, on_event=events.append
    )
    try:
        await cache.set("k", 1, ttl=60)
        async with side_connection(redis_url) as side:  # spared by its own kill
            assert await side.client_kill_filter(_type="normal") >= 1
        assert await cache.get("k") == 1
        assert await cache.get("k") == 1  # and no back-off began
    finally:
        await cache.close()
    assert "error" not in events


@pytest.mark.parametrize("from_snapshot", [False, True], ids=["empty", "snapshot"])
async def test_nothing_from_before_a_restart_is_served(
    restartable_redis: RedisServer, from_snapshot: bool
) -> None:
    """Redis crashes and restarts, empty or from a snapshot taken before a bump:
    its pooled connections are stale, and the snapshot holds the old value and
    generation, which must neither be read nor count as current, even when the
    new generation is seeded from the same clock reading as the old one."""
    events: list[str] = []
    cache = create_cache(
        restartable_redis.url,
        max_entries=10,
        on_event=events.append,
        clock=lambda: 1_000,
    )
    try:
        await cache.set("page", "before", ttl=60)
        seen = [await cache.generation("gen")]
        async with side_connection(restartable_redis.url) as side:
            await side.save()
        assert await cache.bump("gen") is True
        seen.append(await cache.generation("gen"))
        await crash_and_restart(restartable_redis, from_snapshot=from_snapshot)
        assert await cache.get("page") is None
        assert await cache.current_generations(["gen"]) == [None]
        assert await cache.generation("gen") not in (*seen, None)
    finally:
        await cache.close()
    assert "error" not in events


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


async def test_a_bump_that_cannot_reach_redis_says_so_and_is_replayed(
    restartable_redis: RedisServer,
) -> None:
    """Redis comes back with what it held before (a snapshot): the generation read
    then must not be the one that pre-outage entries were stored under."""
    events: list[str] = []
    cache = create_cache(
        restartable_redis.url,
        max_entries=10,
        backoff=0,
        write_timeout=0.2,
        on_event=events.append,
    )
    try:
        before = await cache.generation("gen")
        restartable_redis.stop()
        assert await cache.bump("gen") is False
        assert events.count("invalidation_pending") == 1
        assert await cache.generation("gen") is None
        restartable_redis.start()
        assert await cache.generation("gen") not in (before, None)
        assert await cache.ping() is True
    finally:
        await cache.close()


async def test_a_bump_ignores_the_back_off(restartable_redis: RedisServer) -> None:
    cache = create_cache(restartable_redis.url, max_entries=10, backoff=3600)
    try:
        before = await cache.generation("gen")
        restartable_redis.stop()
        assert await cache.generation("gen") is None  # fails: backing off now
        restartable_redis.start()
        assert await cache.bump("gen") is True
        assert await cache.generation("gen") not in (before, None)
    finally:
        await cache.close()


async def test_a_bump_is_retried_until_redis_is_back(
    restartable_redis: RedisServer,
) -> None:
    """The bump begins while Redis is down (starting it takes far longer than a
    refused connection) and lands once it is up, well within `write_timeout`."""
    events: list[str] = []
    cache = create_cache(
        restartable_redis.url, max_entries=10, write_timeout=30, on_event=events.append
    )
    try:
        before = await cache.generation("gen")
        restartable_redis.stop()
        bump = asyncio.ensure_future(cache.bump("gen"))
        await asyncio.to_thread(restartable_redis.start)
        assert await bump is True
        assert await cache.generation("gen") not in (before, None)
    finally:
        await cache.close()
    assert "invalidation_pending" not in events


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
        assert await cache.get("k") is None
        assert events.count("error") == 1  # the second read did not ask
        restartable_redis.start()
        assert await cache.ping() is True  # a probe asks all the same
        assert await cache.get("k") is None  # stored by the server's last run
        await cache.set("k", 2, ttl=60)
        assert await cache.get("k") == 2
    finally:
        await cache.close()

"""Generation reads of concurrent requests share one Redis round trip.

Batching runs on the Redis backend only (in memory there is no trip to save), so
these tests run on a real Redis; the semantics of the reads themselves are
tested on both backends in test_cache.py.
"""

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.cache import Cache, create_cache
from harness.servers import free_port
from tests.conftest import side_connection

KEYS = [f"gen:{{a:{n}}}:favorites:movie" for n in range(8)]


@pytest.fixture
async def cache(redis_url: str) -> AsyncIterator[Cache]:
    cache = create_cache(redis_url, max_entries=100)
    yield cache
    await cache.close()


async def mget_calls(url: str) -> int:
    """How many MGETs the server has run since it started."""
    async with side_connection(url) as raw:
        stats = await raw.info("commandstats")
    return int(stats.get("cmdstat_mget", {}).get("calls", 0))


async def test_concurrent_reads_share_one_mget_and_each_gets_its_own_keys(
    cache: Cache, redis_url: str
) -> None:
    seeded = {key: await cache.generation(key) for key in KEYS}
    asked = [KEYS[n : n + 3] for n in range(6)] + [KEYS[:1], KEYS]
    before = await mget_calls(redis_url)
    answers = await asyncio.gather(*(cache.current_generations(k) for k in asked))
    assert await mget_calls(redis_url) - before == 1
    assert answers == [[seeded[key] for key in keys] for keys in asked]


async def test_a_read_asked_after_a_bump_sees_it_though_batched_with_others(
    cache: Cache,
) -> None:
    await cache.generation(KEYS[0])
    (first, *_) = await cache.current_generations(KEYS) or [None]
    assert await cache.bump(KEYS[0]) is True
    answers = await asyncio.gather(*(cache.current_generations(KEYS) for _ in KEYS))
    assert {answer[0] for answer in answers if answer is not None} == {
        await cache.generation(KEYS[0])
    }
    assert all(answer is not None and answer[0] != first for answer in answers)


async def test_every_read_of_a_failed_batch_is_untrusted() -> None:
    cache = create_cache(f"redis://127.0.0.1:{free_port()}/0", max_entries=10)
    try:
        answers = await asyncio.gather(*(cache.current_generations(KEYS) for _ in KEYS))
    finally:
        await cache.close()
    assert answers == [None] * len(KEYS)

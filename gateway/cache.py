"""The cross-request cache: JSON values under string keys, in memory or in Redis.

This is the only module that imports aiocache (STACK-NOTES.md: its 1.0 drops the
classes used here, so they stay behind this small interface). Both backends store
JSON text, never pickles: whoever can write to a shared Redis must not gain code
execution, and a caller mutating a value it read must not change the cached copy.

Generations make invalidation safe across replicas: a list key embeds the current
generation of its (account, list, media type), and a mutation moves that
generation on. A generation that is missing (never set, evicted, expired, lost in a
Redis restart) is re-created from the clock in nanoseconds, so it never repeats a
value that older entries were stored under.
"""

import json
import time
from typing import Any
from urllib.parse import urlsplit

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import BaseSerializer
from redis.asyncio import BlockingConnectionPool
from redis.exceptions import RedisError

MEMORY_SCHEME = "memory"
REDIS_SCHEMES = ("redis", "rediss")
DEFAULT_NAMESPACE = "gateway"
DEFAULT_OPERATION_TIMEOUT = 2.0
REDIS_POOL_SIZE = 64
# Generations expire so that Redis does not keep one per list of every account
# ever seen; a lapsed one is re-seeded from the clock, which costs one miss.
GENERATION_TTL = 24 * 60 * 60


class CacheConfigError(ValueError):
    """The cache URL names no supported backend."""


class _JsonSerializer(BaseSerializer):  # type: ignore[misc]  # aiocache is untyped
    """JSON both ways; counters written by `increment` come back as plain ints."""

    def dumps(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

    def loads(self, value: str | bytes | int | None) -> Any:
        if value is None or isinstance(value, int):
            return value
        return json.loads(value)


class _BoundedMemoryCache(SimpleMemoryCache):  # type: ignore[misc]  # aiocache is untyped
    """aiocache's memory backend with a cap on entries, evicting the oldest write.

    aiocache's own memory backend grows without bound; many users must not be
    able to grow the process without limit.
    """

    def __init__(self, max_entries: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_entries = max_entries

    async def _set(
        self, key: str, value: Any, ttl: float | None = None, **kw: Any
    ) -> Any:
        self._cache.pop(key, None)  # re-inserting moves the key to the newest end
        result = await super()._set(key, value, ttl=ttl, **kw)
        await self._evict_overflow()
        return result

    async def _increment(self, key: str, delta: int, **kw: Any) -> Any:
        result = await super()._increment(key, delta, **kw)
        await self._evict_overflow()
        return result

    async def _evict_overflow(self) -> None:
        while len(self._cache) > self._max_entries:
            await self._delete(next(iter(self._cache)))


class Cache:
    """TTL'd JSON values and generation counters over one aiocache backend."""

    def __init__(self, backend: BaseCache) -> None:
        self._backend = backend

    async def get(self, key: str) -> Any:
        """The value stored under `key`, or None when absent or expired."""
        return await self._backend.get(key)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        """Store `value` (anything `json.dumps` accepts) for `ttl` seconds.

        A `ttl` of 0 or less stores nothing: aiocache would keep it forever.
        """
        if ttl > 0:
            await self._backend.set(key, value, ttl=ttl)

    async def generation(self, key: str) -> int:
        """The current generation under `key`, created from the clock if missing."""
        value = await self._backend.get(key)
        if value is None:
            await self._seed_generation(key)
            value = await self._backend.get(key)
        return int(value)

    async def bump(self, key: str) -> int:
        """Move the generation under `key` on, so entries stored under it go unread."""
        await self._seed_generation(key)
        return int(await self._backend.increment(key, 1))

    async def ping(self) -> bool:
        """Whether the backend answers a round trip."""
        try:
            await self._backend.exists("__ping__")
        except (RedisError, OSError, TimeoutError):
            return False
        return True

    async def close(self) -> None:
        """Release the backend's connections."""
        await self._backend.close()

    async def _seed_generation(self, key: str) -> None:
        try:
            await self._backend.add(key, time.time_ns(), ttl=GENERATION_TTL)
        except ValueError:  # aiocache's way of saying "already there": keep it
            pass


def create_cache(
    url: str | None, *, max_entries: int, namespace: str = DEFAULT_NAMESPACE
) -> Cache:
    """A `Cache` for `url`: None or `memory://` in process, `redis://host/db` shared.

    Raises `CacheConfigError` for any other scheme.
    """
    parts = urlsplit(url or f"{MEMORY_SCHEME}://")
    if parts.scheme == MEMORY_SCHEME:
        return Cache(
            _BoundedMemoryCache(
                max_entries, serializer=_JsonSerializer(), namespace=namespace
            )
        )
    if parts.scheme in REDIS_SCHEMES:
        return Cache(
            _redis_backend(
                parts.hostname,
                parts.port,
                parts.path,
                parts.password,
                ssl=parts.scheme == "rediss",
                namespace=namespace,
            )
        )
    raise CacheConfigError(f"unsupported cache URL scheme {parts.scheme!r}")


def _redis_backend(
    host: str | None,
    port: int | None,
    path: str,
    password: str | None,
    *,
    ssl: bool,
    namespace: str,
) -> BaseCache:
    return RedisCache(
        serializer=_JsonSerializer(),
        namespace=namespace,
        endpoint=host or "127.0.0.1",
        port=port or 6379,
        db=int(path.strip("/") or 0),
        password=password,
        ssl=ssl,
        timeout=DEFAULT_OPERATION_TIMEOUT,
        create_connection_timeout=DEFAULT_OPERATION_TIMEOUT,
        # Past the pool's size, callers wait for a connection instead of failing
        # with "Too many connections", as redis-py's default pool does.
        pool_max_size=REDIS_POOL_SIZE,
        connection_pool_class=BlockingConnectionPool,
        connection_pool_kwargs={"timeout": DEFAULT_OPERATION_TIMEOUT},
    )

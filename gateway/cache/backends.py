"""The two backends of `Cache`, both aiocache's: in process, or Redis.

These are the only lines that construct aiocache classes: its unreleased 1.0 drops
`Cache.from_url` and replaces `RedisCache`, so the classes are built directly, here,
behind our own small interface.

Redis stores JSON text, never pickles: whoever can write to a shared Redis must
not gain code execution, and replicas of every version read what others wrote.
A model (anything with `to_json`, such as `Account` or `MediaPage`) is written as
its `to_json()`, so a read from Redis gives back that JSON, decoded.

In process, values are kept as they were stored, and every reader gets that very
object: a JSON round trip would only copy what nobody can change, since what is
cached is immutable (frozen models, strings, numbers). A reader must never mutate
what it read.
"""

from typing import Any
from urllib.parse import SplitResult

import orjson
from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import BaseSerializer
from redis.asyncio import BlockingConnectionPool

from gateway.cache.redis_client import ServerEpoch, connection_pool_kwargs

DEFAULT_NAMESPACE = "gateway"
REDIS_POOL_SIZE = 64


class JsonSerializer(BaseSerializer):  # type: ignore[misc]  # aiocache is untyped
    """JSON both ways; counters written by `increment` come back as plain ints.

    A model is written as its `to_json()`: orjson would otherwise write a
    dataclass by its fields, which is not the shape its `from_json` reads.
    """

    def dumps(self, value: Any) -> str:
        return orjson.dumps(
            value, default=_model_json, option=orjson.OPT_PASSTHROUGH_DATACLASS
        ).decode()

    def loads(self, value: str | bytes | int | None) -> Any:
        if value is None or isinstance(value, int):
            return value
        return orjson.loads(value)


def _model_json(value: object) -> object:
    """What orjson writes for a value it cannot write itself: a model's JSON.

    Found by its `to_json` method rather than by `isinstance` of a runtime
    `Protocol`, which on Python 3.11 costs about 6 µs a call (`getattr_static`)."""
    to_json = getattr(value, "to_json", None)
    if to_json is None:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return to_json()


class _BoundedMemoryCache(SimpleMemoryCache):  # type: ignore[misc]  # aiocache is untyped
    """aiocache's memory backend with a cap on entries, evicting the oldest write.

    aiocache's own memory backend grows without bound; many users must not be
    able to grow the process without limit. Values are kept as stored, with no
    serializer (aiocache's memory default, `NullSerializer`, does nothing either).
    """

    def __init__(self, max_entries: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_entries = max_entries

    def _build_key(self, key: str, namespace: str | None = None) -> str:
        """aiocache's key for the string keys `Cache` sends, without its format
        call and check for enum keys: every read and write builds one."""
        prefix = self.namespace if namespace is None else namespace
        return key if prefix is None else prefix + key

    async def get(self, key: str, default: Any = None) -> Any:
        """aiocache's `get` without its per-call wrappers, which nothing in process
        needs: an environment read, the plugin hooks and a debug line built even
        when not logged, a coroutine each. Every request reads the generations of
        its lists, and these were a tenth of a warm request's CPU."""
        value = self._cache.get(self.build_key(key))
        return default if value is None else value

    async def set(self, key: str, value: Any, ttl: float | None = None) -> bool:
        """aiocache's `set` without its per-call wrappers (as `get`): a cold
        request writes each page it fetched."""
        await self._set(self.build_key(key), value, ttl=ttl)
        return True

    async def add(self, key: str, value: Any, ttl: float | None = None) -> bool:
        """aiocache's `add` without its per-call wrappers (as `get`): a new
        account's first request seeds the generation of each list it reads.
        Raises ValueError if `key` is there already, as aiocache's does."""
        await self._add(self.build_key(key), value, ttl=ttl)
        return True

    async def multi_get(self, keys: list[str]) -> list[Any]:
        """aiocache's `multi_get`, without its per-call wrappers (as `get`)."""
        stored, build_key = self._cache, self.build_key
        return [stored.get(build_key(key)) for key in keys]

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


class _RedisCache(RedisCache):  # type: ignore[misc]  # aiocache is untyped
    """aiocache's Redis backend, reading generations without its per-call wrappers.

    Every kept response on Redis checks its lists' generations with one MGET
    (batched across the requests in flight): aiocache's `multi_get` wrapped it
    in four coroutines, an environment read, the plugin hooks and a debug line
    built even when not logged, and decoded each value to text before the JSON
    decoder, which reads the bytes themselves. Keys are aiocache's own.
    """

    async def multi_get(self, keys: list[str]) -> list[Any]:
        values = await self.client.mget(*[self.build_key(key) for key in keys])
        loads = self._serializer.loads
        return [loads(value) for value in values]


def memory_backend(max_entries: int, *, namespace: str) -> BaseCache:
    """The in-process backend, holding at most `max_entries` values as stored."""
    # No operation timeout: nothing in memory waits, and aiocache's timeout
    # wrapper costs a task per call.
    return _BoundedMemoryCache(max_entries, namespace=namespace, timeout=None)


def redis_backend(
    parts: SplitResult, *, timeout: float, namespace: str, server_epoch: ServerEpoch
) -> BaseCache:
    """A Redis backend whose connections recover and learn `server_epoch`.

    Each attempt of a command is bounded by `timeout` (connect, then the answer),
    and so is, twice over, the wait for a free pooled connection; with redis-py's
    one retry, a command fails after about four times `timeout` at worst.
    aiocache's own timeout is off: redis-py's bound every wait already, and
    aiocache's would cost a task per call and cut the retry short.
    """
    return _RedisCache(
        serializer=JsonSerializer(),
        namespace=namespace,
        endpoint=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        db=int(parts.path.strip("/") or 0),
        password=parts.password,
        # TLS is chosen by the connection class: aiocache's `ssl` would replace it.
        ssl=False,
        timeout=None,
        create_connection_timeout=timeout,
        # Past the pool's size, callers wait for a connection instead of failing
        # with "Too many connections", as redis-py's default pool does.
        pool_max_size=REDIS_POOL_SIZE,
        connection_pool_class=BlockingConnectionPool,
        connection_pool_kwargs=connection_pool_kwargs(
            server_epoch, timeout=timeout, ssl=parts.scheme == "rediss"
        ),
    )

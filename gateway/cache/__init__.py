"""The cross-request cache, shared by replicas when it is Redis.

`create_cache(url)` picks the backend; `Cache` (in `store`) is the interface the
accounts service uses, and the only one: nothing else touches aiocache.
"""

import functools
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from gateway.cache.backends import DEFAULT_NAMESPACE, memory_backend, redis_backend
from gateway.cache.buckets import (
    BucketPolicy,
    MemoryBuckets,
    RedisBuckets,
    redis_buckets,
)
from gateway.cache.redis_client import ServerEpoch
from gateway.cache.store import DEFAULT_BACKOFF, DEFAULT_WRITE_TIMEOUT, Cache
from gateway.cache.traced import LookupSpans, TracedCache

MEMORY_SCHEME = "memory"
REDIS_SCHEMES = ("redis", "rediss")
DEFAULT_OPERATION_TIMEOUT = 0.5

__all__ = [
    "BucketPolicy",
    "Buckets",
    "Cache",
    "CacheConfigError",
    "LookupSpans",
    "create_buckets",
    "create_cache",
]


class CacheConfigError(ValueError):
    """The cache URL names no supported backend."""


def create_cache(
    url: str | None,
    *,
    max_entries: int,
    timeout: float = DEFAULT_OPERATION_TIMEOUT,
    backoff: float = DEFAULT_BACKOFF,
    write_timeout: float = DEFAULT_WRITE_TIMEOUT,
    on_event: Callable[[str], None] = lambda event: None,
    namespace: str = DEFAULT_NAMESPACE,
    clock: Callable[[], int] = time.time_ns,
    spans: LookupSpans | None = None,
) -> Cache:
    """A `Cache` for `url`: None or `memory://` in process, `redis://host/db` shared.

    `timeout` bounds each attempt of a Redis command (redis-py retries once),
    `backoff` is how long a failed backend is skipped, `write_timeout` how long a
    bump is retried, and `on_event` is told of hits, misses, stale values, errors
    and bumps left to replay; `clock` (nanoseconds) seeds new generations.
    With `spans` (tracing on) every lookup is a span (`TracedCache`); without, the
    cache does no tracing work at all. Raises `CacheConfigError` for any other
    scheme.
    """
    parts = urlsplit(url or f"{MEMORY_SCHEME}://")
    server_epoch = None
    if parts.scheme == MEMORY_SCHEME:
        backend = memory_backend(max_entries, namespace=namespace)
    elif parts.scheme in REDIS_SCHEMES:
        server_epoch = ServerEpoch()
        backend = redis_backend(
            parts, timeout=timeout, namespace=namespace, server_epoch=server_epoch
        )
    else:
        raise CacheConfigError(f"unsupported cache URL scheme {parts.scheme!r}")
    make: Callable[..., Cache] = Cache
    if spans is not None:
        name = "memory" if parts.scheme == MEMORY_SCHEME else "redis"
        make = functools.partial(TracedCache, spans=spans, backend_name=name)
    return make(
        backend,
        server_epoch=server_epoch,
        batch_reads=server_epoch is not None,
        backoff=backoff,
        write_timeout=write_timeout,
        on_event=on_event,
        clock=clock,
    )


#: Rate-limit buckets, one per caller: in process or in Redis.
Buckets = MemoryBuckets | RedisBuckets


def create_buckets(
    url: str | None, policy: BucketPolicy, *, timeout: float, backoff: float
) -> Buckets:
    """Rate-limit buckets beside the cache at `url`: in process for None or
    `memory://`, else in that Redis (`timeout` and `backoff` as for the cache)."""
    parts = urlsplit(url or f"{MEMORY_SCHEME}://")
    if parts.scheme in REDIS_SCHEMES:
        assert url is not None
        return redis_buckets(url, policy, timeout=timeout, backoff=backoff)
    return MemoryBuckets(policy)

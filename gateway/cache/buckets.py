"""Token buckets, one per caller: in process, or in Redis shared by the replicas.

A bucket holds up to `burst` tokens and gains `rate` a second; each request takes
one, and a request that finds none is told how long until one is there. Buckets
are keyed by the caller's credentials' fingerprint (a SHA-256), never the
credentials.

In Redis, one Lua script reads, refills and takes atomically, on the server's
clock (`TIME`), so replicas whose clocks disagree still share one bucket. Its
key carries the fingerprint as a hash tag, so each bucket lives in one slot of a
Redis Cluster. When Redis fails, each replica falls back to buckets of its own
for `backoff` seconds: neither open (no limit at all while Redis is away) nor
closed (no answers at all), a caller may then reach the rate once per replica.
"""

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

from gateway.cache.backends import DEFAULT_NAMESPACE, REDIS_POOL_SIZE
from gateway.cache.redis_client import ServerEpoch, connection_pool_kwargs

logger = logging.getLogger(__name__)

#: KEYS[1] the bucket; ARGV rate (tokens a second) and burst. Returns the seconds
#: until a token is there (as text: Lua numbers reach redis-py as integers), "0"
#: when one was taken. An idle bucket expires once it would be full again.
TAKE_SCRIPT = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local kept = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(kept[1]) or burst
local at = tonumber(kept[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1)
return tostring(wait)
"""


@dataclass(frozen=True, slots=True)
class BucketPolicy:
    """How fast a caller's bucket fills (`rate` tokens a second) and how much it
    holds (`burst`)."""

    rate: float
    burst: int

    def take(self, tokens: float) -> tuple[float, float]:
        """Tokens left after one is taken from `tokens`, and the seconds to wait
        when there was none to take (0 when one was)."""
        if tokens >= 1:
            return tokens - 1, 0.0
        return tokens, (1 - tokens) / self.rate


class MemoryBuckets:
    """The buckets of one process.

    A bucket that has filled up again is as good as none and is forgotten, so
    the buckets held are those of callers seen within the last `burst / rate`
    seconds.
    """

    def __init__(
        self, policy: BucketPolicy, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._policy = policy
        self._clock = clock
        # fingerprint → (tokens, when counted), least recently counted first
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, key: str) -> float:
        """Take a token from `key`'s bucket: 0, or the seconds until there is one."""
        return self.take_now(key)

    def take_now(self, key: str) -> float:
        """`take`, without awaiting anything."""
        now, policy = self._clock(), self._policy
        self._forget_full(now)
        tokens, at = self._buckets.pop(key, (policy.burst, now))
        tokens = min(policy.burst, tokens + (now - at) * policy.rate)
        tokens, wait = policy.take(tokens)
        self._buckets[key] = (tokens, now)
        return wait

    def _forget_full(self, now: float) -> None:
        policy = self._policy
        while self._buckets:
            tokens, at = next(iter(self._buckets.values()))
            if tokens + (now - at) * policy.rate < policy.burst:
                return
            self._buckets.popitem(last=False)

    def __len__(self) -> int:
        return len(self._buckets)

    async def aclose(self) -> None:
        """Nothing to close: a process's buckets go with it."""


class RedisBuckets:
    """Buckets in Redis, shared by every replica using it (`TAKE_SCRIPT`).

    A Redis that fails (after redis-py's one retry on a fresh connection) is
    skipped for `backoff` seconds, in which `fallback` counts for this process.
    """

    def __init__(
        self,
        client: Redis,
        policy: BucketPolicy,
        *,
        backoff: float,
        namespace: str = DEFAULT_NAMESPACE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._script = client.register_script(TAKE_SCRIPT)
        self._args = (policy.rate, policy.burst)
        self._prefix = f"{namespace}:bucket:"
        self._fallback = MemoryBuckets(policy, clock=clock)
        self._backoff = backoff
        self._clock = clock
        self._skip_until = -math.inf

    async def take(self, key: str) -> float:
        """Take a token from `key`'s bucket: 0, or the seconds until there is one."""
        if self._clock() < self._skip_until:
            return self._fallback.take_now(key)
        try:
            wait = await self._script(keys=[self._key(key)], args=self._args)
        except RedisError:
            logger.warning("Redis failed; rate limits count per process for now")
            self._skip_until = self._clock() + self._backoff
            return self._fallback.take_now(key)
        return float(wait)

    def _key(self, key: str) -> str:
        # The braces make the fingerprint the hash tag: one Cluster slot per bucket.
        return f"{self._prefix}{{{key}}}"

    async def aclose(self) -> None:
        """Close the connections to Redis."""
        await self._client.aclose()


def redis_buckets(
    url: str, policy: BucketPolicy, *, timeout: float, backoff: float
) -> RedisBuckets:
    """Buckets in the Redis at `url`, over connections that recover as the cache's
    do (`redis_client`): each attempt bounded by `timeout`, retried once."""
    kwargs = connection_pool_kwargs(
        ServerEpoch(), timeout=timeout, ssl=urlsplit(url).scheme == "rediss"
    )
    pool = BlockingConnectionPool.from_url(
        url, max_connections=REDIS_POOL_SIZE, **kwargs
    )
    return RedisBuckets(Redis.from_pool(pool), policy, backoff=backoff)

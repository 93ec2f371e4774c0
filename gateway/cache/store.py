"""`Cache`: JSON values under string keys and generation counters, over one backend.

Each value is stored with the time it was written, so a reader can ask for it only
while it is fresh (`get(max_age=…)`) or, as a fallback, while it is not too old
(`get_stale`).

Generations make invalidation safe across replicas: a list key embeds the current
generation of its (account, list, media type), and a mutation moves that
generation on. A generation that is missing (never set, evicted, expired, lost in a
Redis restart) is re-created from the clock in nanoseconds, so it never repeats a
value that older entries were stored under.

The cache is never a single point of failure. When the backend fails (refused,
reset, timed out: any `RedisError`, `OSError` or `TimeoutError`), a read is a miss,
a write does nothing, and the cache is skipped altogether for `backoff` seconds, so
that requests do not each wait for the timeout; then it is tried again, and
redis-py reconnects by itself. A generation that cannot be read is `None`, never a
guess that could collide with older keys: the caller must neither read nor write
entries for it. A bump that fails is remembered in this process and replayed
before the cache is trusted again: until then every generation is `None`, so no
list stored before the failure can be served after it (DESIGN.md invariant 2).

What remains at risk: a process that ends with bumps still to replay loses them,
and other replicas never knew of them; and while a replica's bumps wait for their
replay, other replicas that reach Redis again (or never lost it, in a partition)
may serve a list older than that replica's write. Either way the old list lives at
most as long as its own TTL, and a Redis restarted without persistence holds no old
lists at all; one restarted from a snapshot may.
"""

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiocache.base import BaseCache
from redis.exceptions import RedisError

DEFAULT_BACKOFF = 5.0
# Generations expire so that Redis does not keep one per list of every account
# ever seen; a lapsed one is re-seeded from the clock, which costs one miss.
GENERATION_TTL = 24 * 60 * 60
#: What a failing backend raises; aiocache's operation timeout is a TimeoutError.
BACKEND_ERRORS = (RedisError, OSError, TimeoutError)

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Aged:
    """A cached value and how many seconds ago it was stored."""

    value: Any
    age: float


class Cache:
    """TTL'd JSON values and generation counters over one aiocache backend.

    `on_event` is told of every `hit`, `miss`, `stale` value served and backend
    `error`; `backoff` is how long the backend is skipped after it failed.
    """

    def __init__(
        self,
        backend: BaseCache,
        *,
        backoff: float = DEFAULT_BACKOFF,
        on_event: Callable[[str], None] = lambda event: None,
    ) -> None:
        self._backend = backend
        self._backoff = backoff
        self._on_event = on_event
        self._skip_until = 0.0  # time.monotonic() before which the backend is skipped
        self._failing = False
        # Generation keys whose bump failed, each with a ticket: a replay forgets
        # a key only if no newer bump of it came in meanwhile.
        self._pending: dict[str, object] = {}

    async def get(self, key: str, *, max_age: float | None = None) -> Any:
        """The value under `key`, or None when absent, older than `max_age`
        seconds, or unreachable."""
        entry = await self._entry(key)
        if entry is None or (max_age is not None and entry.age > max_age):
            self._on_event("miss")
            return None
        self._on_event("hit")
        return entry.value

    async def get_stale(self, key: str, *, max_age: float) -> Aged | None:
        """The value under `key` with its age, if stored at most `max_age` seconds
        ago: the fallback served, and counted as `stale`, when its source fails."""
        entry = await self._entry(key)
        if entry is None or entry.age > max_age:
            return None
        self._on_event("stale")
        return entry

    async def set(self, key: str, value: Any, ttl: float) -> None:
        """Store `value` (anything `json.dumps` accepts) for `ttl` seconds.

        A `ttl` of 0 or less stores nothing: aiocache would keep it forever.
        """
        if ttl > 0:
            entry = {"at": time.time(), "value": value}
            await self._attempt(lambda: self._backend.set(key, entry, ttl=ttl), None)

    async def generation(self, key: str) -> int | None:
        """The current generation under `key`, created from the clock if missing;
        None when the cache cannot be trusted (unreachable, or bumps to replay)."""
        return await self._attempt(lambda: self._read_generation(key), None)

    async def current_generations(self, keys: Sequence[str]) -> list[int | None] | None:
        """The generations stored under `keys` now (None where missing: nothing is
        seeded); None when the cache cannot be trusted."""
        return await self._attempt(lambda: self._read_generations(keys), None)

    async def bump(self, key: str) -> None:
        """Move the generation under `key` on, so entries stored under it go unread.

        When the backend fails, the bump is replayed before the cache is used again.
        """
        self._pending[key] = object()
        await self._usable()

    async def ping(self) -> bool:
        """Whether the backend answers a round trip now (the back-off window is
        ignored), with no failed bump left to replay."""
        self._skip_until = 0.0
        return await self._attempt(self._round_trip, False)

    async def close(self) -> None:
        """Release the backend's connections."""
        await self._backend.close()

    async def _entry(self, key: str) -> Aged | None:
        stored = await self._attempt(lambda: self._backend.get(key), None)
        if not isinstance(stored, dict) or stored.keys() != {"at", "value"}:
            return None  # absent, or written by a version without timestamps
        return Aged(stored["value"], max(0.0, time.time() - stored["at"]))

    async def _round_trip(self) -> bool:
        await self._backend.exists("__ping__")
        return True

    async def _attempt(self, operation: Callable[[], Awaitable[T]], fallback: T) -> T:
        """`operation()`, or `fallback` when the backend is skipped or fails."""
        if not await self._usable():
            return fallback
        try:
            result = await operation()
        except BACKEND_ERRORS as exc:
            self._fail(exc)
            return fallback
        self._recover()
        return result

    async def _usable(self) -> bool:
        """Whether to use the backend: not in back-off, and every bump replayed."""
        if time.monotonic() < self._skip_until:
            return False
        try:
            await self._replay()
        except BACKEND_ERRORS as exc:
            self._fail(exc)
            return False
        return True

    async def _replay(self) -> None:
        for key, ticket in list(self._pending.items()):
            await self._seed_generation(key)
            await self._backend.increment(key, 1)
            if self._pending.get(key) is ticket:
                del self._pending[key]

    async def _read_generation(self, key: str) -> int:
        value = await self._backend.get(key)
        if value is None:
            await self._seed_generation(key)
            value = await self._backend.get(key)
        return int(value)

    async def _read_generations(self, keys: Sequence[str]) -> list[int | None]:
        if not keys:  # a response that read no list; MGET needs a key
            return []
        values = await self._backend.multi_get(list(keys))
        return [None if value is None else int(value) for value in values]

    async def _seed_generation(self, key: str) -> None:
        try:
            await self._backend.add(key, time.time_ns(), ttl=GENERATION_TTL)
        except ValueError:  # aiocache's way of saying "already there": keep it
            pass

    def _fail(self, exc: Exception) -> None:
        self._on_event("error")
        self._skip_until = time.monotonic() + self._backoff
        if not self._failing:
            self._failing = True
            logger.warning(
                "cache backend failed (%s); serving without it, retrying in %g s",
                type(exc).__name__,
                self._backoff,
            )

    def _recover(self) -> None:
        if self._failing:
            self._failing = False
            logger.warning("cache backend answers again")

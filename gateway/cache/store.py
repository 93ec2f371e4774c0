"""`Cache`: values under string keys and generation counters, over one backend.

Each value is stored with the time it was written, so a reader can ask for it only
while it is fresh (`get(max_age=…)`) or, as a fallback, while it is not too old
(`get_stale`).

Generations make invalidation safe across replicas: a list key embeds the current
generation of its (account, list, media type), and a mutation moves that
generation on (`bump`). A generation that is missing (never set, evicted, expired)
is re-created from the clock in nanoseconds, so it never repeats a value that
older entries were stored under, and a bump always adds one after that.

Server runs. Redis may restart, empty or from an RDB/AOF snapshot holding older
generations and pages. Every run of redis-server has its own random `run_id`, and
the connections learn it when they connect (`redis_client`); its first 16 hex
digits are the *epoch*. Every key the store sends is prefixed with the epoch it
was built for (`<epoch>:<key>`), and a command is sent only over a connection to
that very run, else refused unsent and built again for the run now reached. A
generation handed out carries its epoch in its high bits
(`epoch << 64 | counter`). What follows, and why:

- No value stored in an earlier run is ever read: its key holds an older epoch,
  and a command with that epoch can only reach the older run, which is gone.
  This covers a retry too: redis-py re-sends a command on a fresh connection, but
  that connection learns the new run first and refuses it.
- No generation, page or kept response from before a restart is judged current
  after it: generations of different runs never compare equal, so neither a page
  key nor a kept response (`transport.responses`) built from an older one matches.
- Replica A may notice a restart before replica B; B needs no telling. B's pooled
  connections reached the old run, which is gone, so B's next command goes over a
  new connection, which learns the new run and refuses B's old-epoch command.
  While nobody knows, nothing is trusted: the epoch starts as "", which no server
  has.
- A value read before a restart may still finish the request that read it: it
  was current when read.

Redis Cluster would need one epoch per node, not per client: each master has its
own run_id, and a key's epoch must be that of the node serving its slot (a
failover to a replica is then a new epoch for those slots, which is safe: the
replica may lack the last bumps). The keys of one account share a hash tag
(`{a:<id>}`, chosen by the accounts service), so its generations stay one slot.

Batching. Every request that could reuse a kept response asks Redis whether its
lists are still at their generations: one MGET each, whose client-side cost (not
Redis's: under a microsecond a call) made warm reads 2.3 times as costly in CPU
as on the memory backend. With `batch_reads` the reads of requests in flight at
once go out as one MGET (strawberry's `DataLoader`, without its memo: a batch is
sent on the loop's next turn, after every read in it was asked), so a read still
sees every bump acknowledged before it was asked.

Failure. When the backend fails (refused, reset, timed out, after redis-py's own
retry on a fresh connection), a read is a miss, a write does nothing, and the
cache is skipped for `backoff` seconds so that requests do not each wait. A
generation that cannot be read is `None`, never a guess: the caller neither reads
nor writes entries for it. A bump is different, since a mutation is acknowledged
on it: it ignores the back-off and is retried for up to `write_timeout` seconds.
If it still cannot reach Redis, `bump` says so (False) and the bump is remembered
and replayed before the cache is trusted again: until then every generation is
`None` here, so this process serves no list cached before the write.

What remains at risk after a False bump: other replicas, which may reach Redis
(a partition) or reach it again first, serve the list cached before the write
until its TTL; and a process that ends with bumps to replay loses them. A Redis
that restarts meanwhile is a new epoch, which holds no older list at all.
"""

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiocache.base import BaseCache
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError
from strawberry.dataloader import DataLoader

from gateway.cache.redis_client import EpochChangedError, ServerEpoch, expecting

DEFAULT_BACKOFF = 5.0
DEFAULT_WRITE_TIMEOUT = 1.0
# Generations expire so that Redis does not keep one per list of every account
# ever seen; a lapsed one is re-seeded from the clock, which costs one miss.
GENERATION_TTL = 24 * 60 * 60
#: What a failing backend raises; a deadline of ours is a TimeoutError.
BACKEND_ERRORS = (RedisError, OSError, TimeoutError)
#: The epoch of a backend without a server that could restart: in process.
FIXED_EPOCH = "0"
#: Pauses between a bump's attempts: random, doubling from 20 ms up to 250 ms.
_BUMP_BACKOFF = ExponentialWithJitterBackoff(cap=0.25, base=0.01)

T = TypeVar("T")
Operation = Callable[[str], Awaitable[T]]
Keys = tuple[str, ...]
Counters = list[int | None]
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Aged:
    """A cached value and how many seconds ago it was stored."""

    value: Any
    age: float


class Cache:
    """TTL'd values and generation counters over one aiocache backend.

    `server_epoch` follows the backend's server through restarts (a fixed one for
    memory); `batch_reads` gathers the generation reads of concurrent requests into
    one round trip (for a backend across the network: in memory there is no trip
    to save); `on_event` is told of every `hit`, `miss`, `stale` value served,
    backend `error` and `invalidation_pending` (a bump left to replay); `backoff`
    is how long the backend is skipped after it failed; `write_timeout` bounds a
    bump's retries; `clock` seeds new generations (nanoseconds).
    """

    def __init__(
        self,
        backend: BaseCache,
        *,
        server_epoch: ServerEpoch | None = None,
        batch_reads: bool = False,
        backoff: float = DEFAULT_BACKOFF,
        write_timeout: float = DEFAULT_WRITE_TIMEOUT,
        on_event: Callable[[str], None] = lambda event: None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self._backend = backend
        # None in process: no server run to follow, nor connections to hold to it.
        self._server_epoch = server_epoch
        self._backoff = backoff
        self._write_timeout = write_timeout
        self._on_event = on_event
        self._clock = clock
        self._skip_until = 0.0  # time.monotonic() before which the backend is skipped
        self._failing = False
        # Generation keys whose bump failed, each with a ticket: a replay forgets
        # a key only if no newer bump of it came in meanwhile.
        self._pending: dict[str, object] = {}
        self._batched_reads: DataLoader[Keys, Counters | None] | None = (
            DataLoader(self._read_batch, cache=False) if batch_reads else None
        )

    async def get(self, key: str, *, max_age: float | None = None) -> Any:
        """The value under `key`, or None when absent, older than `max_age`
        seconds, or unreachable: from memory the very object stored, from Redis
        its JSON decoded (a model's `to_json()`)."""
        entry = await self.get_aged(key, max_age=max_age)
        return None if entry is None else entry.value

    async def get_aged(self, key: str, *, max_age: float | None = None) -> Aged | None:
        """`get`, with the value's age: what is left of its `max_age` is how
        long an answer built from it may still be served."""
        entry = await self._entry(key)
        if entry is None or (max_age is not None and entry.age > max_age):
            self._on_event("miss")
            return None
        self._on_event("hit")
        return entry

    async def get_stale(self, key: str, *, max_age: float) -> Aged | None:
        """The value under `key` with its age, if stored at most `max_age` seconds
        ago: the fallback served, and counted as `stale`, when its source fails."""
        entry = await self._entry(key)
        if entry is None or entry.age > max_age:
            return None
        self._on_event("stale")
        return entry

    async def set(self, key: str, value: Any, ttl: float) -> None:
        """Store `value` for `ttl` seconds: a model with `to_json`, or anything
        `json.dumps` accepts.

        It must be immutable (a frozen model, a string, a number): memory keeps
        the object itself and hands it to every reader. Redis keeps its JSON.
        A `ttl` of 0 or less stores nothing: aiocache would keep it forever.
        """
        if ttl > 0:
            entry = {"at": time.time(), "value": value}
            await self._attempt(
                lambda epoch: self._backend.set(_key(epoch, key), entry, ttl=ttl), None
            )

    async def generation(self, key: str) -> int | None:
        """The current generation under `key`, created from the clock if missing;
        None when the cache cannot be trusted (unreachable, or bumps to replay)."""
        return await self._attempt(
            lambda epoch: self._read_generation(epoch, key), None
        )

    async def current_generations(self, keys: Sequence[str]) -> list[int | None] | None:
        """The generations stored under `keys` now (None where missing: nothing is
        seeded); None when the cache cannot be trusted.

        No keys need no round trip (and redis-py refuses an MGET of none).
        """
        if not keys:
            return []
        if self._batched_reads is not None:
            return await self._batched_reads.load(tuple(keys))
        if self._server_epoch is None and not self._pending:
            # In process there is no server run to follow, no round trip to
            # fail, and no bump left to replay: `_attempt`'s steps (a coroutine
            # each) would change nothing, and every kept response reads here.
            return await self._read_generations(FIXED_EPOCH, keys)
        return await self._attempt(
            lambda epoch: self._read_generations(epoch, keys), None
        )

    async def bump(self, key: str) -> bool:
        """Move the generation under `key` on, so entries stored under it go unread.

        True once the backend has recorded it. It is retried, back-off or not, for
        up to `write_timeout` seconds; False if it still failed: then it is
        replayed before the cache is used again, and counted as
        `invalidation_pending`.
        """
        self._pending[key] = object()
        retry = Retry(_BUMP_BACKOFF, retries=-1, supported_errors=(RedisError,))
        try:
            async with asyncio.timeout(self._write_timeout):
                await retry.call_with_retry(
                    lambda: self._in_epoch(self._replay), _ignore_failure
                )
        except BACKEND_ERRORS as exc:
            self._fail(exc)
            self._on_event("invalidation_pending")
            return False
        self._skip_until = 0.0
        self._recover()
        return True

    async def ping(self) -> bool:
        """Whether the backend answers a round trip now (the back-off window is
        ignored), with no failed bump left to replay."""
        self._skip_until = 0.0
        return await self._attempt(self._round_trip, False)

    async def close(self) -> None:
        """Release the backend's connections."""
        await self._backend.close()

    async def _entry(self, key: str) -> Aged | None:
        stored = await self._attempt(
            lambda epoch: self._backend.get(_key(epoch, key)), None
        )
        if not isinstance(stored, dict) or stored.keys() != {"at", "value"}:
            return None  # absent, or written by a version without timestamps
        return Aged(stored["value"], max(0.0, time.time() - stored["at"]))

    async def _round_trip(self, epoch: str) -> bool:
        await self._backend.exists(_key(epoch, "__ping__"))
        return True

    async def _attempt(self, operation: Operation[T], fallback: T) -> T:
        """`operation(epoch)` after any bumps to replay, or `fallback` when the
        backend is skipped, fails, or restarted twice under it."""
        if time.monotonic() < self._skip_until:
            return fallback
        try:
            result = await self._in_epoch(
                lambda epoch: self._replayed(operation, epoch)
            )
        except EpochChangedError:  # a restart in progress: unknown, not a failure
            return fallback
        except BACKEND_ERRORS as exc:
            self._fail(exc)
            return fallback
        self._recover()
        return result

    async def _in_epoch(self, operation: Operation[T]) -> T:
        """`operation(epoch)` for the server run the connections last reached;
        built again once if its connection turned out to reach a newer one."""
        if self._server_epoch is None:
            return await operation(FIXED_EPOCH)
        try:
            return await self._run_for(self._server_epoch.current, operation)
        except EpochChangedError:
            return await self._run_for(self._server_epoch.current, operation)

    async def _run_for(self, epoch: str, operation: Operation[T]) -> T:
        with expecting(epoch):
            return await operation(epoch)

    async def _replayed(self, operation: Operation[T], epoch: str) -> T:
        if self._pending:
            await self._replay(epoch)
        return await operation(epoch)

    async def _replay(self, epoch: str) -> None:
        """Apply every bump still pending, forgetting those that no newer bump of
        the same key has joined meanwhile."""
        for key, ticket in list(self._pending.items()):
            await self._seed_generation(epoch, key)
            await self._backend.increment(_key(epoch, key), 1)
            if self._pending.get(key) is ticket:
                del self._pending[key]

    async def _read_batch(self, asked: list[Keys]) -> list[Counters | None]:
        """The generations that requests in flight at once asked for, in one MGET.

        Each request asked before the batch was sent, so it sees every bump
        acknowledged before it asked, as a read of its own would.
        """
        unique = list(dict.fromkeys(key for keys in asked for key in keys))
        values = await self._attempt(
            lambda epoch: self._read_generations(epoch, unique), None
        )
        if values is None:
            return [None] * len(asked)
        found = dict(zip(unique, values, strict=True))
        return [[found[key] for key in keys] for keys in asked]

    async def _read_generation(self, epoch: str, key: str) -> int:
        value = await self._backend.get(_key(epoch, key))
        if value is None:
            await self._seed_generation(epoch, key)
            value = await self._backend.get(_key(epoch, key))
        return _qualified(epoch, int(value))

    async def _read_generations(
        self, epoch: str, keys: Sequence[str]
    ) -> list[int | None]:
        values = await self._backend.multi_get([_key(epoch, key) for key in keys])
        run = _run_bits(epoch)
        return [None if value is None else run | int(value) for value in values]

    async def _seed_generation(self, epoch: str, key: str) -> None:
        try:
            await self._backend.add(_key(epoch, key), self._clock(), ttl=GENERATION_TTL)
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


def _key(epoch: str, key: str) -> str:
    """`key` as stored for the server run `epoch`."""
    return f"{epoch}:{key}"


def _qualified(epoch: str, counter: int) -> int:
    """A generation counter of the run `epoch`, unequal to any of another run.

    Counters start from the clock in nanoseconds, below 2**63 until 2262.
    """
    return _run_bits(epoch) | counter


@functools.lru_cache(maxsize=8)  # one epoch per server run
def _run_bits(epoch: str) -> int:
    """The high bits that `_qualified` sets for the run `epoch`."""
    return int(epoch, 16) << 64


async def _ignore_failure(error: Exception) -> None:
    """A bump's failed attempt needs no clean-up: redis-py dropped the connection."""

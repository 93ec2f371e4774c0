"""The faults the soak puts on Redis and on upstream, one at a time.

Each kind comes once per round, rounds in a random order (by the seed), with a
quiet `GAP` before each fault and after the last one. A fault is in force for
`HOLD` seconds, plus what a restart takes; its window is recorded in `Figures`.
"""

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import redis.asyncio

from bench.soak.figures import Figures, Window
from bench.soak.stack import Stack
from bench.soak.users import DELAY

GAP = 2.5  # quiet seconds before each fault
HOLD = 1.5  # seconds each fault is in force
RESTART = 3.0  # seconds a restart may add to a fault, for the schedule
SNAPSHOT_WRITES = 1.0  # seconds of writes between SAVE and the crash


class Fault(Protocol):
    async def prepare(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        """What comes before the fault is in force (a snapshot)."""

    async def begin(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        """Put the fault in force."""

    async def end(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        """Undo it; returns once the broken part serves again."""


class _Simple:
    """A fault with nothing to prepare, and nothing to undo unless it says so."""

    async def prepare(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        pass

    async def end(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        pass


@dataclass(frozen=True)
class UpstreamFaults(_Simple):
    """The reference API answers every request as `faults` says (`/__faults`)."""

    faults: dict[str, Any]

    async def begin(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        async with http.put(f"{stack.api_url}/__faults", json=self.faults) as reply:
            reply.raise_for_status()

    async def end(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        async with http.delete(f"{stack.api_url}/__faults") as reply:
            reply.raise_for_status()


class UpstreamOutage(_Simple):
    """The reference API process stops (its port closes), then starts again on the
    same port and database."""

    async def begin(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        await stack.api.stop()

    async def end(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        await stack.api.start()


@dataclass(frozen=True)
class RedisCrash(_Simple):
    """redis-server is killed (SIGKILL) and restarted: empty, or from a snapshot
    taken `SNAPSHOT_WRITES` seconds before the crash, so the writes made in between
    are gone from Redis (generations move back)."""

    snapshot: bool

    async def prepare(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        if self.snapshot:
            async with side_connection(stack) as client:
                await client.save()
            await asyncio.sleep(SNAPSHOT_WRITES)  # the users write meanwhile

    async def begin(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        await asyncio.to_thread(stack.redis.kill)
        if not self.snapshot:
            stack.redis.erase()

    async def end(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        await asyncio.to_thread(stack.redis.start)


class PoolBreak(_Simple):
    """Redis closes every client connection (`CLIENT KILL TYPE normal` from a side
    connection, which it spares): the replicas' pooled connections are dead."""

    async def begin(self, stack: Stack, http: aiohttp.ClientSession) -> None:
        async with side_connection(stack) as client:
            await client.client_kill_filter(_type="normal")


KINDS: dict[str, Fault] = {
    "redis-restart-empty": RedisCrash(snapshot=False),
    "redis-restart-snapshot": RedisCrash(snapshot=True),
    "redis-pool-break": PoolBreak(),
    "upstream-hang": UpstreamFaults({"delay": DELAY}),
    "upstream-outage": UpstreamOutage(),
    "upstream-500": UpstreamFaults({"status": 500}),
    "upstream-503": UpstreamFaults({"status": 503}),
    "upstream-429": UpstreamFaults({"status": 429, "headers": {"Retry-After": "1"}}),
}


@contextlib.asynccontextmanager
async def side_connection(stack: Stack) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis(host="127.0.0.1", port=stack.redis.port)
    try:
        yield client
    finally:
        await client.aclose()


async def inject_faults(
    stack: Stack,
    http: aiohttp.ClientSession,
    deadline: float,
    kinds: list[str],
    rng: random.Random,
    figures: Figures,
) -> None:
    """Faults of `kinds` until `deadline`, the last over at least `GAP` before it."""
    while kinds:
        for kind in rng.sample(kinds, len(kinds)):
            if time.monotonic() + 2 * GAP + SNAPSHOT_WRITES + HOLD + RESTART > deadline:
                return
            await asyncio.sleep(GAP)  # a schedule, not a sync point
            figures.windows.append(await run_fault(kind, stack, http))


async def run_fault(kind: str, stack: Stack, http: aiohttp.ClientSession) -> Window:
    """One fault, undone even if the run is interrupted; its window."""
    fault = KINDS[kind]
    await fault.prepare(stack, http)
    start = time.monotonic()
    try:
        await fault.begin(stack, http)
        await asyncio.sleep(HOLD)  # how long the fault lasts
    finally:
        await fault.end(stack, http)
    return Window(kind, start, time.monotonic())

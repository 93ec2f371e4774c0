"""`SingleFlight`: identical loads in flight at the same moment share one run."""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class SingleFlight:
    """Coalesces concurrent loads by key within one process.

    The first caller of a key starts the load; callers arriving while it runs await
    the same result (or exception). The load is shielded: a caller that goes away
    does not cancel it for the others. Keys must say everything the result depends
    on (the account, and the list's generation), or callers would share too much.
    Disabled, every caller runs its own load.
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self._enabled = enabled
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """The result of `load()`, or of the identical load already running."""
        if not self._enabled:
            return await load()
        # No local holds the load: if it fails, its error's traceback holds this
        # frame, and a local holding the load would make that a reference cycle.
        result: T = await asyncio.shield(
            self._running.get(key) or self._start(key, load)
        )
        return result

    def _start(
        self, key: Hashable, load: Callable[[], Awaitable[T]]
    ) -> asyncio.Future[T]:
        running = asyncio.ensure_future(load())
        self._running[key] = running
        running.add_done_callback(lambda done: self._forget(key, done))
        return running

    def _forget(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved, so a load nobody awaits any more logs nothing

"""`SingleFlight`: identical loads in flight at the same moment share one run."""

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from gateway.accounts.shared_runs import SharedRuns

T = TypeVar("T")


class SingleFlight:
    """Coalesces concurrent loads by key within one process.

    The first caller of a key runs the load itself; callers arriving while it runs
    await the same result (or exception), and it is forgotten once it ends
    (`SharedRuns`). A caller that goes away while waiting does not cancel the load
    for the others; if the first caller goes away, its load ends with it, and
    the callers still waiting run it afresh. Keys must say everything the result
    depends on (the account, and the list's generation), or callers would share
    too much. Disabled, every caller runs its own load.
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self._enabled = enabled
        self._running = SharedRuns[Hashable, Any](keep=False)

    async def run(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """The result of `load()`, or of the identical load already running."""
        if not self._enabled:
            return await load()
        result: T = await self._running.run(key, load)
        return result

"""`SharedRuns`: concurrent callers of one key share one run, without a task of it.

The first caller of a key runs the work itself, inline, and publishes its outcome
to a plain future that later callers await. A task per run would cost a task's
creation, a step of the event loop to start it and another to wake its callers,
for what is, in nearly every request, a run that only its first caller awaits.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class SharedRuns(Generic[K, T]):
    """The outcome of each key's run: its value, or its exception, shared.

    `keep`: outcomes stay until `clear()` (a memo: later callers get the same
    outcome), or are forgotten once their run ends (single-flight: only callers
    arriving while it runs share it).

    A caller that goes away while waiting does not cancel the run (it is awaited
    shielded). The first caller going away does end its run, since it is that
    caller running it: every caller still waiting then runs the work afresh
    (one of them first, the others sharing its run), so none is left waiting
    forever nor handed a cancellation it did not ask for.
    """

    def __init__(self, *, keep: bool) -> None:
        self._keep = keep
        self._outcomes: dict[K, asyncio.Future[T]] = {}

    def __bool__(self) -> bool:
        """Whether any run began since the last `clear()` (kept outcomes only)."""
        return bool(self._outcomes)

    def value(self, key: K) -> T | None:
        """The value of the run of `key` if one ended with it and is kept, else
        None: a caller that only needs a value already known reads it without
        a coroutine or an await."""
        outcome = self._outcomes.get(key)
        if outcome is None or not outcome.done() or outcome.cancelled():
            return None
        return None if outcome.exception() is not None else outcome.result()

    def clear(self) -> None:
        """Forget every outcome: callers from now on run the work afresh. A run
        still going on publishes only to the callers already waiting for it."""
        self._outcomes.clear()

    async def run(self, key: K, work: Callable[[], Awaitable[T]]) -> T:
        """The outcome of `work()`, or of the run of `key` already begun."""
        # No local holds an outcome: if it is an error, its traceback holds this
        # frame, and a local holding the outcome would make that a reference cycle.
        while key in self._outcomes and not self._outcomes[key].cancelled():
            try:
                return await asyncio.shield(self._outcomes[key])
            except asyncio.CancelledError:
                if _cancelling():
                    raise
        return await self._first(key, work)

    async def _first(self, key: K, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work()` as the first caller of `key`, and publish its outcome."""
        outcome: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._outcomes[key] = outcome
        try:
            value = await work()
        except Exception as exc:
            outcome.set_exception(exc)
            outcome.exception()  # retrieved: an error nobody else awaits logs nothing
            raise
        except BaseException:
            outcome.cancel()  # the callers waiting run it afresh
            raise
        else:
            outcome.set_result(value)
            return value
        finally:
            if not self._keep and self._outcomes.get(key) is outcome:
                del self._outcomes[key]
            del outcome  # see `run`: the frame must not hold a failed outcome


def _cancelling() -> bool:
    """Whether the current task itself is being cancelled (rather than the run it
    awaited having been cancelled by its first caller going away)."""
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0

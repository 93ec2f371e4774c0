"""`gather_first_error` does what graphql-core's `gather_with_cancel` does.

Each case runs against both, so the planned executor's way of awaiting a
selection's asynchronous fields answers as graphql-core's does: results in
order, every awaitable under way from the start, the first error in time raised
once the others are cancelled and ended, the caller's cancellation passed on.
Steps are driven by events, so who waits for what is fixed, not timed.
"""

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from graphql.pyutils import gather_with_cancel

from gateway.schema import gathering
from gateway.schema.gathering import gather_first_error
from tests.cycles import cyclic_frames

Gather = Callable[..., Awaitable[list[Any]]]
GATHERS = pytest.mark.parametrize(
    "gather", [gather_with_cancel, gather_first_error], ids=["graphql", "ours"]
)
#: How long a case may wait: a caller left waiting fails the case.
HANG = 5.0


class Step:
    """An awaitable that waits for `go`, then returns `value` or raises a new
    `error` (none kept here, so a cycle is not hidden by this); it notes whether
    it started, ended or was cancelled."""

    def __init__(self, value: Any = None, error: type[Exception] | None = None) -> None:
        self.value, self.error = value, error
        self.started, self.go = asyncio.Event(), asyncio.Event()
        self.gone = asyncio.Event()  # cancelled
        self.ended = self.cancelled = False

    async def __call__(self) -> Any:
        self.started.set()
        try:
            await self.go.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            self.gone.set()
            raise
        self.ended = True
        if self.error is not None:
            raise self.error(self.value)
        return self.value


async def _ended(gathered: "asyncio.Future[list[Any]]") -> Any:
    """What the gathering ended with, its result or its error; failing the case
    if it is left waiting."""
    done, _ = await asyncio.wait([gathered], timeout=HANG)
    assert done, "the gathering was left waiting"
    return gathered.exception() or gathered.result()


async def _started(*steps: Step) -> None:
    async with asyncio.timeout(HANG):
        for step in steps:
            await step.started.wait()


@GATHERS
async def test_results_come_in_order_from_awaitables_run_at_once(
    gather: Gather,
) -> None:
    steps = [Step(n) for n in range(3)]
    gathered = asyncio.ensure_future(gather(*(step() for step in steps)))
    await _started(*steps)  # all under way before any has ended
    for step in reversed(steps):
        step.go.set()
    assert await _ended(gathered) == [0, 1, 2]


@GATHERS
async def test_the_first_error_in_time_is_raised_and_the_rest_cancelled(
    gather: Gather, caplog: pytest.LogCaptureFixture
) -> None:
    """The second fails while the first is still awaited: its error is raised,
    the first and the third are cancelled, the third's own error never comes."""
    first, second = Step(1), Step("second", ValueError)
    third = Step("third", KeyError)
    gathered = asyncio.ensure_future(gather(first(), second(), third()))
    await _started(first, second, third)
    second.go.set()
    error = await _ended(gathered)
    assert isinstance(error, ValueError)
    assert error.args == ("second",)
    assert (first.cancelled, third.cancelled) == (True, True)
    assert not first.ended
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        del gathered, error
        gc.collect()
    assert "never retrieved" not in caplog.text


@GATHERS
async def test_an_error_of_the_awaitable_awaited_is_raised(gather: Gather) -> None:
    first, second = Step("first", ValueError), Step(2)
    gathered = asyncio.ensure_future(gather(first(), second()))
    await _started(first, second)
    first.go.set()
    error = await _ended(gathered)
    assert isinstance(error, ValueError)
    assert error.args == ("first",)
    assert second.cancelled


@GATHERS
async def test_a_cancelled_caller_cancels_every_awaitable(gather: Gather) -> None:
    steps = [Step(n) for n in range(3)]
    gathered = asyncio.ensure_future(gather(*(step() for step in steps)))
    await _started(*steps)
    gathered.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gathered
    async with asyncio.timeout(HANG):
        for step in steps:
            await step.gone.wait()


async def test_a_failed_gathering_leaves_no_reference_cycle() -> None:
    """The executor keeps requests acyclic (`acyclic`): an error raised here
    must not keep its tasks, nor itself, through this module's frames."""

    async def failing() -> None:
        for _ in range(2):
            failing, other = Step("no", ValueError), Step(1)
            failing.go.set()
            gathered = asyncio.ensure_future(gather_first_error(other(), failing()))
            assert isinstance(await _ended(gathered), ValueError)
            del gathered

    assert await cyclic_frames(gathering, failing) == []

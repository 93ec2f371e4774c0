"""`SharedRuns`: the first caller of a key runs the work inline, the rest share it.

What the accounts service's per-request memo and `SingleFlight` rely on: one run
per key, its value or its error shared (and retrieved, so nothing is logged as
never retrieved), no caller left waiting when another goes away, and no
reference cycle left by a failed run. Each case drives the runs with events, so
who waits for what is fixed, not timed.
"""

import asyncio
import gc
import logging

import pytest

from gateway.accounts import shared_runs
from gateway.accounts.shared_runs import SharedRuns
from tests.cycles import cyclic_frames

#: How long a case may wait for its callers: a caller left waiting fails the case.
HANG = 5.0


class Work:
    """Work that waits for `release`, counting its runs; each run raises a new
    `error` if one is set (none kept here, so a cycle is not hidden by this)."""

    def __init__(self, error: type[Exception] | None = None) -> None:
        self.runs = 0
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.error = error

    async def __call__(self) -> int:
        self.runs += 1
        self.started.set()
        await self.release.wait()
        if self.error is not None:
            raise self.error("upstream said no")
        return self.runs


async def _outcomes(*callers: asyncio.Task[int]) -> list[int | BaseException]:
    """What each caller ended with, failing if any is left waiting."""
    async with asyncio.timeout(HANG):
        return await asyncio.gather(*callers, return_exceptions=True)


async def _running(runs: SharedRuns[str, int], work: Work) -> asyncio.Task[int]:
    """The first caller of "k", once its work has begun."""
    first = asyncio.ensure_future(runs.run("k", work))
    await work.started.wait()
    return first


async def _waiting(runs: SharedRuns[str, int], work: Work) -> asyncio.Task[int]:
    """A caller of "k", once it waits on the run already begun.

    `run` does not suspend before it awaits a run begun: once `reached` is set,
    this test resumes only after the caller has suspended there.
    """
    reached = asyncio.Event()

    async def call() -> int:
        reached.set()
        return await runs.run("k", work)

    caller = asyncio.ensure_future(call())
    await reached.wait()
    return caller


@pytest.mark.parametrize("keep", [True, False])
async def test_concurrent_callers_share_one_run(keep: bool) -> None:
    runs = SharedRuns[str, int](keep=keep)
    work = Work()
    first = await _running(runs, work)
    second = await _waiting(runs, work)
    work.release.set()
    assert await _outcomes(first, second) == [1, 1]
    assert work.runs == 1


@pytest.mark.parametrize(("keep", "runs_after"), [(True, 1), (False, 2)])
async def test_kept_outcomes_are_served_until_cleared(
    keep: bool, runs_after: int
) -> None:
    runs = SharedRuns[str, int](keep=keep)
    work = Work()
    work.release.set()
    assert await runs.run("k", work) == 1
    assert await runs.run("k", work) == runs_after
    assert bool(runs) is keep
    runs.clear()
    assert await runs.run("k", work) == runs_after + 1


@pytest.mark.parametrize("keep", [True, False])
async def test_only_a_kept_run_that_ended_with_a_value_gives_it(keep: bool) -> None:
    runs = SharedRuns[str, int](keep=keep)
    work = Work()
    assert runs.value("k") is None
    first = await _running(runs, work)
    assert runs.value("k") is None  # still running
    work.release.set()
    assert await _outcomes(first) == [1]
    assert runs.value("k") == (1 if keep else None)
    runs.clear()
    assert runs.value("k") is None


async def test_a_failed_or_abandoned_run_gives_no_value() -> None:
    runs = SharedRuns[str, int](keep=True)
    failing = Work(ValueError)
    failing.release.set()
    with pytest.raises(ValueError):
        await runs.run("k", failing)
    assert runs.value("k") is None
    abandoned = Work()
    first = asyncio.ensure_future(runs.run("other", abandoned))
    await abandoned.started.wait()
    first.cancel()
    await asyncio.wait([first], timeout=HANG)
    assert first.cancelled()
    assert runs.value("other") is None


@pytest.mark.parametrize("keep", [True, False])
async def test_a_run_begun_before_a_clear_is_not_shared_after_it(keep: bool) -> None:
    """As after a write: whoever asks from then on must not get what was read
    before it, and a new run must not be forgotten when the old one ends."""
    runs = SharedRuns[str, int](keep=keep)
    old, new = Work(), Work()
    before = asyncio.ensure_future(runs.run("k", old))
    await old.started.wait()
    runs.clear()
    after = asyncio.ensure_future(runs.run("k", new))
    await new.started.wait()
    old.release.set()
    assert await _outcomes(before) == [1]
    latecomer = await _waiting(runs, new)
    new.release.set()
    assert await _outcomes(after, latecomer) == [1, 1]
    assert new.runs == 1


async def test_an_error_is_shared_and_retrieved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = SharedRuns[str, int](keep=True)
    work = Work(ValueError)
    first = await _running(runs, work)
    second = await _waiting(runs, work)
    work.release.set()
    results = await _outcomes(first, second)
    assert isinstance(results[0], ValueError)
    assert results[1] is results[0]
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        runs.clear()
        del first, second, results
        gc.collect()
    assert "never retrieved" not in caplog.text


async def test_an_error_only_its_first_caller_saw_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = SharedRuns[str, int](keep=True)
    work = Work(ValueError)
    work.release.set()
    with pytest.raises(ValueError):
        await runs.run("k", work)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        runs.clear()
        gc.collect()
    assert "never retrieved" not in caplog.text


async def test_a_waiter_going_away_leaves_the_run_to_the_others() -> None:
    runs = SharedRuns[str, int](keep=True)
    work = Work()
    first = await _running(runs, work)
    leaving, staying = await _waiting(runs, work), await _waiting(runs, work)
    leaving.cancel()
    await asyncio.wait([leaving], timeout=HANG)  # not cancelled again on a hang
    assert leaving.cancelled()
    work.release.set()
    assert await _outcomes(first, staying) == [1, 1]


@pytest.mark.parametrize("keep", [True, False])
async def test_the_first_caller_going_away_hands_the_run_on(keep: bool) -> None:
    runs = SharedRuns[str, int](keep=keep)
    work = Work()
    first = await _running(runs, work)
    second, third = await _waiting(runs, work), await _waiting(runs, work)
    work.started.clear()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    async with asyncio.timeout(HANG):
        await work.started.wait()  # run afresh, and not ended: the third shares it
    work.release.set()
    assert await _outcomes(second, third) == [2, 2]
    assert work.runs == 2


async def test_a_failed_run_leaves_no_reference_cycle() -> None:
    runs = SharedRuns[str, int](keep=True)
    work = Work(ValueError)
    work.release.set()

    async def failing() -> None:
        for _ in range(2):
            with pytest.raises(ValueError):
                await runs.run("k", work)
        runs.clear()  # as the service does once its request has executed

    assert await cyclic_frames(shared_runs, failing) == []

"""CPU per operation in this process, as the `*_cost` benches measure it.

Each bench runs its configurations in alternating rounds; other processes' load
can only add to a round, so the quickest round is the better estimate, and the
median says how noisy the machine was.
"""

import statistics
import time
from collections.abc import Awaitable, Callable, Sequence

#: Operations run before each measured batch, so that caches and pools are warm.
WARM_UP = 50


async def cpu_per_call(call: Callable[[], Awaitable[object]], count: int) -> float:
    """Microseconds of this process's CPU per `call`, over `count` calls made
    after `WARM_UP` others."""
    for calls in (WARM_UP, count):
        started = time.process_time()
        for _ in range(calls):
            await call()
    return (time.process_time() - started) / count * 1e6


def summary(costs: Sequence[float], per: str) -> str:
    """The median and the quickest of rounds' `costs`, in µs of CPU per `per`."""
    return (
        f"median {statistics.median(costs):5.0f}, "
        f"quickest {min(costs):5.0f} µs of CPU per {per}"
    )


def counts(argv: Sequence[str]) -> tuple[int, int]:
    """`[OPERATIONS [ROUNDS]]` from the command line: 1000 and 5 by default."""
    operations = int(argv[0]) if argv else 1000
    rounds = int(argv[1]) if len(argv) > 1 else 5
    return operations, rounds

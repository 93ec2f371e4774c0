"""The steps between an accepted request and strawberry's execution.

A step gets the request's `Exchange` and the rest of the pipeline: it may answer
at once (a kept response), wrap what follows (an execution shared with identical
requests), or fill in the exchange before passing it on. The view runs its steps
in order, and the last one hands the request to strawberry.
"""

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from starlette.responses import Response

from gateway.transport.exchange import Exchange

#: The rest of the pipeline, as a step sees it.
Answer = Callable[[Exchange], Awaitable[Response]]


class Step(Protocol):
    async def __call__(self, exchange: Exchange, call_next: Answer) -> Response: ...


def chain(steps: Sequence[Step], last: Answer) -> Answer:
    """`last` behind `steps`, the first of them outermost.

    Each step is bound to the rest by `functools.partial`, which calls it from C:
    a closure awaiting it was one more coroutine per step per request.
    """
    answer = last
    for step in reversed(steps):
        answer = functools.partial(step, call_next=answer)
    return answer

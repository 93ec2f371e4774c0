"""An executor that leaves no reference cycle behind: each execution is freed as
soon as its response is built, instead of by the garbage collector's next pass.

graphql-core's `ExecutionContext` hands resolvers helpers that are its own bound
methods (`async_helpers`): the executor refers to them and they to it, so every
execution is a reference cycle holding everything the execution touched (its
context, the upstream pages, the completed items). Under load those survive into
the oldest generation and are found only by full collections, each a pass over
every object of the process: 50 to 60 ms pauses about once a second in the bench's
cold scenarios, and most of their p99. Here the helpers hold the executor weakly;
it lives as long as graphql-core's execution needs it, since that execution runs
on it.
"""

import weakref
from collections.abc import Callable
from typing import Any

from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class AcyclicExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's graphql-core executor, with helpers that refer to it weakly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=_weakly(self.gather_async_work),
            track=_weakly(self.track_async_work),
        )


def _weakly(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method`, called through a weak reference to its object."""
    ref = weakref.WeakMethod(method)

    def call(*args: Any, **kwargs: Any) -> Any:
        bound = ref()
        assert bound is not None  # the execution that calls it runs on its object
        return bound(*args, **kwargs)

    return call

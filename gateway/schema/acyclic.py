"""An executor that leaves no reference cycle behind: each execution is freed as
soon as its response is built, instead of by the garbage collector's next pass.

graphql-core's `ExecutionContext` makes two cycles of every execution, each
holding everything the execution touched (its context, the upstream pages, the
completed items):

- the helpers it hands resolvers (`async_helpers`) are its own bound methods:
  the executor refers to them and they to it. Here they hold it weakly; it lives
  as long as graphql-core's execution needs it, since that execution runs on it;
- a field error's traceback holds the frames that completed the field, and with
  them the executor, which holds the error among its collected errors. Here the
  executor lets go of them once the response holds them.

Under load such cycles survive into the oldest generation and are found only by
full collections, each a pass over every object of the process: 50 to 60 ms
pauses about once a second in the bench's cold scenarios, most of their p99, and
during an upstream outage every request fails.
"""

import weakref
from typing import Any

from graphql import ExecutionResult
from graphql.execution.executor import CollectedErrors, Executor
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class Acyclic(Executor[Any]):
    """A graphql-core executor with helpers that refer to it weakly and errors
    it forgets once they are in the response; mixed into an executor class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ref = weakref.ref(self)
        # One weak reference for both: `weakref.WeakMethod` costs several times
        # more to make, and every execution makes these.
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=lambda *args: _alive(ref).gather_async_work(*args),
            track=lambda *args: _alive(ref).track_async_work(*args),
        )

    def build_response(self, data: dict[str, Any] | None) -> Any:
        """graphql-core's response; its errors are no longer the executor's."""
        response = super().build_response(data)
        if isinstance(response, ExecutionResult) and response.errors:
            self.collected_errors = CollectedErrors()
        return response


class AcyclicExecutor(Acyclic, StrawberryGraphQLCoreExecutionContext):
    """Strawberry's graphql-core executor, acyclic."""


def _alive(ref: "weakref.ref[Acyclic]") -> Acyclic:
    """The executor behind `ref`: the execution that calls its helpers runs on it."""
    executor = ref()
    assert executor is not None
    return executor

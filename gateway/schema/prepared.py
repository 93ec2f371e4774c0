"""Operations strawberry has prepared once, run again without its extension machinery.

For every request strawberry builds an instance of each schema extension and,
around parsing, validation and execution, a context manager calling each
extension's hooks. For a text it has already prepared, that machinery only
fetches the same entries from the parse and validation caches again, which are
keyed by the text: in process, the lists query costs 2.33 M instructions through
strawberry against 1.88 M through graphql-core alone (callgrind), a fifth of
what the query's execution costs.

So the schema remembers, by query text and requested operation name, what each
operation that strawberry let through to execution was: its document, operation
type and the operation name strawberry resolved. Reaching execution means the
text parsed within the token limit and passed every validation rule, none of
which reads anything but the text. A remembered operation is executed by
graphql-core directly, with what strawberry would have passed it; anything not
remembered (a first sight, a request error, an operation type the request may not
run) goes through strawberry as before, and so answers as before.

That is only sound while no extension works during execution: a `resolve`
middleware, spans, results of its own. `create_schema` remembers operations only
for a schema whose extensions do none of that, and the response notes (the one
result an extension adds) are built here by the same function.

Each remembered operation also carries its own memo of field collection
(`gateway.schema.shared_collections`), given to the schema's executor, a
`PlannedExecutor`: where no directive reads a variable, every run collects the
same fields, so only the first collects them.
"""

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode, execute
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.schema import Schema
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from gateway.schema.shared_collections import SharedCollections, shared_collections

#: A response's `extensions`, from the request's context (`build.response_notes`).
Notes = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Prepared:
    """An operation strawberry parsed, validated and executed once.

    `operation_name` is the one strawberry executed: the requested name, or the
    document's first operation's when none was requested. `collections` is the
    memo of its field collection, None where that depends on the variables.
    """

    document: DocumentNode
    operation_type: OperationType
    operation_name: str | None
    collections: SharedCollections | None


class PreparedOperations:
    """The last `maxsize` prepared operations of one schema, most recent last."""

    def __init__(self, maxsize: int, notes: Notes) -> None:
        self._maxsize = maxsize
        self._notes = notes
        self._known: OrderedDict[tuple[str, str | None], Prepared] = OrderedDict()

    def extension(self) -> type[SchemaExtension]:
        """The extension remembering each operation strawberry is about to execute.

        Strawberry enters an extension's `on_execute` only once the operation
        parsed and passed validation.
        """
        remember = self._remember

        class RememberPrepared(SchemaExtension):
            def on_execute(self) -> Iterator[None]:
                remember(self.execution_context)
                yield

        return RememberPrepared

    async def execute(
        self,
        schema: Schema,
        query: str | None,
        operation_name: str | None,
        allowed: Iterable[OperationType],
        *,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        root_value: Any,
        operation_extensions: dict[str, Any] | None,
    ) -> ExecutionResult | None:
        """The result of the remembered operation, executed by graphql-core with
        what strawberry would pass it; None if it is not remembered, or is of a
        type the request may not run (strawberry then refuses it)."""
        prepared = self._find(query, operation_name, allowed)
        if prepared is None:
            return None
        result: GraphQLExecutionResult = await await_maybe(
            execute(
                schema._schema,
                prepared.document,
                root_value=root_value,
                context_value=context_value,
                variable_values=variable_values,
                operation_name=prepared.operation_name,
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]  # as strawberry passes it
                executor_class=schema.execution_context_class,
                operation_extensions=operation_extensions,
                shared_collections=prepared.collections,
            )
        )
        return ExecutionResult(
            data=result.data,
            errors=result.errors,
            extensions=self._notes(context_value),
        )

    def _find(
        self,
        query: str | None,
        operation_name: str | None,
        allowed: Iterable[OperationType],
    ) -> Prepared | None:
        if query is None:
            return None
        key = (query, operation_name)
        prepared = self._known.get(key)
        if prepared is None or prepared.operation_type not in allowed:
            return None
        self._known.move_to_end(key)
        return prepared

    def _remember(self, context: ExecutionContext) -> None:
        """Remember the operation under the name requested for it, and under no
        name too if it is the document's first: strawberry runs the first
        operation of a request that names none."""
        document = context.graphql_document
        if context.query is None or document is None:
            return  # a document given already parsed has no text to key it by
        name = context.operation_name
        prepared = Prepared(
            document, context.operation_type, name, shared_collections(document)
        )
        self._keep((context.query, name), prepared)
        if name is not None and _first_operation_name(document) == name:
            self._keep((context.query, None), prepared)

    def _keep(self, key: tuple[str, str | None], prepared: Prepared) -> None:
        self._known[key] = prepared
        self._known.move_to_end(key)
        if len(self._known) > self._maxsize:
            self._known.popitem(last=False)


def _first_operation_name(document: DocumentNode) -> str | None:
    first = next(
        node
        for node in document.definitions
        if isinstance(node, OperationDefinitionNode)
    )
    return None if first.name is None else first.name.value

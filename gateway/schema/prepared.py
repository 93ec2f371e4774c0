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

It also keeps what graphql-core's `Executor.build` finds in the document for
every request (the operation, the fragments; `Parts`), and builds the executor
itself with them: per run only the variables are coerced. graphql-core's
`execute` and `Executor.build` around that cost a fifth of a small query's
execution (150 K instructions against 188 K for `{ __typename }`, in process).
Where `build` would find an error, or fragment variables, it is left to build.
"""

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    default_field_resolver,
    default_type_resolver,
    execute,
)
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from graphql.execution import Executor
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import get_variable_values
from graphql.pyutils import AwaitableOrValue
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.schema import Schema
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from gateway.schema.shared_collections import SharedCollections, shared_collections

#: A response's `extensions`, from the request's context (`build.response_notes`).
Notes = Callable[[Any], dict[str, Any]]
#: `Executor.build`'s bound on the errors of coercing variables, as strawberry
#: leaves it.
MAX_COERCION_ERRORS = 50


@dataclass(frozen=True, slots=True)
class Prepared:
    """An operation strawberry parsed, validated and executed once.

    `operation_name` is the one strawberry executed: the requested name, or the
    document's first operation's when none was requested. `collections` is the
    memo of its field collection, None where that depends on the variables.
    `parts` are what graphql-core's `Executor.build` finds in the document for
    that operation, found once; None where building it is left to graphql-core.
    """

    document: DocumentNode
    operation_type: OperationType
    operation_name: str | None
    collections: SharedCollections | None
    parts: "Parts | None"


@dataclass(frozen=True, slots=True)
class Parts:
    """The operation definition and the fragments of a document, as
    `Executor.build` finds them for every request."""

    operation: OperationDefinitionNode
    fragment_definitions: dict[str, FragmentDefinitionNode]
    fragments: dict[str, FragmentDetails]

    def execute(
        self,
        schema: GraphQLSchema,
        _document: DocumentNode,
        *,
        variable_values: dict[str, Any] | None,
        executor_class: type[Executor[Any]],
        operation_name: str | None,
        root_value: Any,
        context_value: Any,
        **options: Any,
    ) -> AwaitableOrValue[GraphQLExecutionResult]:
        """What graphql-core's `execute` gives for the document, where only the
        variables are coerced again: its `Executor.build` checks the schema,
        walks the document for the operation and the fragments, and coerces
        them, for every request."""
        variables = get_variable_values(
            schema,
            self.operation.variable_definitions or (),
            variable_values or {},
            max_errors=MAX_COERCION_ERRORS,
        )
        if isinstance(variables, list):
            return GraphQLExecutionResult(None, errors=variables)
        executor = executor_class(
            schema,
            self.fragment_definitions,
            self.fragments,
            root_value,
            context_value,
            self.operation,
            variables,
            default_field_resolver,
            default_type_resolver,
            default_field_resolver,
            **options,
        )
        return executor.execute_operation()  # type: ignore[return-value]  # no @defer


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
        run = execute if prepared.parts is None else prepared.parts.execute
        result: GraphQLExecutionResult = await await_maybe(
            run(
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
            document,
            context.operation_type,
            name,
            shared_collections(document),
            _parts(context.schema._schema, document, name),
        )
        self._keep((context.query, name), prepared)
        if name is not None and _first_operation_name(document) == name:
            self._keep((context.query, None), prepared)

    def _keep(self, key: tuple[str, str | None], prepared: Prepared) -> None:
        self._known[key] = prepared
        self._known.move_to_end(key)
        if len(self._known) > self._maxsize:
            self._known.popitem(last=False)


def _parts(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> Parts | None:
    """What `Executor.build` finds in `document` for the operation named, None
    where it finds an error (it then answers with it), fragment variables (whose
    signatures it coerces), or the schema has @defer or @stream (which graphql-
    core's `execute` refuses)."""
    if schema.get_directive("defer") or schema.get_directive("stream"):
        return None
    operation: OperationDefinitionNode | None = None
    fragment_definitions: dict[str, FragmentDefinitionNode] = {}
    fragments: dict[str, FragmentDetails] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is None:
                if operation is not None:
                    return None
                operation = definition
            elif definition.name and definition.name.value == operation_name:
                operation = definition
        elif isinstance(definition, FragmentDefinitionNode):
            if definition.variable_definitions:
                return None
            fragment_definitions[definition.name.value] = definition
            fragments[definition.name.value] = FragmentDetails(definition)
    if operation is None:
        return None
    return Parts(operation, fragment_definitions, fragments)


def _first_operation_name(document: DocumentNode) -> str | None:
    first = next(
        node
        for node in document.definitions
        if isinstance(node, OperationDefinitionNode)
    )
    return None if first.name is None else first.name.value

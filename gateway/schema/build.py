"""`create_schema`: the federation schema with the extensions every request runs."""

from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.federation.schema import FederationAny
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types import ExecutionContext, ExecutionResult, Info
from strawberry.types.graphql import OperationType

from gateway.schema.accounts import Query
from gateway.schema.acyclic import AcyclicExecutor
from gateway.schema.closed import ClosedSchemaRule
from gateway.schema.context import Context
from gateway.schema.direct_resolvers import install_direct_resolvers
from gateway.schema.entities import check_representations
from gateway.schema.errors import contract_errors
from gateway.schema.limits import SchemaLimits, first_rules
from gateway.schema.media import Movie, TvShow
from gateway.schema.mutations import Mutation
from gateway.schema.planned import planned_executor
from gateway.schema.prepared import PreparedOperations
from gateway.schema.tracing import OperationSpanNames
from gateway.schema.validation import staged_validation

CACHED_DOCUMENTS = 512


class _Schema(strawberry.federation.Schema):
    def __init__(
        self, *, closed: bool, prepared: PreparedOperations | None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._closed = closed
        self._prepared = prepared

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        """Log nothing here: `contract_errors` logs exactly the unexpected errors.

        Strawberry's default logs every error with a traceback, expected NOT_FOUNDs
        and bad input included.
        """

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        """strawberry's, once every representation is known to be well formed."""
        check_representations(representations)
        return super().entities_resolver(info, representations)

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Strawberry's execution, or a prepared operation's run again without
        its extension machinery (`gateway.schema.prepared`)."""
        allowed = allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES
        result = (
            None
            if self._prepared is None
            else await self._prepared.execute(
                self,
                query,
                operation_name,
                allowed,
                variable_values=variable_values,
                context_value=context_value,
                root_value=root_value,
                operation_extensions=operation_extensions,
            )
        )
        if result is None:
            result = await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        if result.errors:
            result.errors = contract_errors(result.errors, closed=self._closed)
        return result


def create_schema(
    limits: SchemaLimits, *, traced: bool = False, planned: bool = True
) -> strawberry.federation.Schema:
    """The subgraph schema, with parse/validation caches and the request limits;
    `traced`, it names each operation's trace span (`OperationSpanNames`);
    `planned`, plain leaf fields complete from plans compiled once
    (`gateway.schema.planned`) and resolvers are called without strawberry's
    wrapper where it would change nothing (`gateway.schema.direct_resolvers`).
    """
    tracing: list[type[SchemaExtension]] = [OperationSpanNames] if traced else []
    # Tracing spans each operation's steps, so nothing may skip them.
    prepared = (
        PreparedOperations(CACHED_DOCUMENTS, response_notes)
        if planned and not traced
        else None
    )
    schema = _Schema(
        closed=not limits.introspection,
        prepared=prepared,
        query=Query,
        mutation=Mutation,
        types=[Movie, TvShow],
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
            lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
            staged_validation(first_rules(limits), CACHED_DOCUMENTS),
            _limit_rules(limits),
            ResponseNotes,
            *tracing,
            *([] if prepared is None else [prepared.extension()]),
        ],
    )
    if planned:
        install_direct_resolvers(schema)
        schema.execution_context_class = planned_executor(
            schema._schema, schema.config.default_resolver
        )
    else:
        schema.execution_context_class = AcyclicExecutor
    return schema


class ResponseNotes(SchemaExtension):
    """Puts what resolvers noted into the response's `extensions`, so clients can
    tell and say so: the fields served from a stale cache (`stale`), and warnings
    about fields that succeeded (`warnings`, e.g. `INVALIDATION_PENDING`)."""

    def get_results(self) -> dict[str, Any]:
        return response_notes(self.execution_context.context)


def response_notes(context: object) -> dict[str, Any]:
    """The `extensions` entries of a response: what the resolvers noted."""
    if not isinstance(context, Context):
        return {}
    notes = {"stale": context.stale, "warnings": context.warnings}
    return {name: noted for name, noted in notes.items() if noted}


def _limit_rules(limits: SchemaLimits) -> type[SchemaExtension]:
    """One extension class whose rule classes are built once, not per request.

    The factory form of strawberry's limiters makes new rule classes per request,
    which the validation cache keys on, so it would never hit (strawberry #4635:
    0 hits in 2,000 requests, about 3 ms a request instead of 0.25 ms).
    """
    rules: list[type[ASTValidationRule]] = []
    if not limits.introspection:
        rules.append(ClosedSchemaRule)

    class LimitRules(AddValidationRules):
        def __init__(self) -> None:
            super().__init__(rules)

    return LimitRules

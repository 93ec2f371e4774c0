"""Validation in two passes, the gateway's limits first, each document text once.

graphql-core's own rules are not all linear: OverlappingFieldsCanBeMergedRule
compares the fields of one response name pairwise, so thousands of them cost
seconds. The limits (`limits.py`, linear) go first, on their own; only a document
within them meets the spec's rules. One LRU cache holds the
passes' outcome, keyed by the schema, the document's text and the rule classes,
which are built once per schema, not per request (strawberry #4635: a class per
request made its `ValidationCache` miss every time). Not by the parsed document,
as strawberry's cache is: documents hash and compare field by field, recursively,
so two texts parsing alike (a deep one, and the same with a comment) raised
RecursionError.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema
from graphql.validation import validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

Rules = tuple[type[ASTValidationRule], ...]


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed document, hashed and compared by its text alone."""

    text: str
    document: DocumentNode = field(compare=False)


def staged_validation(first: Rules, maxsize: int) -> type[SchemaExtension]:
    """An extension that validates with the `first` rules, then, if there is no
    error, with the operation's (the spec's and strawberry's); it caches `maxsize`
    outcomes."""

    def validated(
        schema: GraphQLSchema, source: Source, rules: Rules
    ) -> list[GraphQLError]:
        document = source.document
        return validate(schema, document, first) or validate_document(
            schema, document, rules
        )

    cached = lru_cache(maxsize=maxsize)(validated)

    class StagedValidation(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            if context.graphql_document is not None:
                # A document given already parsed has no text to key it by.
                check = validated if context.query is None else cached
                context.pre_execution_errors = check(
                    context.schema._schema,
                    Source(context.query or "", context.graphql_document),
                    context.validation_rules,
                )
            yield

    return StagedValidation

"""Validation in two passes, the gateway's limits first, each document once.

graphql-core's own rules are not all linear: OverlappingFieldsCanBeMergedRule
compares the fields of one response name pairwise, so thousands of them cost
seconds. The limits (`limits.py`, linear) go first, on their own; only a document
within them meets the spec's rules. One LRU cache holds both passes' outcome, keyed
by the schema, the parsed document (one object per text, from `ParserCache`) and
the rule classes, which are built once per schema, not per request (strawberry
#4635: a class per request made its `ValidationCache` miss every time).
"""

from collections.abc import Iterator
from functools import lru_cache

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema
from graphql.validation import validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

Rules = tuple[type[ASTValidationRule], ...]


def two_pass_validation(limit_rules: Rules, maxsize: int) -> type[SchemaExtension]:
    """An extension that validates with `limit_rules`, then, if they pass, with the
    operation's rules (the spec's and strawberry's), caching `maxsize` outcomes."""

    @lru_cache(maxsize=maxsize)
    def validated(
        schema: GraphQLSchema, document: DocumentNode, rules: Rules
    ) -> list[GraphQLError]:
        return validate(schema, document, limit_rules) or validate_document(
            schema, document, rules
        )

    class TwoPassValidation(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            if context.graphql_document is not None:
                context.pre_execution_errors = validated(
                    context.schema._schema,
                    context.graphql_document,
                    context.validation_rules,
                )
            yield

    return TwoPassValidation

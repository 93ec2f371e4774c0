"""Direct resolvers answer as strawberry's own, and leave the fields whose
arguments strawberry converts (a `Maybe`, a list, an input object) or whose
resolver takes the source to strawberry.

The gateway's own fields are covered by the differential test
(tests/test_planned_execution.py); these are the kinds of field its schema does
not have, on a small schema of their own.
"""

import enum

import strawberry
from graphql import GraphQLObjectType
from strawberry.types.maybe import Maybe

from gateway.schema.direct_resolvers import install_direct_resolvers


@strawberry.input
class Window:
    size: int


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"


def _plain(info: strawberry.Info, n: int, c: Colour, s: str | None = None) -> str:
    return f"{n} {c!r} {s!r} {info.field_name}"


def _maybe(n: Maybe[int] = None) -> str:
    return repr(n)


def _listed(ns: list[int]) -> str:
    return repr(ns)


def _windowed(w: Window) -> str:
    return repr(w)


@strawberry.type
class Query:
    plain: str = strawberry.field(resolver=_plain)
    maybe: str = strawberry.field(resolver=_maybe)
    listed: str = strawberry.field(resolver=_listed)
    windowed: str = strawberry.field(resolver=_windowed)

    @strawberry.field
    def sourced(self, n: int) -> str:
        return f"{type(self).__name__} {n}"


DOCUMENT = """{
  plain(n: 1, c: RED, s: "x") maybe(n: 2) listed(ns: [3]) windowed(w: {size: 4})
  sourced(n: 5)
}"""


def _query_type(schema: strawberry.Schema) -> GraphQLObjectType:
    query_type = schema._schema.query_type
    assert query_type is not None
    return query_type


def test_direct_resolvers_answer_as_strawberrys_own() -> None:
    expected = strawberry.Schema(query=Query).execute_sync(DOCUMENT)
    assert expected.errors is None
    schema = strawberry.Schema(query=Query)
    install_direct_resolvers(schema)
    answered = schema.execute_sync(DOCUMENT)
    assert answered.errors is None
    assert answered.data == expected.data


def test_only_fields_with_plain_arguments_are_resolved_directly() -> None:
    schema = strawberry.Schema(query=Query)
    before = {n: f.resolve for n, f in _query_type(schema).fields.items()}
    install_direct_resolvers(schema)
    after = {n: f.resolve for n, f in _query_type(schema).fields.items()}
    assert {name for name in before if after[name] is not before[name]} == {"plain"}

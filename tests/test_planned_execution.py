"""The planned executor answers byte for byte as graphql-core alone does.

Two gateways over one reference API, `planned_execution` on and off, get the same
documents; Hypothesis draws them from the schema itself (every object, interface
and union reachable from `Query`, so a field added later is drawn too): subsets
of fields, aliases, `__typename`, inline fragments and named fragment spreads,
`@skip`/`@include` with literals and variables, variables for arguments,
`_entities` over the `_Entity` union and `Media`'s two implementations, list
arguments that fail (page 0, `first: 101`, a malformed cursor: the field's error
and the rest of the data) and entity fields that fail inside a list (`Movie.title`
of a bare reference: an error, and null propagated up to the list item).
Mutations are left out: they change upstream, so the second gateway would answer
about other data.

The planned gateway gets each document twice: the second time it runs the
operation it prepared the first time, without strawberry's extension machinery
(`gateway.schema.prepared`), and then again with `$flag` and `$media` flipped
where the document uses them: a prepared operation reuses its field collection
only where no directive reads a variable, and a field's coerced arguments only
where none of them reads one. Responses are compared as bytes, with the
whole-response cache off so that every document really executes on both.
"""

import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from graphql import (
    GraphQLAbstractType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution import executor as executor_module
from graphql.pyutils import Undefined
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gateway.app import create_app, schema_limits
from gateway.reference_api import ALICE, MOVIES, TV_SHOWS
from gateway.schema import planned as planned_module
from gateway.schema.build import create_schema
from gateway.settings import Settings
from harness.servers import RunningServer, run_server
from tests.conftest import MEMORY_ONLY, Upstream

pytestmark = MEMORY_ONLY

SCHEMA: GraphQLSchema = create_schema(schema_limits(Settings()))._schema
MAX_NESTING = 5
#: Argument literals by argument name; `$name` is a variable of VARIABLES.
ARGUMENTS: dict[str, tuple[str, ...]] = {
    "mediaType": ("MOVIE", "TV", "$media"),
    "page": ("1", "2", "0"),
    "language": ('"en-US"',),
    "sortBy": ("CREATED_AT_ASC", "CREATED_AT_DESC"),
    "first": ("2", "30", "101"),
    "last": ("2",),
    "after": ('"not-a-cursor"',),
    "before": ('"not-a-cursor"',),
    "representations": ("$reps",),
}
VARIABLES: dict[str, tuple[str, Any]] = {
    "media": ("MediaType!", "MOVIE"),
    "flag": ("Boolean!", False),
    "reps": (
        "[_Any!]!",
        [
            {"__typename": "Movie", "id": MOVIES[0].id},
            {"__typename": "TvShow", "id": TV_SHOWS[0].id},
            {"__typename": "Account", "id": ALICE.id},
            {"__typename": "Account", "id": ALICE.id + 1},
        ],
    ),
}
DIFFERENTIAL = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@dataclasses.dataclass
class Document:
    """What drawing one document has written so far besides its operation."""

    fragments: list[str] = dataclasses.field(default_factory=list)
    used: set[str] = dataclasses.field(default_factory=set)
    names: int = 0

    def fresh(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def literal(self, text: str) -> str:
        if text.startswith("$"):
            self.used.add(text[1:])
        return text

    def text(self, selection: str) -> str:
        declared = ", ".join(f"${name}: {VARIABLES[name][0]}" for name in self.used)
        head = f"query Q({declared}) " if declared else "query Q "
        return head + selection + "".join(f"\n{f}" for f in self.fragments)

    def variables(self) -> dict[str, Any]:
        return {name: VARIABLES[name][1] for name in self.used}


def _directive(draw: st.DrawFn, doc: Document) -> str:
    kind = draw(st.sampled_from(["", "", "skip", "include"]))
    if not kind:
        return ""
    condition = doc.literal(draw(st.sampled_from(["true", "false", "$flag"])))
    return f" @{kind}(if: {condition})"


def _arguments(draw: st.DrawFn, doc: Document, field: GraphQLField) -> str:
    given_args = []
    for name, argument in field.args.items():
        required = (
            is_non_null_type(argument.type) and argument.default_value is Undefined
        )
        if required or draw(st.booleans()):
            assert name in ARGUMENTS, f"no literals for argument {name}: add some"
            value = doc.literal(draw(st.sampled_from(ARGUMENTS[name])))
            given_args.append(f"{name}: {value}")
    return f"({', '.join(given_args)})" if given_args else ""


def _field(
    draw: st.DrawFn, doc: Document, name: str, field: GraphQLField, nesting: int
) -> str:
    # Same-named fields with other arguments would conflict: those always get one.
    aliased = bool(field.args) or draw(st.booleans())
    alias = f"{doc.fresh('a')}: " if aliased else ""
    text = alias + name + _arguments(draw, doc, field) + _directive(draw, doc)
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return text
    return text + " " + _selection(draw, doc, named, nesting + 1)


def _object_selection(
    draw: st.DrawFn, doc: Document, type_: GraphQLObjectType, nesting: int
) -> list[str]:
    fields = {
        name: field
        for name, field in type_.fields.items()
        if nesting < MAX_NESTING or is_leaf_type(get_named_type(field.type))
    }
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=4))
    items = [_field(draw, doc, name, fields[name], nesting) for name in chosen]
    if draw(st.booleans()):
        items.append("__typename" + _directive(draw, doc))
    return items


def _fragments(
    draw: st.DrawFn, doc: Document, type_: GraphQLObjectType, nesting: int
) -> list[str]:
    """Inline fragments and named spreads on `type_`: none or one, none deep down
    (each repeats a selection, and the alias limit counts them all)."""
    items = []
    for _ in range(draw(st.integers(0, 1 if nesting < MAX_NESTING - 2 else 0))):
        body = _selection(draw, doc, type_, nesting)
        if draw(st.booleans()):
            items.append(f"... on {type_.name}{_directive(draw, doc)} {body}")
        else:
            name = doc.fresh("F")
            doc.fragments.append(f"fragment {name} on {type_.name} {body}")
            items.append(f"...{name}{_directive(draw, doc)}")
    return items


def _selection(
    draw: st.DrawFn, doc: Document, type_: GraphQLNamedType, nesting: int
) -> str:
    """A selection set on `type_`, never empty."""
    items: list[str] = []
    if is_abstract_type(type_):
        assert isinstance(type_, GraphQLInterfaceType | GraphQLUnionType)
        if isinstance(type_, GraphQLInterfaceType):
            fields = sorted(type_.fields)
            for name in draw(st.lists(st.sampled_from(fields), max_size=3)):
                items.append(_field(draw, doc, name, type_.fields[name], nesting))
        abstract: GraphQLAbstractType = type_
        for possible in SCHEMA.get_possible_types(abstract):
            if draw(st.booleans()):
                items += _fragments(draw, doc, possible, nesting)
    else:
        assert isinstance(type_, GraphQLObjectType)
        items += _object_selection(draw, doc, type_, nesting)
        if draw(st.integers(0, 3)) == 0:
            items += _fragments(draw, doc, type_, nesting)
    if not items:
        items.append("__typename")
    return "{ " + " ".join(items) + " }"


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A query over the whole schema and its variables."""
    doc = Document()
    assert SCHEMA.query_type is not None
    selection = _selection(draw, doc, SCHEMA.query_type, 0)
    return doc.text(selection), doc.variables()


@pytest.fixture
async def gateways(
    upstream: Upstream, settings: Settings
) -> AsyncIterator[tuple[RunningServer, RunningServer]]:
    """A planned and a graphql-core-only gateway over the same upstream."""
    base = dataclasses.replace(settings, response_cache_bytes=0)
    planned = create_app(dataclasses.replace(base, planned_execution=True))
    generic = create_app(dataclasses.replace(base, planned_execution=False))
    async with run_server(planned) as one, run_server(generic) as other:
        yield one, other


async def _post(
    http: aiohttp.ClientSession, server: RunningServer, body: bytes
) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {ALICE.token}"}
    headers["Content-Type"] = "application/json"
    async with http.post(
        f"{server.url}/graphql", data=body, headers=headers
    ) as response:
        return response.status, await response.read()


#: Each type of a mixed list collects its own fields from the same nodes, and
#: F3's @include reads `$flag` or a literal (`format`): the prepared memo must
#: tell every type and every value apart.
MIXED_ENTITIES = (
    "query Q($reps: [_Any!]!{declared}) {{ a1: _entities(representations: $reps)"
    " {{ __typename ... on Movie {{ id }} ... on TvShow {{ a2: id mediaType }}"
    " ...F3 @include(if: {flag}) ... on Account {{ username @skip(if: true) id }} }} }}"
    "\nfragment F3 on Movie {{ overview }}"
)
REPS = VARIABLES["reps"][1]
#: The same `results` node lists movies in one page and TV shows in the other.
SHARED_RESULTS = (
    "query Q { account { m: favorites(mediaType: MOVIE) { ...P }"
    " t: favorites(mediaType: TV) { ...P } } }\nfragment P on MediaPage { results"
    " { __typename ... on Movie { id title } ... on TvShow { a2: id voteCount } } }"
)

#: One field's argument reads `$media`, its sibling's is a literal: a prepared
#: run must coerce the first again and may keep the second.
VARIABLE_AND_LITERAL = (
    "query Q($media: MediaType!) { account { a1: favorites(mediaType: $media)"
    " { results { id title } } a2: favorites(mediaType: MOVIE, page: 1)"
    " { totalResults results { __typename id } } } }"
)


@DIFFERENTIAL
@given(document=documents())
@example(
    document=(
        MIXED_ENTITIES.format(declared=", $flag: Boolean!", flag="$flag"),
        {"reps": REPS, "flag": False},
    )
)
@example(document=(MIXED_ENTITIES.format(declared="", flag="true"), {"reps": REPS}))
@example(document=(SHARED_RESULTS, {}))
@example(document=(VARIABLE_AND_LITERAL, {"media": "TV"}))
async def test_planned_and_generic_execution_answer_the_same_bytes(
    gateways: tuple[RunningServer, RunningServer],
    http: aiohttp.ClientSession,
    document: tuple[str, dict[str, Any]],
) -> None:
    query, variables = document
    planned, generic = gateways
    first, *others = _variants(variables)
    body = json.dumps({"query": query, "variables": first}).encode()
    expected = await _post(http, generic, body)
    # The second time, the planned gateway runs the operation it prepared.
    assert await _post(http, planned, body) == expected
    assert await _post(http, planned, body) == expected
    # Prepared, it runs again with other variables: `$flag` flipped, which
    # @skip/@include may read, and `$media`, which arguments may read.
    for other in others:
        body = json.dumps({"query": query, "variables": other}).encode()
        assert await _post(http, planned, body) == await _post(http, generic, body)


#: The other value of each variable a prepared run is repeated with.
FLIPPED: dict[str, dict[Any, Any]] = {
    "flag": {False: True, True: False},
    "media": {"MOVIE": "TV", "TV": "MOVIE"},
}


def _variants(variables: dict[str, Any]) -> list[dict[str, Any]]:
    """`variables`, then the same with each of `FLIPPED` that they hold flipped."""
    return [variables] + [
        {**variables, name: FLIPPED[name][variables[name]]}
        for name in FLIPPED
        if name in variables
    ]


#: Two operations: strawberry runs the first of a request that names none.
TWO_OPERATIONS = "query First { account { username } } query Second { account { id } }"


async def test_a_prepared_operation_runs_as_the_request_names_it(
    gateways: tuple[RunningServer, RunningServer], http: aiohttp.ClientSession
) -> None:
    """Naming the second operation first prepares it under its name alone: a
    request naming none still runs the first."""
    planned, generic = gateways
    for name in ("Second", None, "First", None, "Second"):
        body = json.dumps({"query": TWO_OPERATIONS, "operationName": name}).encode()
        assert await _post(http, planned, body) == await _post(http, generic, body)


@pytest.mark.parametrize(
    "variables",
    [{"media": "BOOK"}, {}, {"media": None}, {"media": ["TV"]}],
)
async def test_a_prepared_operation_refuses_variables_as_graphql_core_does(
    gateways: tuple[RunningServer, RunningServer],
    http: aiohttp.ClientSession,
    variables: dict[str, Any],
) -> None:
    """Its variables are coerced afresh for each run, errors and all."""
    planned, generic = gateways
    good = json.dumps({"query": ARGUMENT_VARIABLE, "variables": {"media": "TV"}})
    for _ in range(2):  # prepared by the first
        assert await _post(http, planned, good.encode()) == await _post(
            http, generic, good.encode()
        )
    body = json.dumps({"query": ARGUMENT_VARIABLE, "variables": variables}).encode()
    answer = await _post(http, planned, body)
    assert answer == await _post(http, generic, body)
    assert b'"errors"' in answer[1]


async def test_a_prepared_mutation_is_still_refused_over_get(
    gateways: tuple[RunningServer, RunningServer], http: aiohttp.ClientSession
) -> None:
    """A mutation prepared by a POST is refused over GET as strawberry refuses it;
    its media id is refused before any write, so no data changes."""
    planned, generic = gateways
    query = (
        "mutation { setFavorite(mediaType: MOVIE, mediaId: 0, favorite: true)"
        " { favorite } }"
    )
    body = json.dumps({"query": query}).encode()
    posted = await _post(http, planned, body)
    assert posted == await _post(http, generic, body)
    assert b"BAD_USER_INPUT" in posted[1]
    headers = {
        "Authorization": f"Bearer {ALICE.token}",
        "Apollo-Require-Preflight": "true",
    }
    answers = []
    for server in (planned, generic):
        url = f"{server.url}/graphql"
        async with http.get(url, params={"query": query}, headers=headers) as response:
            answers.append((response.status, await response.read()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 400
    assert b"not allowed" in answers[0][1]


#: Variables an argument reads: collection is the same whatever their values.
ARGUMENT_VARIABLE = (
    "query Q($media: MediaType!) { account { username @include(if: true)"
    " favorites(mediaType: $media) { __typename } } }"
)
#: A variable @skip reads: collection depends on its value.
DIRECTIVE_VARIABLE = (
    "query Q($flag: Boolean!) { account { username @skip(if: $flag)"
    " avatar { __typename } } }"
)
#: Arguments from a literal and defaults: the same for every run.
LITERAL_ARGUMENT = "query Q { account { favorites(mediaType: MOVIE) { __typename } } }"


@pytest.mark.parametrize(
    ("counted", "query", "variables", "calls"),
    [
        ("collect_subfields", ARGUMENT_VARIABLE, {"media": "MOVIE"}, [2, 2, 0, 0]),
        ("collect_subfields", DIRECTIVE_VARIABLE, {"flag": False}, [2, 2, 2, 2]),
        ("get_argument_values", LITERAL_ARGUMENT, {}, [1, 1, 0, 0]),
        ("get_argument_values", ARGUMENT_VARIABLE, {"media": "MOVIE"}, [1, 1, 1, 1]),
    ],
)
async def test_prepared_runs_collect_and_coerce_once_unless_variables_decide(
    gateways: tuple[RunningServer, RunningServer],
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    counted: str,
    query: str,
    variables: dict[str, Any],
    calls: list[int],
) -> None:
    """Subfields collected and arguments coerced per request: by strawberry's
    run, then by the first prepared run, and after that by none where no
    directive reads a variable (collection) or no argument does (coercion)."""
    made: list[object] = []
    for module in (executor_module, planned_module):
        if hasattr(module, counted):
            monkeypatch.setattr(
                module, counted, _counting(getattr(module, counted), made)
            )
    planned, _ = gateways
    body = json.dumps({"query": query, "variables": variables}).encode()
    counts = []
    for _ in calls:
        status, answer = await _post(http, planned, body)
        assert status == 200
        assert b'"errors"' not in answer
        counts.append(len(made))
        made.clear()
    assert counts == calls


def _counting(function: Callable[..., Any], made: list[object]) -> Callable[..., Any]:
    """`function`, noting each call's arguments in `made`."""

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(args)
        return function(*args, **kwargs)

    return counted

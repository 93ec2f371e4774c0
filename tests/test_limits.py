"""The per-operation limits: hostile documents are refused, clearly, before upstream.

Each pathological document is answered BAD_USER_INPUT with a message naming what
it exceeds, and costs no upstream call; what real clients send (the standard
introspection queries, the README's examples, the bench's queries) passes. How
fast the refusals come is bench/hostile.py's business; that the walk is linear
in the document is shown here by counting the limit rule's function calls.
"""

import dataclasses
import functools
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import aiohttp
import pytest
from graphql import (
    GraphQLError,
    GraphQLSchema,
    get_introspection_query,
    parse,
    validate,
)

from bench import tracing_cost
from bench.soak import users
from gateway.app import schema_limits
from gateway.schema import create_schema, limits
from gateway.schema.errors import CLOSED_MESSAGES
from gateway.settings import Settings
from harness import hostile_documents as hostile
from harness.servers import RunningServer
from tests.conftest import ALICE, MEMORY_ONLY, Upstream, running_gateway
from tests.node_packages import node_with_packages

ROOT = Path(__file__).parent.parent
DEFAULTS = Settings()
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
CONNECTION = "favoritesConnection(mediaType: MOVIE, first: 100) { totalCount }"


async def post(
    http: aiohttp.ClientSession, server: RunningServer, query: str
) -> dict[str, Any]:
    async with http.post(
        f"{server.url}/graphql", json={"query": query}, headers=ALICE
    ) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


def refusal(body: dict[str, Any]) -> tuple[str | None, str]:
    """The reason and message of a refusal's first error (a cycle has several)."""
    assert "data" not in body or body["data"] is None
    codes = {error["extensions"]["code"] for error in body["errors"]}
    assert codes == {"BAD_USER_INPUT"}
    first = body["errors"][0]
    return first["extensions"].get("reason"), first["message"]


def aliased(field: str, count: int) -> str:
    return "{ account { " + " ".join(f"a{n}: {field}" for n in range(count)) + " } }"


REFUSED = [
    pytest.param(
        hostile.nested_fragments(190),
        "COST_LIMIT",
        "The operation may make more than 999,999,999 calls to the account service",
        id="nested-fragments-190",
    ),
    pytest.param(
        hostile.nested_fragments(190, leaf="a: id"),
        "GRAPHQL_VALIDATION_FAILED",
        "The operation has more than 999,999,999 aliases; the gateway accepts 30",
        id="nested-fragments-190-aliases",
    ),
    pytest.param(
        hostile.wide_fragments(8, 20),
        "COST_LIMIT",
        "more than 999,999,999 calls",
        id="wide-fragments",
    ),
    pytest.param(
        hostile.fragment_cycle(150),
        "GRAPHQL_VALIDATION_FAILED",
        "Cannot spread fragment 'C0' within itself",
        id="fragment-cycle",
    ),
    pytest.param(
        hostile.many_same_fields(1_990),
        "GRAPHQL_VALIDATION_FAILED",
        "repeats one field or fragment spread 1,990 times in one selection set",
        id="same-field-1990",
    ),
    pytest.param(
        "{ account { " + "...F " * 600 + "} } fragment F on Account { id }",
        "GRAPHQL_VALIDATION_FAILED",
        "repeats one field or fragment spread 600 times",
        id="same-spread-600",
    ),
    pytest.param(
        hostile.deep_list_type(190),
        "GRAPHQL_VALIDATION_FAILED",
        "used in position expecting type '[_Any!]!'",
        id="deep-list-of-lists-type",
    ),
    pytest.param(
        hostile.deep_list_value(190),
        None,  # refused by the field, before any upstream call
        "representations[0] is not a reference to an Account, Movie or TvShow",
        id="deep-list-of-lists-value",
    ),
    pytest.param(
        hostile.deep_selection(150),
        "GRAPHQL_VALIDATION_FAILED",
        "The operation nests fields 150 deep; the gateway accepts 15 at most",
        id="deep-selection",
    ),
    pytest.param(
        hostile.deep_of_type(150),
        "GRAPHQL_VALIDATION_FAILED",
        "nests introspection fields 154 deep; the gateway accepts 14 at most",
        id="deep-of-type-150",
    ),
    pytest.param(
        aliased("id", 31),
        "GRAPHQL_VALIDATION_FAILED",
        "The operation has 31 aliases; the gateway accepts 30 at most",
        id="aliases-31",
    ),
]


@MEMORY_ONLY
@pytest.mark.parametrize(("query", "reason", "says"), REFUSED)
async def test_pathological_documents_are_refused_before_upstream(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    upstream: Upstream,
    query: str,
    reason: str | None,
    says: str,
) -> None:
    assert refusal(await post(http, gateway, f"{query} # 1"))[0] == reason
    # Another text, parsed alike: validated anew, not compared with the first.
    assert says in refusal(await post(http, gateway, f"{query} # 2"))[1]
    assert upstream.calls.total() == 0


async def test_ten_thousand_aliases_are_refused_by_the_alias_limit(
    http: aiohttp.ClientSession, upstream: Upstream
) -> None:
    """With the token limit raised far enough to let them through the parser."""
    settings = Settings(upstream_url=upstream.url, max_tokens=40_000)
    async with running_gateway(settings) as gateway:
        body = await post(http, gateway, hostile.many_aliases(10_000))
    assert refusal(body) == (
        "GRAPHQL_VALIDATION_FAILED",
        "The operation has 10,000 aliases; the gateway accepts 30 at most.",
    )
    assert upstream.calls.total() == 0


@MEMORY_ONLY
async def test_an_operation_over_the_cost_limit_gets_its_estimate_and_the_limit(
    http: aiohttp.ClientSession, gateway: RunningServer, upstream: Upstream
) -> None:
    async with http.post(
        f"{gateway.url}/graphql",
        json={"query": aliased(CONNECTION, 8), "operationName": None},
        headers=ALICE,
    ) as response:
        (error,) = (await response.json())["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "reason": "COST_LIMIT",
        "estimate": 1 + 8 * 7,  # the account, and 8 connections of 7 pages
        "limit": 50,
    }
    assert error["message"] == (
        "The operation may make 57 calls to the account service; the gateway "
        "makes 50 at most for one operation."
    )
    assert upstream.calls.total() == 0


@pytest.mark.parametrize("field", ["favoritesConnection", "madeUpConnection"])
async def test_a_closed_schema_tells_no_real_field_by_its_cost(
    http: aiohttp.ClientSession, upstream: Upstream, field: str
) -> None:
    """Over the cost limit: the closed schema's one answer, whether the field is
    real (and would cost calls) or not, valid or not."""
    settings = Settings(upstream_url=upstream.url, introspection=False)
    invalid = f"{field}(mediaType: MOVIE, first: 100) {{ nope }}"
    async with running_gateway(settings) as gateway:
        body = await post(http, gateway, aliased(invalid, 8))
        valid = await post(http, gateway, aliased(CONNECTION, 8))
    closed = (VALIDATION_FAILED, CLOSED_MESSAGES[VALIDATION_FAILED])
    assert refusal(body) == refusal(valid) == closed
    assert upstream.calls.total() == 0


async def test_an_operation_at_the_cost_limit_runs(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    body = await post(http, gateway, aliased(CONNECTION, 7))  # 1 + 7 * 7 = 50
    assert "errors" not in body
    assert body["data"]["account"]["a6"]["totalCount"] > 0


@pytest.mark.parametrize(
    ("query", "estimate"),
    [
        ("{ account { id } }", 1),
        ("{ account { favorites(mediaType: TV) { page } } }", 2),
        ("{ account { favoritesConnection(mediaType: TV) { totalCount } } }", 4),
        ("{ account { ratedConnection(mediaType: TV, last: 41) { totalCount } } }", 6),
        (
            "query ($n: Int) { account { "
            "watchlistConnection(mediaType: TV, first: $n) { totalCount } } }",
            8,  # a count the document does not give counts as 100
        ),
        (aliased("favorites(mediaType: MOVIE) { page }", 30), 31),
        (hostile.nested_fragments(5), 1 + 2**5),  # counted at each spread
        (
            "mutation { setFavorite(mediaType: MOVIE, mediaId: 1, favorite: true) "
            "{ account { rated(mediaType: TV) { page } } } }",
            3,
        ),
        (get_introspection_query(), 0),
    ],
)
def test_the_estimate_counts_each_upstream_call(query: str, estimate: int) -> None:
    assert estimated(query) == estimate


def test_what_real_clients_send_passes_every_limit() -> None:
    readme = (ROOT / "README.md").read_text()
    examples = [
        json.loads(f'"{text}"')
        for text in re.findall(r'"query": "((?:[^"\\]|\\.)*)"', readme)
    ]
    assert len(examples) >= 2
    for query in [*examples, users.READ, tracing_cost.QUERY]:
        assert limit_errors(query) == [], query


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(get_introspection_query(), id="graphql-core"),
        pytest.param(
            get_introspection_query(True, True, True, True, True),
            id="graphql-core-all-options",
        ),
        pytest.param(None, id="graphql-js-all-options"),  # GraphiQL's
    ],
)
def test_the_standard_introspection_queries_pass_with_none_to_spare(
    query: str | None,
) -> None:
    query = query or graphql_js_introspection_query()
    assert limit_errors(query) == []
    depth = DEFAULTS.max_introspection_depth
    (error,) = limit_errors(query, max_introspection_depth=depth - 1)
    assert f"nests introspection fields {depth} deep" in error.message


def test_the_introspection_depth_is_a_setting() -> None:
    assert limit_errors(hostile.deep_of_type(10)) == []  # 14 deep
    (error,) = limit_errors(hostile.deep_of_type(11))
    assert "introspection fields 15 deep" in error.message
    assert limit_errors(hostile.deep_of_type(11), max_introspection_depth=15) == []


def test_the_walk_is_linear_in_the_document() -> None:
    """Twice the fragments, about twice the calls: no fragment walked per spread."""
    for shape in (
        hostile.nested_fragments,
        lambda levels: hostile.wide_fragments(levels, 20),
        hostile.fragment_cycle,
    ):
        small, large = (calls_to_limits(shape(levels)) for levels in (40, 80))
        assert large <= 2.2 * small, (shape, small, large)


def test_a_document_is_validated_once_per_schema() -> None:
    """The validation cache keys on the rule classes: they must not be per request."""
    served = create_schema(schema_limits(DEFAULTS))
    query = "{ __typename } # validated once"
    first = calls_into_limits(lambda: served.execute_sync(query))
    again = calls_into_limits(lambda: served.execute_sync(query))
    assert (first > 0, again) == (True, 0)


@functools.cache
def schema() -> GraphQLSchema:
    return create_schema(schema_limits(DEFAULTS))._schema


def limit_errors(query: str, **overrides: int) -> list[GraphQLError]:
    """The limit rule's errors for `query`, with the default limits but `overrides`."""
    chosen = dataclasses.replace(schema_limits(DEFAULTS), **overrides)
    return validate(schema(), parse(query), [limits.limits_rule(chosen)])


def estimated(query: str) -> int:
    """The cost limit's estimate for `query`: what a limit of 0 reports."""
    errors = limit_errors(query, max_upstream_calls=0)
    estimates = [e.extensions["estimate"] for e in errors if e.extensions]
    return int(estimates[0]) if estimates else 0


def calls_to_limits(query: str) -> int:
    """Python function calls into gateway/schema/limits.py while validating `query`."""
    return calls_into_limits(lambda: limit_errors(query))


def calls_into_limits(work: Callable[[], object]) -> int:
    """Python function calls into gateway/schema/limits.py during `work()`."""
    calls = 0

    def count(frame: FrameType, event: str, _: object) -> None:
        nonlocal calls
        if event == "call" and frame.f_code.co_filename == limits.__file__:
            calls += 1

    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def graphql_js_introspection_query() -> str:
    """graphql-js's `getIntrospectionQuery`, all options on: what GraphiQL sends."""
    folder = Path(__file__).parent / "apollo_client"
    node = node_with_packages(folder)
    options = (
        "{descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, "
        "schemaDescription: true, inputValueDeprecation: true, oneOf: true}"
    )
    script = (
        "import('graphql').then(g => "
        f"process.stdout.write(g.getIntrospectionQuery({options})))"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout

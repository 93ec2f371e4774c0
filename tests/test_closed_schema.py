"""With introspection off, no error describes the schema; with it on, nothing changes.

Each document below draws one of graphql-core's suggestions ("Did you mean …")
from an open schema. A closed one answers every refused document or variables
with the same single error, without locations, naming nothing of the schema.
"""

import pytest

from gateway.schema.errors import CLOSED_MESSAGES
from gateway.settings import Settings
from tests.conftest import ALICE, Upstream, running_gateway

#: A document, its variables, and the name an open schema suggests for it.
SUGGESTING = {
    "field": ("{ account { usernam } }", {}, "username"),
    "argument": (
        "{ account { favorites(mediaTyp: MOVIE) { page } } }",
        {},
        "mediaType",
    ),
    "type": (
        "query($m: MediaTyp!) { account { favorites(mediaType: $m) { page } } }",
        {},
        "MediaType",
    ),
    "enum value": ("{ account { favorites(mediaType: MOVI) { page } } }", {}, "MOVIE"),
    "mutation": (
        "mutation { setFavourite(mediaType: MOVIE, mediaId: 1, favorite: true)"
        " { favorite } }",
        {},
        "setFavorite",
    ),
    "type condition": (
        "{ account { ...on Acount { id } } }",
        {},
        "Account",
    ),
    "variable value": (
        "query($m: MediaType!) { account { favorites(mediaType: $m) { page } } }",
        {"m": "MOVI"},
        "MOVIE",
    ),
}
INTROSPECTION = (
    "{ __schema { types { name } } }",
    '{ __type(name: "Account") { fields { name } } }',
    "{ _service { sdl } }",
)


@pytest.mark.parametrize("kind", SUGGESTING)
async def test_an_open_schema_suggests_names(
    kind: str, upstream: Upstream, client_for
) -> None:
    query, variables, suggested = SUGGESTING[kind]
    settings = Settings(upstream_url=upstream.url)
    async with running_gateway(settings) as server:
        result = await client_for(server, ALICE).query(query, variables)
    messages = " ".join(error["message"] for error in result.errors)
    assert "Did you mean" in messages and suggested in messages


@pytest.mark.parametrize("kind", SUGGESTING)
@pytest.mark.parametrize("headers", [{}, ALICE], ids=["anonymous", "token"])
async def test_a_closed_schema_names_nothing(
    kind: str, headers: dict[str, str], upstream: Upstream, client_for
) -> None:
    query, variables, suggested = SUGGESTING[kind]
    settings = Settings(upstream_url=upstream.url, introspection=False)
    async with running_gateway(settings) as server:
        result = await client_for(server, headers).query(query, variables)
    assert len(result.errors) == 1
    (error,) = result.errors
    assert error["message"] in CLOSED_MESSAGES.values()
    assert suggested not in error["message"] and "locations" not in error
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert upstream.calls.total() == 0


async def test_a_closed_schema_answers_real_and_made_up_names_alike(
    upstream: Upstream, client_for
) -> None:
    """Which words of a probe are real fields shows in nothing of the answer."""
    settings = Settings(upstream_url=upstream.url, introspection=False)
    async with running_gateway(settings) as server:
        alice = client_for(server, ALICE)
        real = await alice.query("{ account { id usernam favorites } }")
        made_up = await alice.query("{ account { idd usernam favourites } }")
    assert real.errors == made_up.errors


@pytest.mark.parametrize("query", INTROSPECTION)
@pytest.mark.parametrize("introspection", [True, False])
async def test_introspection_is_refused_only_when_off(
    query: str, introspection: bool, upstream: Upstream, client_for
) -> None:
    settings = Settings(upstream_url=upstream.url, introspection=introspection)
    async with running_gateway(settings) as server:
        result = await client_for(server, ALICE).query(query)
    if introspection:
        assert result.errors == [] and result.data
    else:
        assert result.codes == ["BAD_USER_INPUT"] and result.data is None
        assert result.errors[0]["extensions"]["reason"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_closed_schema_still_answers_valid_queries(
    upstream: Upstream, client_for
) -> None:
    settings = Settings(upstream_url=upstream.url, introspection=False)
    async with running_gateway(settings) as server:
        result = await client_for(server, ALICE).query("{ account { username } }")
    assert result.errors == [] and result.data["account"]["username"] == "alice"

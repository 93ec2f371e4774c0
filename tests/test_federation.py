"""The subgraph side of Apollo Federation v2: `_service` and `_entities`."""

import pytest

from gateway.reference_api import ALICE
from tests.conftest import Upstream
from tests.graphql_client import GraphQLClient

ENTITIES = """query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
  __typename
  ... on Account { id username favorites(mediaType: MOVIE) { totalResults } }
  ... on Movie { id mediaType }
  ... on TvShow { id mediaType } } }"""


async def test_service_sdl_declares_the_keys(alice: GraphQLClient) -> None:
    result = await alice.query("{ _service { sdl } }")
    sdl = result.data["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2' in sdl
    for type_name in ("Account", "Movie", "TvShow"):
        assert f"type {type_name} " in sdl
        assert f'{type_name} @key(fields: "id")' in sdl or (
            f'{type_name} implements Media @key(fields: "id")' in sdl
        )


async def test_own_account_resolves_and_others_are_null(alice: GraphQLClient) -> None:
    result = await alice.query(
        ENTITIES,
        {
            "representations": [
                {"__typename": "Account", "id": ALICE.id},
                {"__typename": "Account", "id": 67890},
            ]
        },
    )
    assert result.errors == []
    own, other = result.data["_entities"]
    assert own == {
        "__typename": "Account",
        "id": ALICE.id,
        "username": ALICE.username,
        "favorites": {"totalResults": 3},
    }
    assert other is None


async def test_media_references_hold_their_key(alice: GraphQLClient) -> None:
    result = await alice.query(
        ENTITIES,
        {
            "representations": [
                {"__typename": "Movie", "id": 550},
                {"__typename": "TvShow", "id": 1399},
            ]
        },
    )
    assert result.errors == []
    assert result.data["_entities"] == [
        {"__typename": "Movie", "id": 550, "mediaType": "MOVIE"},
        {"__typename": "TvShow", "id": 1399, "mediaType": "TV"},
    ]


async def test_other_fields_of_a_media_reference_are_not_found(
    alice: GraphQLClient,
) -> None:
    result = await alice.query(
        """{ _entities(representations: [{__typename: "Movie", id: 550}]) {
          ... on Movie { id title overview } } }"""
    )
    assert result.data == {"_entities": [None]}
    assert set(result.codes) == {"NOT_FOUND"}
    assert result.errors[0]["path"][:2] == ["_entities", 0]
    assert "title" in result.errors[0]["message"]


async def test_entities_need_credentials_for_accounts(alice: GraphQLClient) -> None:
    result = await alice.as_caller({}).query(
        ENTITIES, {"representations": [{"__typename": "Account", "id": ALICE.id}]}
    )
    assert result.data == {"_entities": [None]}
    assert result.codes == ["UNAUTHENTICATED"]


def _nested(depth: int) -> object:
    value: object = {"__typename": "Account", "id": ALICE.id}
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "representation",
    [
        1,
        "Account",
        _nested(1),
        _nested(150),
        {},
        {"__typename": "Nope", "id": 1},
        {"__typename": "Query", "id": 1},
        {"__typename": "Account"},
        {"__typename": "Account", "id": "x"},
        {"__typename": "Movie", "id": True},
    ],
)
async def test_a_malformed_reference_is_bad_input_before_upstream(
    alice: GraphQLClient, upstream: Upstream, representation: object
) -> None:
    well_formed = {"__typename": "Account", "id": ALICE.id}
    result = await alice.query(
        ENTITIES, {"representations": [well_formed, representation]}
    )
    assert (result.data, result.codes) == (None, ["BAD_USER_INPUT"])
    assert result.errors[0]["message"] == (
        "representations[1] is not a reference to an Account, Movie or TvShow by "
        "its integer id."
    )
    assert upstream.calls.total() == 0

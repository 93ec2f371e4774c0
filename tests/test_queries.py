"""Every read of the contract, end to end: gateway over the reference REST API."""

import pytest

from gateway.reference_api import ALICE, BOB, TV_SHOWS
from tests.graphql_client import GraphQLClient

ACCOUNT = """{ account { id name username includeAdult iso6391 iso31661
  avatar { gravatar { hash } } } }"""
LIST = """{ account { id
  favorites(mediaType: MOVIE) { ...page } watchlist(mediaType: TV) { ...page }
  rated(mediaType: MOVIE) { ...page } } }
fragment page on MediaPage { page totalPages totalResults
  results { __typename id mediaType title releaseDate overview posterPath
    backdropPath voteAverage voteCount rating } }"""
ONE_LIST = """query ($mediaType: MediaType!, $page: Int! = 1,
  $language: String! = "en-US",
  $sortBy: ListSort! = CREATED_AT_DESC) { account {
  favorites(mediaType: $mediaType, page: $page, language: $language, sortBy: $sortBy) {
    page totalPages totalResults results { id title } } } }"""


async def test_account_has_every_field(alice: GraphQLClient) -> None:
    result = await alice.query(ACCOUNT)
    assert result.errors == []
    assert result.data["account"] == {
        "id": ALICE.id,
        "name": ALICE.name,
        "username": ALICE.username,
        "includeAdult": ALICE.include_adult,
        "iso6391": ALICE.iso_639_1,
        "iso31661": ALICE.iso_3166_1,
        "avatar": {"gravatar": {"hash": ALICE.gravatar_hash}},
    }


async def test_null_gravatar_hash(bob: GraphQLClient) -> None:
    result = await bob.query(ACCOUNT)
    assert result.data["account"]["avatar"] == {"gravatar": {"hash": None}}
    assert result.data["account"]["id"] == BOB.id


async def test_lists_resolve_movies_and_tv_shows(alice: GraphQLClient) -> None:
    result = await alice.query(LIST)
    assert result.errors == []
    account = result.data["account"]
    favorites, watchlist, rated = (
        account["favorites"],
        account["watchlist"],
        account["rated"],
    )
    assert [item["id"] for item in favorites["results"]] == [13, 680, 550]
    assert {item["__typename"] for item in favorites["results"]} == {"Movie"}
    assert favorites["results"][2]["title"] == "Fight Club"
    assert favorites["results"][2]["releaseDate"] == "1999-10-15"
    assert (favorites["page"], favorites["totalPages"], favorites["totalResults"]) == (
        1,
        1,
        3,
    )
    show = watchlist["results"][0]
    assert (show["__typename"], show["mediaType"], show["id"]) == ("TvShow", "TV", 1399)
    assert show["title"] == "Game of Thrones"
    assert show["releaseDate"] == "2011-04-17"
    assert [(item["id"], item["rating"]) for item in rated["results"]] == [(550, 8.5)]
    assert favorites["results"][0]["rating"] is None


async def test_sort_order_reaches_upstream(alice: GraphQLClient) -> None:
    """The reference API answers every language alike: `test_upstream_client`
    watches the language go upstream."""
    ascending = await alice.query(
        ONE_LIST, {"mediaType": "MOVIE", "sortBy": "CREATED_AT_ASC"}
    )
    ids = [item["id"] for item in ascending.data["account"]["favorites"]["results"]]
    assert ids == [550, 680, 13]


async def test_pages_of_twenty(alice: GraphQLClient) -> None:
    for media_id in range(1, 30):
        await alice.query(
            f"mutation {{ setFavorite(mediaType: TV, mediaId: {_tv_id(media_id)}, "
            "favorite: true) { favorite } }"
        )
    first = await alice.query(ONE_LIST, {"mediaType": "TV"})
    second = await alice.query(ONE_LIST, {"mediaType": "TV", "page": 2})
    beyond = await alice.query(ONE_LIST, {"mediaType": "TV", "page": 3})
    first_page = first.data["account"]["favorites"]
    second_page = second.data["account"]["favorites"]
    assert len(first_page["results"]) == 20
    assert first_page["totalResults"] == second_page["totalResults"]
    assert first_page["totalPages"] == 2
    assert len(second_page["results"]) == first_page["totalResults"] - 20
    assert beyond.data["account"]["favorites"]["results"] == []


def _tv_id(n: int) -> int:
    return sorted(show.id for show in TV_SHOWS)[n]


@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"page": 0}, "page"),
        ({"page": 501}, "page"),
        ({"language": "english"}, "language"),
        ({"language": "en_US"}, "language"),
        ({"language": "EN"}, "language"),
    ],
)
async def test_bad_list_arguments_never_reach_upstream(
    alice: GraphQLClient, upstream, variables: dict, argument: str
) -> None:
    await alice.query(ACCOUNT)
    before = upstream.calls.total()
    result = await alice.query(ONE_LIST, {"mediaType": "MOVIE", **variables})
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["argument"] == argument
    assert result.data == {"account": {"favorites": None}}
    assert upstream.calls.total() == before


async def test_no_credentials_is_unauthenticated_without_upstream_call(
    alice: GraphQLClient, upstream
) -> None:
    anonymous = alice.as_caller({})
    result = await anonymous.query(ACCOUNT)
    assert result.data == {"account": None}
    assert result.codes == ["UNAUTHENTICATED"]
    assert "'Authorization: Bearer <token>'" in result.errors[0]["message"]
    assert "/demo" in result.errors[0]["message"]
    assert upstream.calls.total() == 0


async def test_unknown_token_is_unauthenticated(alice: GraphQLClient) -> None:
    result = await alice.as_caller({"Authorization": "Bearer nobody"}).query(ACCOUNT)
    assert result.data == {"account": None}
    assert result.codes == ["UNAUTHENTICATED"]
    assert "nobody" not in str(result.errors)


async def test_session_cookie_is_forwarded(alice: GraphQLClient) -> None:
    result = await alice.as_caller({"Cookie": f"session_id={BOB.token}"}).query(ACCOUNT)
    assert result.data["account"]["id"] == BOB.id

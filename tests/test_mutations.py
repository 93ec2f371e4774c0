"""The four mutations, their payloads, and the lists they leave behind."""

import pytest

from gateway.reference_api import ALICE
from tests.conftest import Upstream
from tests.graphql_client import GraphQLClient

FAVORITE_MOVIES = "{ account { favorites(mediaType: MOVIE) { results { id } } } }"
SET_FAVORITE = """mutation ($id: Int!, $on: Boolean!) {
  setFavorite(mediaType: MOVIE, mediaId: $id, favorite: $on) {
    mediaType mediaId favorite
    account { id
      favorites(mediaType: MOVIE) { totalResults results { id title } } } } }"""
SET_WATCHLIST = """mutation ($id: Int!, $on: Boolean!) {
  setWatchlist(mediaType: TV, mediaId: $id, watchlist: $on) {
    mediaType mediaId watchlist
    account { watchlist(mediaType: TV) { results { id title } } } } }"""
RATE = """mutation ($type: MediaType!, $id: Int!, $rating: Float!) {
  rate(mediaType: $type, mediaId: $id, rating: $rating) {
    mediaType mediaId rated { value }
    account { rated(mediaType: $type) { results { id rating } } } } }"""
DELETE_RATING = """mutation ($id: Int!) { deleteRating(mediaType: MOVIE, mediaId: $id) {
    mediaType mediaId rated { value }
    account { rated(mediaType: MOVIE) { results { id } } }
  } }"""


RATED_MOVIES = "{ account { rated(mediaType: MOVIE) { results { id rating } } } }"
#: Every list that one of the mutations above may touch.
TOUCHED_LISTS = """{ account {
  favorites(mediaType: MOVIE) { results { id } }
  watchlist(mediaType: TV) { results { id } }
  ratedMovies: rated(mediaType: MOVIE) { results { id rating } }
  ratedShows: rated(mediaType: TV) { results { id rating } } } }"""


async def favorite_ids(client: GraphQLClient) -> list[int]:
    result = await client.query(FAVORITE_MOVIES)
    return [item["id"] for item in result.data["account"]["favorites"]["results"]]


async def test_set_favorite_payload_shows_the_change(alice: GraphQLClient) -> None:
    assert await favorite_ids(alice) == [13, 680, 550]  # now cached
    result = await alice.query(SET_FAVORITE, {"id": 603, "on": True})
    assert result.errors == []
    payload = result.data["setFavorite"]
    assert (payload["mediaType"], payload["mediaId"], payload["favorite"]) == (
        "MOVIE",
        603,
        True,
    )
    assert payload["account"]["id"] == ALICE.id
    results = payload["account"]["favorites"]["results"]
    assert [item["id"] for item in results] == [603, 13, 680, 550]
    assert await favorite_ids(alice) == [603, 13, 680, 550]


async def test_unset_favorite_removes_it_from_the_cached_list(
    alice: GraphQLClient,
) -> None:
    assert 680 in await favorite_ids(alice)
    result = await alice.query(SET_FAVORITE, {"id": 680, "on": False})
    assert result.data["setFavorite"]["favorite"] is False
    assert await favorite_ids(alice) == [13, 550]


async def test_set_watchlist(alice: GraphQLClient) -> None:
    added = await alice.query(SET_WATCHLIST, {"id": 1396, "on": True})
    payload = added.data["setWatchlist"]
    assert (payload["mediaType"], payload["watchlist"]) == ("TV", True)
    shows = payload["account"]["watchlist"]["results"]
    assert [(show["id"], show["title"]) for show in shows] == [
        (1396, "Breaking Bad"),
        (1399, "Game of Thrones"),
    ]
    removed = await alice.query(SET_WATCHLIST, {"id": 1399, "on": False})
    assert [
        show["id"]
        for show in removed.data["setWatchlist"]["account"]["watchlist"]["results"]
    ] == [1396]


async def test_rate_and_rerate_and_delete(alice: GraphQLClient) -> None:
    rated = await alice.query(RATE, {"type": "MOVIE", "id": 680, "rating": 7.5})
    assert rated.data["rate"]["rated"] == {"value": 7.5}
    ratings = rated.data["rate"]["account"]["rated"]["results"]
    assert {item["id"]: item["rating"] for item in ratings} == {680: 7.5, 550: 8.5}
    rerated = await alice.query(RATE, {"type": "MOVIE", "id": 680, "rating": 10})
    ratings = rerated.data["rate"]["account"]["rated"]["results"]
    assert {item["id"]: item["rating"] for item in ratings} == {680: 10.0, 550: 8.5}
    deleted = await alice.query(DELETE_RATING, {"id": 680})
    payload = deleted.data["deleteRating"]
    assert (payload["mediaId"], payload["rated"]) == (680, None)
    assert payload["account"]["rated"]["results"] == [{"id": 550}]


async def test_rate_a_tv_show(alice: GraphQLClient) -> None:
    result = await alice.query(RATE, {"type": "TV", "id": 1399, "rating": 0.5})
    assert result.data["rate"]["mediaType"] == "TV"
    ratings = result.data["rate"]["account"]["rated"]["results"]
    assert {"id": 1399, "rating": 0.5} in ratings


@pytest.mark.parametrize("rating", [0, 0.25, 7.25, 10.5, -1, 11, 1e300])
async def test_bad_rating_is_refused_before_upstream(
    alice: GraphQLClient, upstream: Upstream, rating: float
) -> None:
    before = upstream.calls.total()
    result = await alice.query(RATE, {"type": "MOVIE", "id": 680, "rating": rating})
    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["argument"] == "rating"
    assert upstream.calls.total() == before
    ratings = await alice.query(RATED_MOVIES)
    assert ratings.data["account"]["rated"]["results"] == [{"id": 550, "rating": 8.5}]


@pytest.mark.parametrize("media_id", [0, -550])
async def test_bad_media_id_is_refused_before_upstream(
    alice: GraphQLClient, upstream: Upstream, media_id: int
) -> None:
    result = await alice.query(SET_FAVORITE, {"id": media_id, "on": True})
    assert result.codes == ["BAD_USER_INPUT"]
    assert upstream.calls.total() == 0
    assert await favorite_ids(alice) == [13, 680, 550]


@pytest.mark.parametrize(
    ("mutation", "variables", "named"),
    [
        (SET_FAVORITE, {"id": 99999999, "on": True}, ("MOVIE", "movie")),
        (SET_WATCHLIST, {"id": 99999999, "on": True}, ("TV", "TV show")),
        (RATE, {"type": "TV", "id": 99999999, "rating": 5}, ("TV", "TV show")),
        (DELETE_RATING, {"id": 99999999}, ("MOVIE", "movie")),
    ],
)
async def test_unknown_media_id_is_not_found_by_id_and_changes_nothing(
    alice: GraphQLClient,
    mutation: str,
    variables: dict[str, object],
    named: tuple[str, str],
) -> None:
    before = await alice.query(TOUCHED_LISTS)
    assert before.errors == []
    result = await alice.query(mutation, variables)
    assert result.data is None
    (error,) = result.errors
    media_type, noun = named
    assert error["message"] == f"No {noun} with id 99999999 was found."
    assert error["extensions"] == {
        "code": "NOT_FOUND",
        "mediaType": media_type,
        "mediaId": 99999999,
    }
    assert (await alice.query(TOUCHED_LISTS)).data == before.data


async def test_mutation_needs_credentials(
    alice: GraphQLClient, upstream: Upstream
) -> None:
    result = await alice.as_caller({}).query(SET_FAVORITE, {"id": 603, "on": True})
    assert result.codes == ["UNAUTHENTICATED"]
    assert upstream.calls.total() == 0

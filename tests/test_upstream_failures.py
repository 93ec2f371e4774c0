"""Every upstream failure becomes the contract's error code, end to end."""

import email.utils
import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from gateway.settings import Settings
from harness.servers import bound_socket
from tests.conftest import ALICE, Upstream, running_gateway, running_upstream
from tests.graphql_client import GraphQLClient

ACCOUNT = "{ account { id } }"
LISTS = """{ account { id favorites(mediaType: MOVIE) { results { id } }
  watchlist(mediaType: TV) { results { id title } } } }"""
SET_FAVORITE = (
    "mutation { setFavorite(mediaType: MOVIE, mediaId: 603, favorite: true) "
    "{ favorite } }"
)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "UNAUTHENTICATED"),
        (403, "FORBIDDEN"),
        (404, "NOT_FOUND"),
        (400, "BAD_USER_INPUT"),
        (422, "BAD_USER_INPUT"),
        (405, "UPSTREAM_ERROR"),
        (500, "UPSTREAM_ERROR"),
        (502, "UPSTREAM_ERROR"),
        (503, "UPSTREAM_ERROR"),
        (429, "RATE_LIMITED"),
        (302, "UPSTREAM_ERROR"),
        (409, "UPSTREAM_ERROR"),
    ],
)
async def test_upstream_status_becomes_code(
    alice: GraphQLClient, upstream: Upstream, status: int, code: str
) -> None:
    upstream.faults.status = status
    result = await alice.query(ACCOUNT)
    assert result.data == {"account": None}
    assert result.codes == [code]
    error = result.error_at("account")
    assert error["extensions"]["upstreamStatus"] == status
    assert "127.0.0.1" not in error["message"] and "Injected" not in error["message"]


async def test_mutation_failure_has_its_code(
    alice: GraphQLClient, upstream: Upstream
) -> None:
    await alice.query(ACCOUNT)
    upstream.faults.status = 503
    result = await alice.query(SET_FAVORITE)
    assert result.data is None
    assert result.codes == ["UPSTREAM_ERROR"]


@pytest.mark.parametrize(
    "retry_after",
    [lambda: "7", lambda: email.utils.formatdate(time.time() + 7, usegmt=True)],
    ids=["seconds", "http-date"],
)
async def test_rate_limited_says_when_to_retry(
    alice: GraphQLClient, upstream: Upstream, retry_after: Callable[[], str]
) -> None:
    upstream.faults.status = 429
    upstream.faults.headers = {"Retry-After": retry_after()}
    result = await alice.query(ACCOUNT)
    extensions = result.error_at("account")["extensions"]
    assert extensions["code"] == "RATE_LIMITED"
    assert 5 <= extensions["retryAfter"] <= 7


async def test_reference_api_rate_limit_is_rate_limited(
    settings: Settings, client_for: Callable[..., GraphQLClient]
) -> None:
    async with running_upstream(rate_limit=1, rate_window=60.0) as limited:
        limited_settings = replace(settings, upstream_url=limited.url)
        async with running_gateway(limited_settings) as server:
            client = client_for(server, ALICE)
            assert (await client.query(ACCOUNT)).errors == []
            favorites = await client.query(LISTS)
    assert favorites.codes == ["RATE_LIMITED", "RATE_LIMITED"]
    assert all(error["extensions"]["retryAfter"] >= 1 for error in favorites.errors)


@pytest.mark.parametrize(
    "body",
    ['{"nope": 1}', "not json", '"a string"', "[]", '{"id": "12345"}', ""],
)
async def test_body_of_the_wrong_shape_is_upstream_error(
    alice: GraphQLClient, upstream: Upstream, body: str
) -> None:
    upstream.faults.body = body
    result = await alice.query(ACCOUNT)
    assert result.data == {"account": None}
    assert result.codes == ["UPSTREAM_ERROR"]


async def test_list_of_the_wrong_shape_is_upstream_error(
    alice: GraphQLClient, upstream: Upstream
) -> None:
    await alice.query(ACCOUNT)
    upstream.faults.body = (
        '{"page": 1, "results": [{"title": "no id"}], "total_pages": 1, '
        '"total_results": 1}'
    )
    result = await alice.query(LISTS)
    assert result.data == {
        "account": {"id": 12345, "favorites": None, "watchlist": None}
    }
    assert result.codes == ["UPSTREAM_ERROR", "UPSTREAM_ERROR"]


async def test_failed_list_is_null_and_siblings_keep_their_data(
    alice: GraphQLClient, upstream: Upstream
) -> None:
    warm = await alice.query(LISTS)  # both lists and the account are cached now
    assert warm.errors == []
    await alice.query(SET_FAVORITE)  # moves the favorites on: the next read misses
    upstream.faults.status = 500
    result = await alice.query(LISTS)
    account = result.data["account"]
    assert account["favorites"] is None
    assert account["watchlist"] == warm.data["account"]["watchlist"]
    assert result.codes == ["UPSTREAM_ERROR"]
    assert result.error_at("account", "favorites")


async def test_refused_connection_is_upstream_unavailable(
    settings: Settings, client_for: Callable[..., GraphQLClient]
) -> None:
    closed = bound_socket()
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more: connections are refused
    refused = replace(settings, upstream_url=f"http://127.0.0.1:{port}/api")
    async with running_gateway(refused) as server:
        result = await client_for(server, ALICE).query(ACCOUNT)
    assert result.data == {"account": None}
    assert result.codes == ["UPSTREAM_UNAVAILABLE"]
    assert str(port) not in result.errors[0]["message"]


async def test_upstream_slower_than_the_timeout_is_unavailable(
    settings: Settings, upstream: Upstream, client_for: Callable[..., GraphQLClient]
) -> None:
    upstream.faults.delay = 30.0
    settings = replace(settings, upstream_timeout=0.3)
    started = time.monotonic()
    async with running_gateway(settings) as server:
        result = await client_for(server, ALICE).query(ACCOUNT)
    assert result.codes == ["UPSTREAM_UNAVAILABLE"]
    assert time.monotonic() - started < 10  # bounded by the timeout, not the delay


async def test_tolerant_items(alice: GraphQLClient, upstream: Upstream) -> None:
    await alice.query(ACCOUNT)
    upstream.faults.body = (
        '{"page": 1, "total_pages": 1, "total_results": 4, "results": ['
        '{"id": 1, "name": "A show", "first_air_date": "2001-02-03", "extra": [1]},'
        '{"id": 2, "title": null, "overview": null, "vote_average": "high"},'
        '{"id": 3, "rating": 7.5, "vote_count": 12, "poster_path": "/p.jpg"},'
        '{"id": 4}]}'
    )
    result = await alice.query(
        "{ account { watchlist(mediaType: TV) { results { __typename id title "
        "releaseDate overview voteAverage voteCount rating posterPath } } } }"
    )
    assert result.errors == []
    items = result.data["account"]["watchlist"]["results"]
    assert items[0] == {
        "__typename": "TvShow",
        "id": 1,
        "title": "A show",
        "releaseDate": "2001-02-03",
        "overview": None,
        "voteAverage": None,
        "voteCount": None,
        "rating": None,
        "posterPath": None,
    }
    assert (items[1]["title"], items[1]["voteAverage"]) == ("", None)
    assert (items[2]["rating"], items[2]["voteCount"], items[2]["posterPath"]) == (
        7.5,
        12,
        "/p.jpg",
    )
    assert items[3]["id"] == 4


async def test_a_field_nobody_reads_is_skipped_unread(
    alice: GraphQLClient, upstream: Upstream
) -> None:
    """A number out of a float's range in a field the gateway ignores: the page is
    read all the same, as it would be without that field (orjson refused the
    whole body, and the list was an UPSTREAM_ERROR)."""
    await alice.query(ACCOUNT)
    upstream.faults.body = (
        '{"page": 1, "total_pages": 1, "total_results": 1, "results": ['
        '{"id": 7, "name": "A show", "popularity": 1e999}]}'
    )
    result = await alice.query(
        "{ account { watchlist(mediaType: TV) { results { id title } } } }"
    )
    assert result.errors == []
    assert result.data["account"]["watchlist"]["results"] == [
        {"id": 7, "title": "A show"}
    ]


async def test_redirects_are_not_followed(
    alice: GraphQLClient, upstream: Upstream
) -> None:
    """Following one would send the caller's credentials wherever upstream points."""
    upstream.faults.status = 302
    upstream.faults.headers = {"Location": f"{upstream.url}/account"}
    result = await alice.query(ACCOUNT)
    assert result.codes == ["UPSTREAM_ERROR"]
    assert upstream.calls.count("GET /account") == 1

"""Relay connections over the upstream's pages, end to end on both cache backends.

The caller is a generated account whose favorite movies span three upstream pages
(20, 20 and 5 items); every test runs on the memory cache and on a real Redis. The
last tests drive the gateway with Apollo Client's own `relayStylePagination`
(tests/apollo_client/pagination.mjs, pinned in its package.json).
"""

import json
import math
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.reference_api import MOVIES, TV_SHOWS, generated_accounts
from gateway.settings import Settings
from harness.servers import RunningServer
from tests.conftest import MEMORY_ONLY, Upstream, running_gateway, running_upstream
from tests.graphql_client import GraphQLClient, Result
from tests.node_packages import node_with_packages, run_node

USER = generated_accounts(1)[0]
USER_HEADERS = {"Authorization": f"Bearer {USER.token}"}
#: The user's favorite movies in the order added: upstream pages of 20, 20 and 5.
FAVORITES = [movie.id for movie in MOVIES[:45]]
NEWER = [movie.id for movie in MOVIES[45:47]]
FAVORITE_SHOWS = [show.id for show in TV_SHOWS[:2]]
WATCHLIST = [movie.id for movie in MOVIES[100:102]]
LIST_CALLS = "GET /account/{account_id}/{list}/{media}"
APOLLO_CLIENT = Path(__file__).resolve().parent / "apollo_client"
NODE_TIMEOUT = 60.0

CONNECTION = """query ($first: Int, $after: String, $last: Int, $before: String,
    $sortBy: ListSort! = CREATED_AT_DESC, $language: String! = "en-US") {
  account { favoritesConnection(mediaType: MOVIE, first: $first, after: $after,
      last: $last, before: $before, sortBy: $sortBy, language: $language) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { __typename id mediaType title } } } } }"""
PAGE = """query ($page: Int!) { account {
  favorites(mediaType: MOVIE, page: $page) { results { id } } } }"""
SET_FAVORITE = """mutation ($id: Int!, $on: Boolean! = true) {
  setFavorite(mediaType: MOVIE, mediaId: $id, favorite: $on) { favorite } }"""


async def add_entries(upstream: Upstream, flag: str, kind: str, ids: list[int]) -> None:
    """Add items to the user's favorites or watchlist through the REST API."""
    url = f"{upstream.url}/account/{USER.id}/{flag}"
    async with aiohttp.ClientSession() as http:
        for media_id in ids:
            body = {"media_type": kind, "media_id": media_id, flag: True}
            async with http.post(url, json=body, headers=USER_HEADERS) as response:
                assert response.status == 200, await response.text()


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with running_upstream(users=1) as running:
        await add_entries(running, "favorite", "movie", FAVORITES)
        await add_entries(running, "favorite", "tv", FAVORITE_SHOWS)
        await add_entries(running, "watchlist", "movie", WATCHLIST)
        running.calls.reset()
        yield running


@pytest.fixture
def user(
    gateway: RunningServer, client_for: Callable[..., GraphQLClient]
) -> GraphQLClient:
    return client_for(gateway, USER_HEADERS)


@pytest.fixture
async def uncached(
    upstream: Upstream, cache_url: str | None, client_for: Callable[..., GraphQLClient]
) -> AsyncIterator[GraphQLClient]:
    """The user on a gateway that keeps no page across requests and shares no load,
    so that every page a request touches is one upstream call."""
    settings = Settings(
        upstream_url=upstream.url,
        cache_url=cache_url,
        list_ttl=0,
        stale_ttl=0,
        single_flight=False,
    )
    async with running_gateway(settings) as server:
        yield client_for(server, USER_HEADERS)


def connection(result: Result) -> dict[str, Any]:
    assert result.errors == [], result.errors
    found: dict[str, Any] = result.data["account"]["favoritesConnection"]
    return found


def ids(found: dict[str, Any]) -> list[int]:
    return [edge["node"]["id"] for edge in found["edges"]]


async def cursors(client: GraphQLClient) -> list[str]:
    """The cursor of every favorite, by offset, as the gateway hands them out."""
    found = connection(await client.query(CONNECTION, {"first": 100}))
    return [edge["cursor"] for edge in found["edges"]]


async def walk(
    client: GraphQLClient, size: int, sort: str, forwards: bool
) -> list[int]:
    """Every id of the list, page by page, as a client follows the cursors; checks
    each page's pageInfo on the way."""
    count, cursor, more = ("first", "after", "hasNextPage")
    if not forwards:
        count, cursor, more = ("last", "before", "hasPreviousPage")
    variables: dict[str, Any] = {count: size, "sortBy": sort}
    pages = []
    for _ in range(len(FAVORITES) + 1):
        found = connection(await client.query(CONNECTION, variables))
        info = found["pageInfo"]
        assert found["totalCount"] == len(FAVORITES)
        assert [info["startCursor"], info["endCursor"]] == [
            found["edges"][0]["cursor"],
            found["edges"][-1]["cursor"],
        ]
        pages.append(ids(found))
        if not info[more]:
            break
        variables[cursor] = info["endCursor" if forwards else "startCursor"]
    assert not info[more], "the walk did not end"
    assert all(len(page) == size for page in pages[:-1])
    walked = [item for page in (pages if forwards else pages[::-1]) for item in page]
    return walked


@pytest.mark.parametrize("sort", ["CREATED_AT_DESC", "CREATED_AT_ASC"])
async def test_walks_give_every_item_once_in_order(
    user: GraphQLClient, sort: str
) -> None:
    """Page sizes on, across and beside the upstream's boundaries of 20."""
    expected = FAVORITES[::-1] if sort == "CREATED_AT_DESC" else FAVORITES
    for size in (1, 7, 19, 20, 21, 44, 100):
        assert await walk(user, size, sort, forwards=True) == expected, size
        assert await walk(user, size, sort, forwards=False) == expected, size


async def test_a_connection_starts_with_twenty_items_and_its_page_info(
    user: GraphQLClient,
) -> None:
    found = connection(await user.query(CONNECTION))
    assert ids(found) == FAVORITES[::-1][:20]
    assert found["totalCount"] == 45
    assert found["pageInfo"]["hasNextPage"] is True
    assert found["pageInfo"]["hasPreviousPage"] is False
    node = found["edges"][0]["node"]
    assert node == {
        "__typename": "Movie",
        "id": FAVORITES[-1],
        "mediaType": "MOVIE",
        "title": MOVIES[44].title,
    }


async def test_page_info_at_both_ends(user: GraphQLClient) -> None:
    every = await cursors(user)
    last = connection(await user.query(CONNECTION, {"first": 5, "after": every[-6]}))
    assert ids(last) == FAVORITES[:5][::-1]
    assert (last["pageInfo"]["hasNextPage"], last["pageInfo"]["hasPreviousPage"]) == (
        False,
        True,
    )
    beyond = connection(await user.query(CONNECTION, {"first": 5, "after": every[-1]}))
    assert beyond["edges"] == [] and beyond["pageInfo"]["hasNextPage"] is False
    assert beyond["pageInfo"]["startCursor"] is None
    first = connection(await user.query(CONNECTION, {"last": 5, "before": every[5]}))
    assert ids(first) == FAVORITES[::-1][:5]
    assert (first["pageInfo"]["hasPreviousPage"], first["pageInfo"]["hasNextPage"]) == (
        False,
        True,
    )


async def test_the_other_lists_and_media_types_are_connections_too(
    user: GraphQLClient, alice: GraphQLClient
) -> None:
    result = await user.query(
        """{ account {
          shows: favoritesConnection(mediaType: TV) { totalCount edges { node { id } } }
          watchlistConnection(mediaType: MOVIE) { totalCount edges { node { id } } }
          ratedConnection(mediaType: MOVIE) { totalCount edges { node { id } } } } }"""
    )
    assert result.errors == []
    account = result.data["account"]
    assert [e["node"]["id"] for e in account["shows"]["edges"]] == FAVORITE_SHOWS[::-1]
    watchlist = account["watchlistConnection"]["edges"]
    assert [e["node"]["id"] for e in watchlist] == WATCHLIST[::-1]
    assert account["ratedConnection"] == {"totalCount": 0, "edges": []}
    rated = await alice.query(
        "{ account { ratedConnection(mediaType: MOVIE) "
        "{ edges { node { id rating } } } } }"
    )
    assert rated.data["account"]["ratedConnection"]["edges"] == [
        {"node": {"id": 550, "rating": 8.5}}
    ]


# (arguments as offsets into the list, upstream pages touched): page 1 always, for
# the page size and the total; then only the pages that hold the window.
TOUCHED = [
    ({"first": 5}, 1),
    ({"first": 20}, 1),
    ({"first": 21}, 2),
    ({"first": 100}, 3),
    ({"first": 0}, 1),
    ({"first": 5, "after": 4}, 1),
    ({"first": 5, "after": 24}, 2),
    ({"first": 20, "after": 9}, 2),
    ({"first": 21, "after": 19}, 3),
    ({"first": 5, "after": 44}, 1),
    ({"last": 5}, 2),
    ({"last": 25}, 3),
    ({"last": 5, "before": 23}, 2),
    ({"last": 5, "before": 44}, 3),
    ({"last": 4, "before": 44}, 2),
    ({"last": 3, "before": 3}, 1),
]


async def test_a_connection_touches_only_the_pages_it_needs(
    uncached: GraphQLClient, upstream: Upstream
) -> None:
    every = await cursors(uncached)
    for args, pages in TOUCHED:
        variables: dict[str, Any] = dict(args)
        for name in ("after", "before"):
            if name in args:
                variables[name] = every[args[name]]
        before = upstream.calls.count(LIST_CALLS)
        found = connection(await uncached.query(CONNECTION, variables))
        assert upstream.calls.count(LIST_CALLS) - before == pages, args
        between = FAVORITES[::-1][args.get("after", -1) + 1 : args.get("before")]
        if "first" in args:
            assert ids(found) == between[: args["first"]], args
        else:
            assert ids(found) == between[max(0, len(between) - args["last"]) :], args


async def test_a_page_is_read_once_per_request_by_list_fields_and_connections(
    uncached: GraphQLClient, upstream: Upstream
) -> None:
    await uncached.query("{ account { id } }")
    before = upstream.calls.count(LIST_CALLS)
    result = await uncached.query(
        """{ account {
          one: favorites(mediaType: MOVIE) { results { id } }
          two: favorites(mediaType: MOVIE, page: 2) { results { id } }
          a: favoritesConnection(mediaType: MOVIE, first: 5) { totalCount }
          b: favoritesConnection(mediaType: MOVIE, first: 30) { totalCount }
          c: favoritesConnection(mediaType: MOVIE, last: 30) { totalCount }
          d: favoritesConnection(mediaType: MOVIE, last: 30) { totalCount } } }"""
    )
    assert result.errors == []
    # Pages 1, 2 and 3, once each, for six fields that read nine pages between them.
    assert upstream.calls.count(LIST_CALLS) - before == 3


async def test_connections_share_the_cached_pages_of_the_list_fields(
    user: GraphQLClient, upstream: Upstream
) -> None:
    for page in (1, 2, 3):
        assert (await user.query(PAGE, {"page": page})).errors == []
    before = upstream.calls.count(LIST_CALLS)
    found = connection(await user.query(CONNECTION, {"first": 100}))
    assert ids(found) == FAVORITES[::-1]
    assert upstream.calls.count(LIST_CALLS) == before


async def test_a_connection_shows_the_callers_own_write_at_once(
    user: GraphQLClient,
) -> None:
    assert (
        ids(connection(await user.query(CONNECTION, {"first": 100})))[0]
        == (FAVORITES[-1])
    )
    assert (await user.query(SET_FAVORITE, {"id": NEWER[0]})).errors == []
    found = connection(await user.query(CONNECTION, {"first": 100}))
    assert ids(found) == [NEWER[0], *FAVORITES[::-1]]
    assert found["totalCount"] == 46


async def test_a_change_before_a_forward_cursor_repeats_or_misses_an_item(
    user: GraphQLClient,
) -> None:
    """The README's account of offset cursors, walking forwards (newest first)."""
    newest = FAVORITES[::-1]
    first = connection(await user.query(CONNECTION, {"first": 5}))
    assert (await user.query(SET_FAVORITE, {"id": NEWER[0]})).errors == []
    after = first["pageInfo"]["endCursor"]
    second = connection(await user.query(CONNECTION, {"first": 5, "after": after}))
    assert ids(second) == newest[4:9]  # newest[4] again; NEWER[0] lies behind
    removed = await user.query(SET_FAVORITE, {"id": newest[0], "on": False})
    assert removed.errors == []
    after = second["pageInfo"]["endCursor"]
    third = connection(await user.query(CONNECTION, {"first": 5, "after": after}))
    assert ids(third) == newest[10:15]  # newest[9] missed


async def test_a_change_before_a_backward_cursor_misses_or_repeats_an_item(
    user: GraphQLClient,
) -> None:
    """The README's account of offset cursors, walking backwards (newest first)."""
    newest = FAVORITES[::-1]
    first = connection(await user.query(CONNECTION, {"last": 5}))
    assert (await user.query(SET_FAVORITE, {"id": NEWER[0]})).errors == []
    before = first["pageInfo"]["startCursor"]
    second = connection(await user.query(CONNECTION, {"last": 5, "before": before}))
    assert ids(second) == newest[34:39]  # newest[39] missed
    removed = await user.query(SET_FAVORITE, {"id": newest[0], "on": False})
    assert removed.errors == []
    before = second["pageInfo"]["startCursor"]
    third = connection(await user.query(CONNECTION, {"last": 5, "before": before}))
    assert ids(third) == newest[30:35]  # newest[34] again


async def test_each_write_in_one_request_is_seen_by_the_payload_after_it(
    user: GraphQLClient,
) -> None:
    newest = "account { favoritesConnection(mediaType: MOVIE, first: 1) { ...newest } }"
    result = await user.query(
        f"""mutation {{
          a: setFavorite(mediaType: MOVIE, mediaId: {NEWER[0]}, favorite: true)
            {{ {newest} }}
          b: setFavorite(mediaType: MOVIE, mediaId: {NEWER[1]}, favorite: true)
            {{ {newest} }} }}
        fragment newest on MediaConnection {{ totalCount edges {{ node {{ id }} }} }}"""
    )
    assert result.errors == []
    seen = [
        result.data[alias]["account"]["favoritesConnection"] for alias in ("a", "b")
    ]
    assert seen == [
        {"totalCount": 46, "edges": [{"node": {"id": NEWER[0]}}]},
        {"totalCount": 47, "edges": [{"node": {"id": NEWER[1]}}]},
    ]


async def test_a_failing_page_nulls_its_connection_and_spares_the_siblings(
    user: GraphQLClient, upstream: Upstream
) -> None:
    siblings = "id favorites(mediaType: MOVIE) { results { id } }"
    assert (await user.query(f"{{ account {{ {siblings} }} }}")).errors == []
    upstream.faults.status = 500  # page 1 is cached; page 2 fails
    result = await user.query(
        f"""{{ account {{ {siblings}
          favoritesConnection(mediaType: MOVIE, first: 30) {{ totalCount }} }} }}"""
    )
    account = result.data["account"]
    assert account["favoritesConnection"] is None
    assert account["id"] == USER.id
    assert len(account["favorites"]["results"]) == 20
    assert result.codes == ["UPSTREAM_ERROR"]
    assert result.error_at("account", "favoritesConnection")


async def test_an_empty_first_page_of_a_list_with_items_is_an_upstream_error(
    user: GraphQLClient, upstream: Upstream
) -> None:
    assert (await user.query("{ account { id } }")).errors == []
    upstream.faults.body = (
        '{"page": 1, "results": [], "total_pages": 1, "total_results": 5}'
    )
    result = await user.query(CONNECTION)
    assert result.data == {"account": {"favoritesConnection": None}}
    assert result.codes == ["UPSTREAM_ERROR"]


async def test_stale_pages_are_marked_on_the_connection(
    upstream: Upstream, cache_url: str | None, client_for: Callable[..., GraphQLClient]
) -> None:
    settings = Settings(
        upstream_url=upstream.url,
        cache_url=cache_url,
        list_ttl=0,
        stale_ttl=300,
        upstream_timeout=0.5,
    )
    async with running_gateway(settings) as server:
        client = client_for(server, USER_HEADERS)
        fresh = await client.query(CONNECTION, {"first": 30})
        upstream.faults.status = 503
        stale = await client.query(CONNECTION, {"first": 30})
    assert fresh.errors == [] and fresh.extensions == {}
    assert stale.errors == []
    assert stale.data == fresh.data
    [mark] = stale.extensions["stale"]
    assert mark["path"] == ["account", "favoritesConnection"]
    assert 0 <= mark["ageSeconds"] < 300


BAD_ARGUMENTS = [
    ({"first": 101}, "first"),
    ({"last": 101}, "last"),
    ({"first": -1}, "first"),
    ({"last": -1}, "last"),
    ({"first": 5, "last": 5}, "last"),
    ({"after": "not-a-cursor"}, "after"),
    ({"before": ""}, "before"),
    ({"language": "english"}, "language"),
]


async def test_bad_arguments_are_refused_before_upstream(
    user: GraphQLClient, upstream: Upstream
) -> None:
    await user.query("{ account { id } }")
    before = upstream.calls.total()
    for variables, argument in BAD_ARGUMENTS:
        result = await user.query(CONNECTION, variables)
        assert result.data == {"account": {"favoritesConnection": None}}, variables
        assert result.codes == ["BAD_USER_INPUT"], variables
        assert result.errors[0]["extensions"]["argument"] == argument
    assert upstream.calls.total() == before


OTHER_LISTS = {
    "another order": "favoritesConnection(mediaType: MOVIE, sortBy: CREATED_AT_ASC)",
    "another media type": "favoritesConnection(mediaType: TV)",
    "another list": "watchlistConnection(mediaType: MOVIE)",
}


@pytest.mark.parametrize("origin", OTHER_LISTS)
async def test_a_cursor_of_another_list_kind_or_order_is_refused(
    user: GraphQLClient, upstream: Upstream, origin: str
) -> None:
    other = await user.query(
        f"{{ account {{ found: {OTHER_LISTS[origin]} {{ edges {{ cursor }} }} }} }}"
    )
    cursor = other.data["account"]["found"]["edges"][0]["cursor"]
    before = upstream.calls.total()
    for name in ("after", "before"):
        result = await user.query(CONNECTION, {"last": 1, name: cursor})
        assert result.data == {"account": {"favoritesConnection": None}}
        assert result.codes == ["BAD_USER_INPUT"]
        assert "another list, media type or order" in result.errors[0]["message"]
    assert upstream.calls.total() == before


async def test_a_cursor_stays_valid_in_another_language(user: GraphQLClient) -> None:
    every = await cursors(user)
    found = connection(
        await user.query(CONNECTION, {"first": 2, "after": every[1], "language": "fr"})
    )
    assert ids(found) == FAVORITES[::-1][2:4]


@pytest.fixture(scope="session")
def node() -> str:
    """`node`, with tests/apollo_client's npm dependencies installed."""
    return node_with_packages(APOLLO_CLIENT)


async def run_apollo_client(node: str, config: dict[str, Any]) -> dict[str, Any]:
    """The outcome that pagination.mjs prints for `config`."""
    returncode, out, err = await run_node(
        node, APOLLO_CLIENT / "pagination.mjs", json.dumps(config), limit=NODE_TIMEOUT
    )
    assert returncode == 0, err.decode()
    outcome: dict[str, Any] = json.loads(out)
    return outcome


@MEMORY_ONLY  # Apollo Client's merging, not the cache, is under test here
@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("size", [7, 20])
async def test_apollo_client_pages_through_the_whole_list_with_fetch_more(
    node: str, gateway: RunningServer, direction: str, size: int
) -> None:
    outcome = await run_apollo_client(
        node,
        {
            "check": "walk",
            "url": f"{gateway.url}/graphql",
            "token": USER.token,
            "field": "favoritesConnection",
            "mediaType": "MOVIE",
            "sortBy": "CREATED_AT_DESC",
            "direction": direction,
            "pageSize": size,
            "maxFetches": len(FAVORITES),
        },
    )
    # Every item once, in order, merged by relayStylePagination from every page.
    assert outcome["ids"] == FAVORITES[::-1]
    assert outcome["totalCount"] == len(FAVORITES)
    assert outcome["pageInfo"]["hasNextPage"] is False
    assert outcome["pageInfo"]["hasPreviousPage"] is False
    pages = math.ceil(len(FAVORITES) / size)
    assert outcome["fetchMoreCalls"] == pages - 1
    assert outcome["requests"] == pages

"""Whole responses kept for repeated queries: reused only while provably current."""

import asyncio
from collections.abc import Callable
from dataclasses import replace

import aiohttp
import orjson
import pytest

from gateway.accounts.service import Generations
from gateway.settings import Settings
from gateway.transport.responses import (
    RequestKey,
    ResponseCache,
    json_object,
    request_key,
)
from harness.servers import RunningServer
from tests.conftest import ALICE, Upstream, metric, running_gateway
from tests.graphql_client import GraphQLClient

LISTS = """query Lists($kind: MediaType!) { account { id
  favorites(mediaType: $kind) { results { id } }
  watchlist(mediaType: TV) { results { id } } } }"""
ADD_FAVORITE = """mutation { setFavorite(mediaType: MOVIE, mediaId: 603, favorite: true)
  { favorite } }"""
SIX_LISTS = (
    "{ account { "
    + " ".join(
        f"{name}{kind}: {name}(mediaType: {kind}) {{ totalResults results {{ id }} }}"
        for name in ("favorites", "watchlist", "rated")
        for kind in ("MOVIE", "TV")
    )
    + " } }"
)
SHAPES = {
    "no-list": "{ account { id } }",
    "introspection": "{ __schema { queryType { name } } }",
    "sdl": "{ _service { sdl } }",
    "one-list": "{ account { favorites(mediaType: MOVIE) { results { id } } } }",
    "six-lists": SIX_LISTS,
}
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def reused(http: aiohttp.ClientSession, gateway: RunningServer) -> float:
    return await metric(http, gateway, "gateway_responses_reused_total")


NAMES = ("gateway_responses_reused_total", "gateway_responses_shared_total")
REQUESTS = "gateway_graphql_requests_total"
LISTS_OK = {"operation": "anonymous", "outcome": "ok"}  # no operationName sent


def favorite_ids(data: dict) -> set[int]:
    return {item["id"] for item in data["account"]["favorites"]["results"]}


async def test_a_repeated_query_is_answered_without_executing_it(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    alice: GraphQLClient,
    upstream: Upstream,
) -> None:
    first = await alice.query(LISTS, {"kind": "MOVIE"})
    calls = upstream.calls.total()
    for _ in range(3):
        again = await alice.query(LISTS, {"kind": "MOVIE"})
        assert (again.data, again.errors) == (first.data, [])
    assert await reused(http, gateway) == 3
    assert upstream.calls.total() == calls
    other = await alice.query(LISTS, {"kind": "TV"})  # other variables: executed
    assert favorite_ids(other.data) == {1396}
    assert await reused(http, gateway) == 3


@pytest.mark.parametrize("query", SHAPES.values(), ids=SHAPES.keys())
async def test_queries_of_every_shape_sent_repeatedly_are_reused(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    upstream: Upstream,
    query: str,
) -> None:
    """With no list (so depending on no generation; nor do introspection and the
    federation SDL), one list, or all six."""
    first = await post(http, gateway, query)
    calls = upstream.calls.total()
    for _ in range(4):
        assert await post(http, gateway, query) == first
    assert first[:2] == (200, "application/json")
    assert "errors" not in first[2] and first[2]["data"]
    assert upstream.calls.total() == calls
    assert await reused(http, gateway) == 4


async def test_a_kept_response_is_served_in_the_media_type_asked_for(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    query = SHAPES["one-list"]
    first = await post(http, gateway, query, accept=GRAPHQL_RESPONSE)
    again = await post(http, gateway, query, accept=GRAPHQL_RESPONSE)
    legacy = await post(http, gateway, query, accept="application/json")
    assert [first[1], again[1], legacy[1]] == [GRAPHQL_RESPONSE] * 2 + [
        "application/json"
    ]
    assert first[2] == again[2] == legacy[2]
    assert await reused(http, gateway) == 2


async def post(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    query: str,
    accept: str = "application/json",
) -> tuple[int, str, dict]:
    """As alice: the status, media type and decoded body, whatever they are."""
    async with http.post(
        f"{gateway.url}/graphql",
        json={"query": query},
        headers={**ALICE, "Accept": accept},
    ) as response:
        body = await response.read()
        decoded = orjson.loads(body) if response.status == 200 else {"raw": body}
        return response.status, response.content_type, decoded


async def test_a_kept_response_is_never_served_to_other_credentials(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    alice: GraphQLClient,
    bob: GraphQLClient,
) -> None:
    await alice.query(LISTS, {"kind": "MOVIE"})
    await alice.query(LISTS, {"kind": "MOVIE"})
    result = await bob.query(LISTS, {"kind": "MOVIE"})
    assert result.data["account"]["id"] == 67890
    assert favorite_ids(result.data) == set()  # bob has none; alice has three
    assert await reused(http, gateway) == 1


async def test_the_callers_own_write_makes_the_kept_response_unusable(
    http: aiohttp.ClientSession, gateway: RunningServer, alice: GraphQLClient
) -> None:
    before = await alice.query(LISTS, {"kind": "MOVIE"})
    assert 603 not in favorite_ids(before.data)
    assert (await alice.query(ADD_FAVORITE)).errors == []
    after = await alice.query(LISTS, {"kind": "MOVIE"})
    assert favorite_ids(after.data) == favorite_ids(before.data) | {603}
    assert await reused(http, gateway) == 0


async def test_a_response_with_stale_lists_is_not_kept(
    http: aiohttp.ClientSession,
    settings: Settings,
    upstream: Upstream,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
) -> None:
    list_ttl = 0.05
    settings = replace(settings, list_ttl=list_ttl, upstream_retries=0)
    async with running_gateway(settings) as gateway:
        alice = client_for(gateway, ALICE)
        await alice.query(LISTS, {"kind": "MOVIE"})
        await asyncio.sleep(2 * list_ttl)  # the lists' freshness lapsing is the point
        upstream.faults.status = 503
        for _ in range(3):  # each within the list TTL a kept response would have
            stale = await alice.query(LISTS, {"kind": "MOVIE"})
            assert "stale" in stale.extensions, (stale.data, stale.errors)
        assert await reused(http, gateway) == 0


async def test_response_cache_bytes_zero_turns_reuse_off(
    http: aiohttp.ClientSession,
    settings: Settings,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
) -> None:
    settings = replace(settings, response_cache_bytes=0)
    async with running_gateway(settings) as gateway:
        alice = client_for(gateway, ALICE)
        for _ in range(3):
            assert (await alice.query(LISTS, {"kind": "MOVIE"})).errors == []
        assert await reused(http, gateway) == 0


NONE = Generations()  # a response that read no list


def key(n: int) -> RequestKey:
    return RequestKey("fingerprint", f"query{n}", None, b"{}")


def test_kept_responses_are_bounded_in_bytes_least_recently_used_first() -> None:
    responses = ResponseCache(max_bytes=250)
    for n in range(3):
        responses.put(key(n), b"x" * 100, NONE, ttl=60)
    assert len(responses) == 2 and responses.get(key(0)) is None
    assert responses.get(key(1)) is not None  # now the most recently used
    responses.put(key(3), b"y" * 100, NONE, ttl=60)
    assert responses.get(key(2)) is None and responses.get(key(1)) is not None
    responses.put(key(4), b"z" * 251, NONE, ttl=60)  # larger than the whole bound
    assert responses.get(key(4)) is None


def test_an_expired_response_is_gone() -> None:
    now = [100.0]
    responses = ResponseCache(max_bytes=1000, clock=lambda: now[0])
    responses.put(key(1), b"{}", NONE, ttl=10)
    now[0] = 109.9
    assert responses.get(key(1)) is not None
    now[0] = 110.0
    assert responses.get(key(1)) is None
    assert len(responses) == 0  # and forgotten


def test_a_response_without_a_ttl_is_not_kept() -> None:
    responses = ResponseCache(max_bytes=1000)
    responses.put(key(1), b"{}", NONE, ttl=0)
    responses.put(key(2), b"{}", NONE, ttl=-1)
    assert len(responses) == 0


def test_only_plain_single_queries_have_a_key() -> None:
    def key_of(body: bytes) -> RequestKey | None:
        return request_key(json_object(body), "f")

    assert key_of(b'{"query": "{ a }"}') == RequestKey("f", "{ a }", None, b"{}")
    same = key_of(b'{"query": "q", "variables": {"b": 1, "a": 2}}')
    swapped = key_of(b'{"variables": {"a": 2, "b": 1}, "query": "q"}')
    assert same == swapped
    for body in (b"[]", b"{", b'{"query": 1}', b'{"query": "q", "variables": []}'):
        assert key_of(body) is None
    for body in (b"\xff\xfe", b'"q"', b"null", b"[{}]"):
        assert json_object(body) is None


@pytest.mark.parametrize("list_ttl", [60.0, 0.0])
async def test_identical_requests_in_flight_share_one_execution(
    http: aiohttp.ClientSession,
    settings: Settings,
    upstream: Upstream,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
    list_ttl: float,
) -> None:
    """After a write (kept response outdated), or with list caching off."""
    settings = replace(settings, list_ttl=list_ttl)
    async with running_gateway(settings) as gateway:
        alice = client_for(gateway, ALICE)
        await alice.query(LISTS, {"kind": "MOVIE"})
        assert (await alice.query(ADD_FAVORITE)).errors == []
        before = [await metric(http, gateway, name) for name in NAMES]
        counted = await metric(http, gateway, REQUESTS, **LISTS_OK)
        upstream.faults.delay = 0.3  # so that all twenty are in flight together
        results = await asyncio.gather(
            *(alice.query(LISTS, {"kind": "MOVIE"}) for _ in range(20))
        )
        assert all(603 in favorite_ids(result.data) for result in results)
        after = [await metric(http, gateway, name) for name in NAMES]
        assert sum(after) - sum(before) == 19  # reused or shared: one executed
        # Each is counted under its operation, whether executed, shared or reused.
        assert await metric(http, gateway, REQUESTS, **LISTS_OK) == counted + 20

"""HTTP caching of GET queries, on both cache backends: `Cache-Control` no longer
than the data may be served, `Vary` on the credentials, and `304 Not Modified`
on the `ETag` while the data are unchanged, never across callers nor after the
caller's own write. Everything else is `no-store`."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import orjson
import pytest
from multidict import CIMultiDict
from redis.asyncio import Redis

from gateway.settings import Settings
from harness.servers import RunningServer
from tests.conftest import ALICE, BOB, running_gateway, side_connection
from tests.graphql_client import GraphQLClient

ACCOUNT = "{ account { id } }"
FAVORITES = "{ account { favorites(mediaType: MOVIE) { results { id } } } }"
SET_FAVORITE = """mutation ($on: Boolean!) {
  setFavorite(mediaType: MOVIE, mediaId: 603, favorite: $on) { favorite } }"""
PREFLIGHT = {"apollo-require-preflight": "true"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # names in any case
    body: bytes


async def get(
    http: aiohttp.ClientSession,
    server: RunningServer,
    query: str,
    headers: dict[str, str],
    etag: str | None = None,
) -> Answer:
    conditional = {} if etag is None else {"If-None-Match": etag}
    async with http.get(
        f"{server.url}/graphql",
        params={"query": query},
        headers={**PREFLIGHT, **headers, **conditional},
    ) as response:
        return Answer(
            response.status, CIMultiDict(response.headers), await response.read()
        )


async def test_a_get_query_may_be_kept_privately_for_its_shortest_ttl(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    async with running_gateway(replace(settings, list_ttl=10)) as gateway:
        account = await get(http, gateway, ACCOUNT, ALICE)
        lists = await get(http, gateway, FAVORITES, ALICE)
    # The account mapping's TTL (30 s) alone, then the shorter list TTL.
    assert account.headers["Cache-Control"] == "private, max-age=30"
    assert lists.headers["Cache-Control"] == "private, max-age=10"
    vary = {name.strip() for name in lists.headers["Vary"].split(",")}
    assert {"Accept", "Authorization", "Cookie"} <= vary
    assert lists.headers["ETag"].startswith('"')


@pytest.mark.parametrize("cache_backend", ["redis"])  # aged from outside: Redis
async def test_max_age_is_what_remains_of_the_ttl_of_cached_data(
    http: aiohttp.ClientSession, gateway: RunningServer, cache_url: str
) -> None:
    fresh = await get(http, gateway, FAVORITES, ALICE)
    assert fresh.headers["Cache-Control"] == "private, max-age=30"
    async with side_connection(cache_url) as redis:
        await age_every_entry(redis, seconds=25)
    aged = await get(http, gateway, FAVORITES, ALICE)
    # The account mapping has 5 of its 30 s left (the list 35 of its 60).
    max_age = int(aged.headers["Cache-Control"].removeprefix("private, max-age="))
    assert 0 < max_age <= 5
    assert aged.body == fresh.body


async def age_every_entry(redis: Redis, *, seconds: float) -> None:
    """Make every stored value (account, pages) `seconds` older than it is."""
    async for key in redis.scan_iter():
        stored = orjson.loads(await redis.get(key))
        if isinstance(stored, dict) and "at" in stored:
            stored["at"] -= seconds
            await redis.set(key, orjson.dumps(stored), keepttl=True)


async def test_an_unchanged_answer_is_not_modified_on_its_etag(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    first = await get(http, gateway, FAVORITES, ALICE)
    again = await get(http, gateway, FAVORITES, ALICE, first.headers["ETag"])
    assert (again.status, again.body) == (304, b"")
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"].startswith("private, max-age=")
    weak = await get(http, gateway, FAVORITES, ALICE, f"W/{first.headers['ETag']}")
    assert weak.status == 304


async def test_no_304_after_the_callers_own_write(
    http: aiohttp.ClientSession, gateway: RunningServer, alice: GraphQLClient
) -> None:
    first = await get(http, gateway, FAVORITES, ALICE)
    for on in (True, False):  # the list ends as it was, but was written to
        assert (await alice.query(SET_FAVORITE, {"on": on})).errors == []
    after = await get(http, gateway, FAVORITES, ALICE, first.headers["ETag"])
    assert after.status == 200
    assert after.body == first.body
    assert after.headers["ETag"] != first.headers["ETag"]


async def test_no_304_across_callers(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    same_for_all = "{ __typename }"
    alices = await get(http, gateway, same_for_all, ALICE)
    bobs = await get(http, gateway, same_for_all, BOB, alices.headers["ETag"])
    assert (bobs.status, bobs.body) == (200, alices.body)
    assert bobs.headers["ETag"] != alices.headers["ETag"]


async def test_posts_mutations_and_errors_are_never_kept(
    http: aiohttp.ClientSession, gateway: RunningServer, alice: GraphQLClient
) -> None:
    answers: list[tuple[str, Any]] = []
    async with http.post(
        f"{gateway.url}/graphql", json={"query": ACCOUNT}, headers=ALICE
    ) as response:
        answers.append(("POST query", response.headers))
    async with http.post(
        f"{gateway.url}/graphql",
        json={"query": SET_FAVORITE, "variables": {"on": True}},
        headers=ALICE,
    ) as response:
        answers.append(("mutation", response.headers))
    unauthenticated = await get(http, gateway, ACCOUNT, {})
    assert b"UNAUTHENTICATED" in unauthenticated.body
    answers.append(("error", unauthenticated.headers))
    mutation_by_get = await get(http, gateway, SET_FAVORITE, ALICE)
    assert mutation_by_get.status == 400
    answers.append(("GET mutation", mutation_by_get.headers))
    for what, headers in answers:
        assert headers["Cache-Control"] == "no-store", what
        assert "ETag" not in headers, what

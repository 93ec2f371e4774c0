"""DESIGN.md invariants 1 and 2: nobody sees another's data or reads a stale list."""

import asyncio
import random
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import aiohttp
import pytest
import redis.asyncio
from multidict import CIMultiDict
from redis.crc import key_slot

from gateway.reference_api import ALICE, BOB
from gateway.settings import Settings
from harness.servers import RunningServer
from tests.conftest import ALICE as ALICE_HEADERS
from tests.conftest import BOB as BOB_HEADERS
from tests.conftest import Upstream, running_gateway
from tests.graphql_client import GraphQLClient

LISTS = """{ account { id username
  favorites(mediaType: MOVIE) { results { id } }
  watchlist(mediaType: TV) { results { id } }
  rated(mediaType: MOVIE) { results { id rating } } } }"""
SET_FAVORITE = """mutation ($id: Int!, $on: Boolean!) {
  setFavorite(mediaType: MOVIE, mediaId: $id, favorite: $on) { favorite } }"""
FAVORITES = "{ account { favorites(mediaType: MOVIE) { results { id } } } }"
BOB_FAVORITES = [238, 278]


async def give_bob_favorites(bob: GraphQLClient) -> None:
    for media_id in BOB_FAVORITES:
        await bob.query(SET_FAVORITE, {"id": media_id, "on": True})


def assert_own(result_data: dict, account_id: int, favorites: set[int]) -> None:
    account = result_data["account"]
    assert account["id"] == account_id
    assert {item["id"] for item in account["favorites"]["results"]} == favorites


async def test_interleaved_users_only_see_their_own_lists(
    settings: Settings, upstream: Upstream, client_for: Callable[..., GraphQLClient]
) -> None:
    # It counts upstream reads, not retries: on a loaded machine an answer slower
    # than the attempt timeout would be asked for again.
    async with running_gateway(replace(settings, upstream_retries=0)) as server:
        alice, bob = client_for(server, ALICE_HEADERS), client_for(server, BOB_HEADERS)
        await give_bob_favorites(bob)
        callers = [
            (alice, ALICE.id, {550, 680, 13}),
            (bob, BOB.id, set(BOB_FAVORITES)),
        ] * 60
        random.Random(7).shuffle(callers)
        results = await asyncio.gather(
            *(client.query(LISTS) for client, _, _ in callers)
        )
    for (_, account_id, favorites), result in zip(callers, results, strict=True):
        assert result.errors == []
        assert_own(result.data, account_id, favorites)
    # One upstream read per (account, list) served all 120 queries (single flight).
    assert upstream.calls.count("GET /account/{account_id}/{list}/{media}") == 6


async def test_one_callers_credentials_never_stick_to_the_next(
    settings: Settings, upstream: Upstream, client_for: Callable[..., GraphQLClient]
) -> None:
    """A cookie upstream sets for one caller must not reach another caller's request.

    aiohttp's default jar ignores cookies of IP hosts, so this goes through a
    hostname: against 127.0.0.1 the test could not fail.
    """
    by_name = upstream.url.replace("127.0.0.1", "localhost")
    settings = replace(settings, upstream_url=by_name)
    async with running_gateway(settings) as server:
        alice = client_for(server, ALICE_HEADERS)
        upstream.faults.headers = {"Set-Cookie": f"session_id={ALICE.token}; Path=/"}
        assert (await alice.query("{ account { id } }")).errors == []
        upstream.faults.headers = {}
        stranger = alice.as_caller({"Cookie": "session_id=nobody"})
        result = await stranger.query("{ account { id } }")
    assert result.data == {"account": None}
    assert result.codes == ["UNAUTHENTICATED"]


@pytest.fixture
async def replicas(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], redis_url: str
) -> AsyncIterator[tuple[GraphQLClient, GraphQLClient]]:
    """Alice on two gateways sharing one Redis: (writer, reader)."""
    settings = Settings(upstream_url=upstream.url, cache_url=redis_url)
    async with running_gateway(settings) as one, running_gateway(settings) as two:
        yield client_for(one, ALICE_HEADERS), client_for(two, ALICE_HEADERS)


async def test_read_your_writes_across_replicas_sharing_redis(
    replicas: tuple[GraphQLClient, GraphQLClient],
) -> None:
    writer, reader = replicas
    expected = {550, 680, 13}
    assert_own((await reader.query(LISTS)).data, ALICE.id, expected)
    for step, media_id in enumerate([603, 550, 603, 105, 680] * 3):
        adding = step % 2 == 0
        await writer.query(SET_FAVORITE, {"id": media_id, "on": adding})
        expected = expected | {media_id} if adding else expected - {media_id}
        assert_own((await reader.query(LISTS)).data, ALICE.id, expected)
        assert_own((await writer.query(LISTS)).data, ALICE.id, expected)


async def test_reads_racing_a_write_end_fresh(
    replicas: tuple[GraphQLClient, GraphQLClient],
) -> None:
    """Reads racing a write may see either state; every read after it sees the new."""
    writer, reader = replicas
    for round_number in range(10):
        adding = round_number % 2 == 0
        racing = [reader.query(FAVORITES) for _ in range(10)]
        write = writer.query(SET_FAVORITE, {"id": 603, "on": adding})
        await asyncio.gather(write, *racing)
        after = await reader.query(FAVORITES)
        ids = {item["id"] for item in after.data["account"]["favorites"]["results"]}
        assert (603 in ids) is adding


async def test_ids_from_the_client_never_choose_the_account(
    alice: GraphQLClient, http: aiohttp.ClientSession
) -> None:
    query = """query {
      _entities(representations: [{__typename: "Account", id: 67890}]) {
      ... on Account { id favorites(mediaType: MOVIE) { results { id } } } } }"""
    result = await alice.query(query)
    assert result.errors == []  # null by the contract, not by a failure
    assert result.data == {"_entities": [None]}


async def test_redis_never_holds_credentials_in_clear(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], redis_url: str
) -> None:
    settings = Settings(upstream_url=upstream.url, cache_url=redis_url)
    async with running_gateway(settings) as server:
        assert (await client_for(server, ALICE_HEADERS).query(LISTS)).errors == []
    raw = redis.asyncio.from_url(redis_url)
    try:
        keys = await raw.keys("*")
        values = [await raw.get(key) for key in keys]
    finally:
        await raw.aclose()
    assert any(key.split(b":")[2] == b"account" for key in keys)  # ns:epoch:key
    assert len(keys) > 3
    stored = b" ".join(keys + values)
    assert ALICE.token.encode() not in stored
    assert b"Bearer" not in stored


async def test_the_keys_of_an_accounts_lists_share_one_cluster_slot(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], redis_url: str
) -> None:
    """Generations and pages of one account carry its hash tag, so reading all its
    generations at once would stay on one Redis Cluster node."""
    settings = Settings(upstream_url=upstream.url, cache_url=redis_url)
    async with running_gateway(settings) as server:
        assert (await client_for(server, ALICE_HEADERS).query(LISTS)).errors == []
    raw = redis.asyncio.from_url(redis_url)
    try:
        keys = [key for key in await raw.keys("*") if b":account:" not in key]
    finally:
        await raw.aclose()
    assert len(keys) == 6  # three generations and three pages
    assert all(f"{{a:{ALICE.id}}}".encode() in key for key in keys)
    assert len({key_slot(key) for key in keys}) == 1


async def test_a_repeated_credential_header_counts_as_its_first_value(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    # Each order twice: the second answer is a kept response, which must be the
    # first value's too, never the other caller's.
    for first, second, account_id in (
        (ALICE_HEADERS, BOB_HEADERS, ALICE.id),
        (BOB_HEADERS, ALICE_HEADERS, BOB.id),
    ) * 2:
        headers = CIMultiDict([*first.items(), *second.items()])
        async with http.post(
            f"{gateway.url}/graphql",
            json={"query": "{ account { id } }"},
            headers=headers,
        ) as response:
            body = await response.json()
        assert body == {"data": {"account": {"id": account_id}}}


async def test_list_keys_are_spelled_as_older_replicas_spell_them(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], redis_url: str
) -> None:
    """Replicas of different versions share one Redis: were a generation's or a
    page's key spelled otherwise, each would miss what the others stored, and
    miss their writes' invalidations."""
    settings = Settings(upstream_url=upstream.url, cache_url=redis_url)
    async with running_gateway(settings) as server:
        assert (await client_for(server, ALICE_HEADERS).query(LISTS)).errors == []
    raw = redis.asyncio.from_url(redis_url)
    try:
        keys = [key.decode() for key in await raw.keys("*") if b":account:" not in key]
    finally:
        await raw.aclose()
    # namespace:epoch:key, a page's generation in the middle of its key
    head = r"^[^:]+:[0-9a-f]+:"
    generation = r"(list:\{a:\d+\}:[a-z]+:[a-z]+):\d+:"
    spelled = {re.sub(generation, r"\1:GEN:", re.sub(head, "", key)) for key in keys}
    assert spelled == {
        f"gen:{{a:{ALICE.id}}}:favorites:movie",
        f"gen:{{a:{ALICE.id}}}:watchlist:tv",
        f"gen:{{a:{ALICE.id}}}:rated:movie",
        f"list:{{a:{ALICE.id}}}:favorites:movie:GEN:1:en-US:created_at.desc",
        f"list:{{a:{ALICE.id}}}:watchlist:tv:GEN:1:en-US:created_at.desc",
        f"list:{{a:{ALICE.id}}}:rated:movie:GEN:1:en-US:created_at.desc",
    }

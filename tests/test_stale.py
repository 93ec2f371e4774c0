"""Stale-if-error: a list page of the caller's own, served when upstream fails."""

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from gateway.settings import Settings
from harness.servers import RunningServer
from tests.conftest import ALICE, BOB, Upstream, running_gateway
from tests.graphql_client import GraphQLClient, Result

LISTS = """{ account { id
  favs: favorites(mediaType: MOVIE) { results { id } }
  watchlist(mediaType: TV) { results { id } } } }"""
FAVORITES = "{ account { favorites(mediaType: MOVIE) { results { id } } } }"
SET_FAVORITE = (
    "mutation { setFavorite(mediaType: MOVIE, mediaId: 603, favorite: true) "
    "{ favorite } }"
)
STALE_TTL = 300.0


def stale_settings(settings: Settings, **overrides: float) -> Settings:
    """Lists never fresh (list TTL 0), so each read asks upstream; kept for stale."""
    options = {"list_ttl": 0.0, "stale_ttl": STALE_TTL, "upstream_timeout": 0.5}
    options.update(overrides)
    return replace(settings, **options)


@pytest.fixture
async def stale_gateway(settings: Settings) -> AsyncIterator[RunningServer]:
    async with running_gateway(stale_settings(settings)) as server:
        yield server


@pytest.fixture
def alice_stale(
    stale_gateway: RunningServer, client_for: Callable[..., GraphQLClient]
) -> GraphQLClient:
    return client_for(stale_gateway, ALICE)


def assert_not_served_stale(result: Result) -> None:
    """The list is an error, as it would be with no stale copy at all."""
    assert result.data == {"account": {"favorites": None}}
    assert result.codes == ["UPSTREAM_ERROR"]
    assert result.extensions == {}


def break_upstream(upstream: Upstream, failure: str) -> None:
    if failure == "timeout":
        upstream.faults.delay = 5.0
    else:
        upstream.faults.status = int(failure)


@pytest.mark.parametrize("failure", ["503", "500", "429", "timeout"])
async def test_a_stale_list_is_served_when_upstream_fails(
    alice_stale: GraphQLClient, upstream: Upstream, failure: str
) -> None:
    fresh = await alice_stale.query(LISTS)
    assert fresh.errors == [] and fresh.extensions == {}
    break_upstream(upstream, failure)
    stale = await alice_stale.query(LISTS)
    assert stale.errors == []
    assert stale.data == fresh.data
    marks = sorted(stale.extensions["stale"], key=lambda mark: mark["path"])
    assert [mark["path"] for mark in marks] == [
        ["account", "favs"],
        ["account", "watchlist"],
    ]
    assert all(0 <= mark["ageSeconds"] < STALE_TTL for mark in marks)


async def test_stale_fields_reach_graphql_response_json_clients(
    alice_stale: GraphQLClient,
    upstream: Upstream,
    stale_gateway: RunningServer,
    http: aiohttp.ClientSession,
) -> None:
    await alice_stale.query(FAVORITES)
    upstream.faults.status = 503
    async with http.post(
        f"{stale_gateway.url}/graphql",
        json={"query": FAVORITES},
        headers={**ALICE, "Accept": "application/graphql-response+json"},
    ) as response:
        assert response.content_type == "application/graphql-response+json"
        body = await response.json(content_type=None)
    assert "errors" not in body
    [mark] = body["extensions"]["stale"]
    assert mark["path"] == ["account", "favorites"]


@pytest.mark.parametrize(
    ("status", "code"), [(404, "NOT_FOUND"), (401, "UNAUTHENTICATED")]
)
async def test_client_errors_are_never_answered_from_stale(
    alice_stale: GraphQLClient, upstream: Upstream, status: int, code: str
) -> None:
    await alice_stale.query(FAVORITES)
    upstream.faults.status = status
    result = await alice_stale.query(FAVORITES)
    assert result.extensions == {}
    assert result.data == {"account": {"favorites": None}}
    assert result.codes == [code]


async def test_a_stale_list_is_never_served_to_another_account(
    stale_gateway: RunningServer,
    upstream: Upstream,
    client_for: Callable[..., GraphQLClient],
) -> None:
    alice, bob = client_for(stale_gateway, ALICE), client_for(stale_gateway, BOB)
    assert (await alice.query(FAVORITES)).errors == []
    assert (await bob.query("{ account { id } }")).errors == []  # account cached
    upstream.faults.status = 503
    result = await bob.query(FAVORITES)
    assert_not_served_stale(result)


async def test_a_stale_list_is_never_served_after_the_accounts_own_write(
    alice_stale: GraphQLClient, upstream: Upstream
) -> None:
    before = await alice_stale.query(FAVORITES)
    assert before.errors == []
    assert (await alice_stale.query(SET_FAVORITE)).errors == []
    upstream.faults.status = 503
    result = await alice_stale.query(FAVORITES)
    assert_not_served_stale(result)


async def test_stale_ttl_zero_serves_errors(
    settings: Settings, upstream: Upstream, client_for: Callable[..., GraphQLClient]
) -> None:
    async with running_gateway(stale_settings(settings, stale_ttl=0)) as server:
        alice = client_for(server, ALICE)
        assert (await alice.query(FAVORITES)).errors == []
        upstream.faults.status = 503
        result = await alice.query(FAVORITES)
    assert result.data == {"account": {"favorites": None}}
    assert result.codes == ["UPSTREAM_ERROR"]


async def test_mutations_are_never_answered_from_stale(
    alice_stale: GraphQLClient, upstream: Upstream
) -> None:
    await alice_stale.query(FAVORITES)
    upstream.faults.status = 503
    result = await alice_stale.query(SET_FAVORITE)
    assert result.data is None
    assert result.codes == ["UPSTREAM_ERROR"]
    assert result.extensions == {}


async def test_stale_serves_are_counted(
    alice_stale: GraphQLClient,
    upstream: Upstream,
    stale_gateway: RunningServer,
    http: aiohttp.ClientSession,
) -> None:
    await alice_stale.query(FAVORITES)
    upstream.faults.status = 503
    await alice_stale.query(FAVORITES)
    async with http.get(f"{stale_gateway.url}/metrics") as response:
        text = await response.text()
    assert 'gateway_cache_events_total{event="stale"} 1.0' in text


# --- the account: credentials → account, served stale within the same bound -------

ACCOUNT_READS = "GET /account"


def uncached_settings(settings: Settings, **more: Any) -> Settings:
    """Neither the account nor lists are ever fresh (TTL 0): every query asks
    upstream, and what it answered is kept only to be served stale."""
    options = {"account_ttl": 0.0, "list_ttl": 0.0, "stale_ttl": STALE_TTL}
    options |= {"upstream_timeout": 0.5}
    return replace(settings, **(options | more))


def stale_paths(result: Result) -> list[list[str]]:
    return sorted(mark["path"] for mark in result.extensions.get("stale", []))


@pytest.mark.parametrize("failure", ["503", "timeout"])
async def test_the_account_is_served_stale_past_its_ttl_when_upstream_fails(
    upstream: Upstream,
    client_for: Callable[..., GraphQLClient],
    settings: Settings,
    failure: str,
) -> None:
    async with running_gateway(uncached_settings(settings)) as server:
        alice = client_for(server, ALICE)
        fresh = await alice.query(LISTS)
        assert (await alice.query(LISTS)).data == fresh.data
        assert upstream.calls.count(ACCOUNT_READS) == 2  # past its TTL: asked again
        break_upstream(upstream, failure)
        stale = await alice.query(LISTS)
    assert stale.errors == []
    assert stale.data == fresh.data
    assert stale_paths(stale) == [
        ["account"],
        ["account", "favs"],
        ["account", "watchlist"],
    ]
    assert all(
        0 <= mark["ageSeconds"] < STALE_TTL for mark in stale.extensions["stale"]
    )


async def test_a_stale_account_is_only_ever_the_same_credentials(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], settings: Settings
) -> None:
    async with running_gateway(uncached_settings(settings)) as server:
        alice, bob = client_for(server, ALICE), client_for(server, BOB)
        assert (await alice.query(LISTS)).errors == []
        upstream.faults.status = 503
        result = await bob.query(LISTS)
    assert result.data == {"account": None}
    assert result.codes == ["UPSTREAM_ERROR"]
    assert result.extensions == {}


async def test_revoked_credentials_are_never_answered_with_a_stale_account(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], settings: Settings
) -> None:
    async with running_gateway(uncached_settings(settings)) as server:
        alice = client_for(server, ALICE)
        assert (await alice.query(LISTS)).errors == []
        upstream.faults.status = 401
        result = await alice.query(LISTS)
    assert result.data == {"account": None}
    assert result.codes == ["UNAUTHENTICATED"]
    assert result.extensions == {}


async def test_stale_ttl_zero_serves_no_stale_account(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], settings: Settings
) -> None:
    settings = uncached_settings(settings, stale_ttl=0.0)
    async with running_gateway(settings) as server:
        alice = client_for(server, ALICE)
        assert (await alice.query(LISTS)).errors == []
        upstream.faults.status = 503
        result = await alice.query(LISTS)
    assert result.data == {"account": None}
    assert result.codes == ["UPSTREAM_ERROR"]


async def test_while_the_breaker_is_open_stale_data_is_served_without_calling(
    upstream: Upstream, client_for: Callable[..., GraphQLClient], settings: Settings
) -> None:
    settings = uncached_settings(
        settings,
        upstream_retries=0,
        upstream_breaker_min_calls=3,
        upstream_breaker_open_time=60.0,
        upstream_breaker_max_open_time=60.0,
    )
    async with running_gateway(settings) as server:
        alice, bob = client_for(server, ALICE), client_for(server, BOB)
        fresh = await alice.query(LISTS)
        upstream.faults.status = 503
        assert (await alice.query(LISTS)).errors == []  # three failed attempts
        upstream.faults.clear()  # upstream answers again, but the breaker is open
        upstream.calls.reset()
        stale = await alice.query(LISTS)
        refused = await bob.query(LISTS)
        assert upstream.calls.total() == 0
    assert stale.errors == [] and stale.data == fresh.data
    assert stale_paths(stale) == [
        ["account"],
        ["account", "favs"],
        ["account", "watchlist"],
    ]
    assert refused.codes == ["UPSTREAM_UNAVAILABLE"]
    assert "will not call it again" in refused.errors[0]["message"]

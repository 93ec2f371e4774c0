"""A query repeated by the same credentials is answered alike every time, on both
cache backends, whether it reads no list, one, or all six."""

from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from gateway.settings import Settings
from harness.servers import RunningServer
from tests.conftest import ALICE, Upstream, metric, running_gateway
from tests.graphql_client import GraphQLClient

SIX_LISTS = """{ account {
  fm: favorites(mediaType: MOVIE) { results { id } }
  ft: favorites(mediaType: TV) { results { id } }
  wm: watchlist(mediaType: MOVIE) { results { id } }
  wt: watchlist(mediaType: TV) { results { id } }
  rm: rated(mediaType: MOVIE) { results { id } }
  rt: rated(mediaType: TV) { results { id } } } }"""
QUERIES = {
    "account": "{ account { id username } }",
    "introspection": "{ __schema { queryType { name } } }",
    "sdl": "{ _service { sdl } }",
    "one list": "{ account { favorites(mediaType: MOVIE) { results { id } } } }",
    "six lists": SIX_LISTS,
}


@pytest.fixture(params=["memory", "redis"])
async def gateway_on(
    request: pytest.FixtureRequest, upstream: Upstream
) -> AsyncIterator[RunningServer]:
    """The gateway on the memory cache, or on a Redis of its own."""
    url = None if request.param == "memory" else request.getfixturevalue("redis_url")
    async with running_gateway(Settings(upstream_url=upstream.url, cache_url=url)) as g:
        yield g


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
async def test_a_repeated_query_gets_the_same_answer(
    gateway_on: RunningServer,
    client_for: Callable[..., GraphQLClient],
    http: aiohttp.ClientSession,
    query: str,
) -> None:
    alice = client_for(gateway_on, ALICE)
    first = await alice.query(query)
    assert (first.status, first.errors) == (200, [])
    for _ in range(3):
        again = await alice.query(query)
        assert (again.status, again.data, again.errors) == (200, first.data, [])
    assert await metric(http, gateway_on, "gateway_responses_reused_total") == 3

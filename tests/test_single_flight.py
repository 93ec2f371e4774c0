"""Identical work in flight at the same moment runs once, unless switched off.

Two layers share, both switched by `single_flight`: the view lets identical
queries by the same credentials share one execution (`SharedExecutions`, counted
as `gateway_responses_shared_total`), and the accounts service lets identical
upstream loads share one request (`SingleFlight`), whichever queries need them.
Identical queries show the first (one execution); queries that differ only in an
alias, so that no two share an execution, show the second (one upstream call).
"""

import asyncio
from collections.abc import Callable
from dataclasses import replace

import aiohttp
import pytest

from gateway.settings import Settings
from harness.servers import RunningServer
from tests.conftest import ALICE, Upstream, metric, running_gateway
from tests.graphql_client import GraphQLClient

LIST_CALLS = "GET /account/{account_id}/{list}/{media}"
SHARED = "gateway_responses_shared_total"


def favorites(alias: str) -> str:
    return (
        f"{{ account {{ {alias}: favorites(mediaType: MOVIE) {{ totalResults }} }} }}"
    )


@pytest.mark.parametrize(
    ("single_flight", "identical", "list_calls", "shared"),
    [
        (True, True, 1, 99),
        (True, False, 1, 0),
        (False, True, 100, 0),
        (False, False, 100, 0),
    ],
    ids=["on-identical", "on-aliased", "off-identical", "off-aliased"],
)
async def test_concurrent_queries_of_one_uncached_list(
    http: aiohttp.ClientSession,
    settings: Settings,
    upstream: Upstream,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
    single_flight: bool,
    identical: bool,
    list_calls: int,
    shared: int,
) -> None:
    # Sharing, not deadlines, is tested: a hundred answers queued behind each other
    # in one loop must not time out and be retried.
    settings = replace(
        settings,
        list_ttl=0,
        single_flight=single_flight,
        upstream_timeout=10.0,
        upstream_attempt_timeout=0,
    )
    queries = [favorites("f" if identical else f"f{n}") for n in range(100)]
    async with running_gateway(settings) as gateway:
        alice = client_for(gateway, ALICE)
        # The account is cached and the list's generation seeded first: a request
        # arriving after a leader had seeded it would read other generations.
        assert (await alice.query(favorites("warm"))).errors == []
        calls = upstream.calls.count(LIST_CALLS)
        upstream.faults.delay = 0.3  # so that all hundred are in flight together
        results = await asyncio.gather(*(alice.query(query) for query in queries))
        assert await metric(http, gateway, SHARED) == shared
    assert all(result.errors == [] for result in results)
    assert upstream.calls.count(LIST_CALLS) - calls == list_calls

"""Identical work in flight at the same moment runs once, unless switched off."""

import asyncio
from collections.abc import Callable
from dataclasses import replace

import pytest

from gateway.settings import Settings
from harness.servers import RunningServer
from tests.conftest import ALICE, Upstream, running_gateway
from tests.graphql_client import GraphQLClient

FAVORITES = "{ account { favorites(mediaType: MOVIE) { results { id } } } }"
LIST_CALLS = "GET /account/{account_id}/{list}/{media}"


@pytest.mark.parametrize(("single_flight", "list_calls"), [(True, 1), (False, 100)])
async def test_concurrent_identical_cold_queries(
    settings: Settings,
    upstream: Upstream,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
    single_flight: bool,
    list_calls: int,
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
    async with running_gateway(settings) as gateway:
        alice = client_for(gateway, ALICE)
        assert (await alice.query("{ account { id } }")).errors == []
        upstream.faults.delay = 0.3  # so that all hundred are in flight together
        results = await asyncio.gather(*(alice.query(FAVORITES) for _ in range(100)))
    assert all(result.errors == [] for result in results)
    assert upstream.calls.count(LIST_CALLS) == list_calls

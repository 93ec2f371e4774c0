"""Fixtures: the reference REST API and the gateway, both real servers on loopback.

Every test that uses `settings` (or `gateway`, `alice`, `bob`) runs twice: on the
memory cache and on a real redis-server of its own (`cache_backend`). A module
where the cache plays no part opts out with `pytestmark = MEMORY_ONLY`.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import redis.asyncio
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway import reference_api
from gateway.app import create_app
from gateway.settings import Settings
from harness.redis_server import RedisServer, redis_server
from harness.servers import RunningServer, run_server
from tests.graphql_client import GraphQLClient

ALICE = {"Authorization": "Bearer alice-token"}
BOB = {"Authorization": "Bearer bob-token"}
CACHE_BACKENDS = ("memory", "redis")
#: For a module whose tests mean the same on either cache: run them once.
MEMORY_ONLY = pytest.mark.parametrize("cache_backend", ["memory"])


@dataclass
class Upstream:
    """The reference API as the tests see it: where it is, and its live controls."""

    server: RunningServer
    faults: reference_api.Faults
    calls: reference_api.Calls

    @property
    def url(self) -> str:
        return f"{self.server.url}/api"


@contextlib.asynccontextmanager
async def running_upstream(**options: Any) -> AsyncIterator[Upstream]:
    """A fresh reference API (in-memory database) on loopback."""
    faults, calls = reference_api.Faults(), reference_api.Calls()
    api = reference_api.create_app(faults=faults, calls=calls, **options)
    async with run_server(Starlette(routes=[Mount("/api", api)])) as server:
        yield Upstream(server, faults, calls)


@contextlib.asynccontextmanager
async def running_gateway(settings: Settings) -> AsyncIterator[RunningServer]:
    """The gateway app for `settings`, served on loopback."""
    async with run_server(create_app(settings)) as server:
        yield server


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with running_upstream() as running:
        yield running


@pytest.fixture(params=CACHE_BACKENDS)
def cache_backend(request: pytest.FixtureRequest) -> str:
    """The cache the gateway of `settings` runs on."""
    backend: str = request.param
    return backend


@pytest.fixture
def cache_url(cache_backend: str, request: pytest.FixtureRequest) -> str | None:
    """None for the memory cache, else the URL of a fresh redis-server."""
    if cache_backend == "memory":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def settings(upstream: Upstream, cache_url: str | None) -> Settings:
    """Settings for a gateway over `upstream` on `cache_backend`; tests vary them
    with `dataclasses.replace`.

    Upstream timeouts are short, for fault tests; the Redis one is long, so that a
    loaded machine does not pass for a Redis outage (which would serve from
    upstream for `cache_backoff` seconds). A stopped Redis still fails at once.
    An attempt may take the whole upstream timeout: with the default attempt
    timeout, an answer slowed past it by a loaded machine would be asked for
    again, and the many tests counting upstream calls would count it twice (a
    refused connection or a 5xx is still retried).
    """
    return Settings(
        upstream_url=upstream.url,
        upstream_timeout=2.0,
        upstream_attempt_timeout=0,
        cache_url=cache_url,
        cache_timeout=2.0,
    )


@pytest.fixture
async def gateway(settings: Settings) -> AsyncIterator[RunningServer]:
    async with running_gateway(settings) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


@pytest.fixture
def client_for(
    http: aiohttp.ClientSession,
) -> Callable[[RunningServer, dict[str, str]], GraphQLClient]:
    """A GraphQL client of a given gateway, as a given caller."""

    def make(server: RunningServer, headers: dict[str, str]) -> GraphQLClient:
        return GraphQLClient(http, f"{server.url}/graphql", headers)

    return make


@pytest.fixture
def alice(
    gateway: RunningServer, client_for: Callable[..., GraphQLClient]
) -> GraphQLClient:
    return client_for(gateway, ALICE)


@pytest.fixture
def bob(
    gateway: RunningServer, client_for: Callable[..., GraphQLClient]
) -> GraphQLClient:
    return client_for(gateway, BOB)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A fresh, empty redis-server of its own."""
    with redis_server() as server:
        yield server.url


@pytest.fixture
def restartable_redis() -> Iterator[RedisServer]:
    """A redis-server of its own that the test may stop and start again on the same
    port, keeping its data across (as with snapshots)."""
    with redis_server(persistent=True) as server:
        yield server


@contextlib.asynccontextmanager
async def side_connection(url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """A plain redis-py client of the test's own, beside the gateway's pool."""
    client = redis.asyncio.from_url(url)
    try:
        yield client
    finally:
        await client.aclose()


async def crash_and_restart(server: RedisServer, *, from_snapshot: bool) -> None:
    """Kill redis-server and start it again: from its last `SAVE`, or empty."""
    await asyncio.to_thread(server.kill)
    if not from_snapshot:
        server.erase()
    await asyncio.to_thread(server.start)


async def metric(
    http: aiohttp.ClientSession, server: RunningServer, name: str, **labels: str
) -> float:
    """The value of one sample at `/metrics` (0 if absent)."""
    async with http.get(f"{server.url}/metrics") as response:
        text = await response.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0

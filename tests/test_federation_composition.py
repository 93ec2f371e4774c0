"""Apollo Federation: our subgraph composes with another one and a router joins them.

A catalogue subgraph (tests/federation/federation.mjs) owns catalogue data about
movies and extends our `Movie` entity through `@key(fields: "id")` with `tagline`.
These tests run Apollo's own JavaScript tooling (pinned in
tests/federation/package.json) as subprocesses:

- compose.mjs composes schema.graphql with the catalogue subgraph;
- router.mjs serves the catalogue subgraph and an Apollo Gateway over both, which
  composes our live gateway's `_service { sdl }` and forwards `authorization`, so a
  query that starts at `account` reaches `Movie.tagline` through `_entities`.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from harness.servers import RunningServer
from tests.conftest import ALICE, MEMORY_ONLY
from tests.graphql_client import GraphQLClient
from tests.node_packages import node_env, node_with_packages, run_node, stop

ROOT = Path(__file__).resolve().parent.parent
FEDERATION = Path(__file__).resolve().parent / "federation"
SCHEMA = ROOT / "schema.graphql"

COMPOSE_TIMEOUT = 60.0
READY_TIMEOUT = 60.0

FAVORITE_MOVIES = """
{
  account {
    id
    favorites(mediaType: MOVIE) {
      results { id title ... on Movie { tagline } }
    }
  }
}
"""


@pytest.fixture(scope="session")
def node() -> str:
    """`node`, with tests/federation's npm dependencies installed."""
    return node_with_packages(FEDERATION)


async def ready_url(stdout: asyncio.StreamReader) -> str | None:
    """The URL of the `READY <url>` line; None if stdout ends first."""
    while line := await stdout.readline():
        ready, _, url = line.decode().strip().partition(" ")
        if ready == "READY" and url:
            return url
    return None


@pytest.fixture
async def router(node: str, gateway: RunningServer) -> AsyncIterator[str]:
    """router.mjs over our gateway: the URL of the Apollo router it serves."""
    process = await asyncio.create_subprocess_exec(
        node,
        str(FEDERATION / "router.mjs"),
        f"{gateway.url}/graphql",
        cwd=FEDERATION,
        env=node_env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    # Drain stderr all along, so that a chatty router never blocks on a full pipe.
    stderr = asyncio.create_task(process.stderr.read())
    try:
        try:
            url = await asyncio.wait_for(ready_url(process.stdout), READY_TIMEOUT)
        except TimeoutError:
            url = None
        if url is None:
            await stop(process)
            pytest.fail(
                f"router.mjs did not print READY (exit code {process.returncode}):\n"
                f"{(await stderr).decode()}"
            )
        yield url
    finally:
        await stop(process)
        await stderr


async def test_our_schema_composes_with_a_subgraph_extending_movie(node: str) -> None:
    returncode, out, err = await run_node(
        node, FEDERATION / "compose.mjs", str(SCHEMA), limit=COMPOSE_TIMEOUT
    )
    assert out, f"compose.mjs printed nothing (exit {returncode}): {err!r}"
    result: dict[str, Any] = json.loads(out)

    assert result["ok"] is True, json.dumps(result.get("errors"), indent=2)
    assert returncode == 0
    supergraph: str = result["supergraph"]
    # Both subgraphs resolve Movie by its id; the tagline comes from the catalogue.
    assert '@join__type(graph: ACCOUNTS, key: "id")' in supergraph
    assert '@join__type(graph: CATALOGUE, key: "id")' in supergraph
    assert "tagline: String @join__field(graph: CATALOGUE)" in supergraph


@MEMORY_ONLY  # composition does not depend on the cache
async def test_a_query_from_account_reaches_the_other_subgraphs_movie_fields(
    router: str, http: aiohttp.ClientSession
) -> None:
    result = await GraphQLClient(http, router, ALICE).query(FAVORITE_MOVIES)

    assert result.errors == []
    assert result.status == 200
    movies = result.data["account"]["favorites"]["results"]
    # alice's seeded favorite movies, titled by our gateway, taglined by the catalogue.
    assert {movie["id"] for movie in movies} == {550, 680, 13}
    assert all(movie["tagline"] == f"Tagline of {movie['id']}" for movie in movies)
    titles = {movie["id"]: movie["title"] for movie in movies}
    assert titles[550] == "Fight Club"


@MEMORY_ONLY
async def test_the_router_passes_on_our_unauthenticated_error(
    router: str, http: aiohttp.ClientSession
) -> None:
    result = await GraphQLClient(http, router).query(FAVORITE_MOVIES)

    assert result.data == {"account": None}
    assert result.error_at("account")["extensions"]["code"] == "UNAUTHENTICATED"

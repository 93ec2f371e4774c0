"""Apollo Client's own persisted-query link, unchanged, against the gateway.

`createPersistedQueryLink({ sha256, useGETForHashedQueries: true })` in front of an
`HttpLink` (tests/apollo_client/persisted.mjs, pinned in its package.json): the
first GET of a hash is unknown, the link registers the query by POST, and from
then on a hashed GET runs it, passing CSRF prevention with the JSON content type
Apollo Client sends, and cacheable by the browser. On both cache backends.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from harness.servers import RunningServer
from tests.node_packages import node_with_packages, run_node

APOLLO_CLIENT = Path(__file__).resolve().parent / "apollo_client"
NODE_TIMEOUT = 60.0


@pytest.fixture(scope="session")
def node() -> str:
    """`node`, with tests/apollo_client's npm dependencies installed."""
    return node_with_packages(APOLLO_CLIENT)


async def run_persisted(node: str, gateway: RunningServer, runs: int) -> dict[str, Any]:
    """What persisted.mjs reports after running its query `runs` times."""
    config = {"url": f"{gateway.url}/graphql", "token": "alice-token", "runs": runs}
    returncode, out, err = await run_node(
        node, APOLLO_CLIENT / "persisted.mjs", json.dumps(config), limit=NODE_TIMEOUT
    )
    assert returncode == 0, err.decode()
    outcome: dict[str, Any] = json.loads(out)
    return outcome


async def test_apollo_clients_persisted_query_link_registers_then_gets_by_hash(
    node: str, gateway: RunningServer
) -> None:
    outcome = await run_persisted(node, gateway, runs=3)
    favorites = {"__typename": "MediaPage", "totalResults": 3}
    data = {"account": {"__typename": "Account", "id": 12345, "favorites": favorites}}
    assert outcome["results"] == [data] * 3
    unknown, registered, *by_hash = outcome["exchanges"]
    digest = unknown["hash"]
    assert len(digest) == 64
    assert (unknown["method"], unknown["query"]) == ("GET", False)
    assert unknown["contentType"] == "application/json"  # what passes CSRF checks
    assert unknown["codes"] == ["PERSISTED_QUERY_NOT_FOUND"]
    assert unknown["cacheControl"] == "no-store"
    assert registered["method"] == "POST" and registered["query"]
    assert (registered["hash"], registered["status"]) == (digest, 200)
    assert registered["cacheControl"] == "no-store"
    assert len(by_hash) == 2
    for exchange in by_hash:
        assert (exchange["method"], exchange["query"], exchange["hash"]) == (
            "GET",
            False,
            digest,
        )
        assert (exchange["status"], exchange["codes"]) == (200, [])
        assert exchange["cacheControl"] == "private, max-age=30"
        assert exchange["etag"]

"""Apollo Client's own persisted-query link, unchanged, against the gateway.

`createPersistedQueryLink({ sha256, useGETForHashedQueries: true })` in front of an
`HttpLink` (tests/apollo_client/persisted.mjs, pinned in its package.json): the
first GET of a hash is unknown, the link registers the query by POST, and from
then on a hashed GET runs it, passing CSRF prevention with the JSON content type
Apollo Client sends, and cacheable by the browser. With trusted documents made
from what the link sent, its hashed GETs run at once and any other operation is
refused. On both cache backends.
"""

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gateway.settings import Settings
from harness.servers import RunningServer
from tests.conftest import running_gateway
from tests.node_packages import node_with_packages, run_node

APOLLO_CLIENT = Path(__file__).resolve().parent / "apollo_client"
NODE_TIMEOUT = 60.0
FAVORITES = {"__typename": "MediaPage", "totalResults": 3}
DATA = {"account": {"__typename": "Account", "id": 12345, "favorites": FAVORITES}}


@pytest.fixture(scope="session")
def node() -> str:
    """`node`, with tests/apollo_client's npm dependencies installed."""
    return node_with_packages(APOLLO_CLIENT)


async def run_persisted(
    node: str, gateway: RunningServer, operation: str, runs: int
) -> tuple[int, dict[str, Any] | None, str]:
    """persisted.mjs's exit code, report and stderr after running `operation`
    `runs` times."""
    config = {
        "url": f"{gateway.url}/graphql",
        "token": "alice-token",
        "operation": operation,
        "runs": runs,
    }
    returncode, out, err = await run_node(
        node, APOLLO_CLIENT / "persisted.mjs", json.dumps(config), limit=NODE_TIMEOUT
    )
    return returncode, json.loads(out) if returncode == 0 else None, err.decode()


async def registered_by_apollo_client(
    node: str, gateway: RunningServer, runs: int
) -> dict[str, Any]:
    """The report of running the app's query `runs` times, which must succeed."""
    returncode, outcome, err = await run_persisted(node, gateway, "account", runs)
    assert returncode == 0, err
    assert outcome is not None
    return outcome


async def test_apollo_clients_persisted_query_link_registers_then_gets_by_hash(
    node: str, gateway: RunningServer
) -> None:
    outcome = await registered_by_apollo_client(node, gateway, runs=3)
    assert outcome["results"] == [DATA] * 3
    unknown, registered, *by_hash = outcome["exchanges"]
    digest = unknown["hash"]
    assert len(digest) == 64
    assert (unknown["method"], unknown["query"]) == ("GET", None)
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
            None,
            digest,
        )
        assert (exchange["status"], exchange["codes"]) == (200, [])
        # What remains of the account mapping's 30 s in the cache, in whole seconds.
        max_age = exchange["cacheControl"].removeprefix("private, max-age=")
        assert 0 <= int(max_age) <= 30
        assert exchange["etag"]


async def test_apollo_client_runs_trusted_documents_only(
    node: str, gateway: RunningServer, settings: Settings, tmp_path: Path
) -> None:
    # The manifest holds what the link sent, as the manifest generator would.
    registered = (await registered_by_apollo_client(node, gateway, 1))["exchanges"][1]
    operation = {"id": registered["hash"], "name": "PersistedAccount",
                 "type": "query", "body": registered["query"]}  # fmt: skip
    path = tmp_path / "persisted-query-manifest.json"
    path.write_text(json.dumps({"format": "apollo-persisted-query-manifest",
                                "version": 1, "operations": [operation]}))  # fmt: skip
    async with running_gateway(
        replace(settings, trusted_documents=str(path))
    ) as trusted:
        outcome = await registered_by_apollo_client(node, trusted, runs=2)
        refused = await run_persisted(node, trusted, "other", runs=1)
    assert outcome["results"] == [DATA] * 2
    assert [(e["method"], e["status"]) for e in outcome["exchanges"]] == [
        ("GET", 200)
    ] * 2
    returncode, _, err = refused
    assert returncode == 1
    assert "not one of the trusted documents" in err

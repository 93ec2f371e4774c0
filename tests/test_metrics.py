"""`/metrics`: Prometheus text of what the gateway counted."""

import asyncio
import json
import os
import signal
from collections import Counter
from pathlib import Path

import aiohttp

from harness.commands import GatewayCommand, gateway_command
from harness.servers import RunningServer, free_port
from tests.conftest import ALICE, metric


async def test_metrics_are_served_in_prometheus_text_format(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    async with http.get(f"{gateway.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = await response.text()
    for family in (
        "gateway_graphql_requests",
        "gateway_upstream_requests",
        "gateway_upstream_request_duration_seconds",
        "gateway_cache_events",
        "gateway_upstream_breaker_state",
        "gateway_upstream_breaker_opened",
    ):
        assert f"# TYPE {family}" in text
    assert "_created" not in text


MINE = {"query": "query Mine { account { id } }", "operationName": "Mine"}
REQUESTS_OK = ("gateway_graphql_requests_total", {"operation": "Mine", "outcome": "ok"})
BREAKER = "gateway_upstream_breaker_state"


async def query_until(
    base: str, serving: GatewayCommand, pids: Counter[int], workers: int
) -> None:
    """Send `Mine` queries, each on a new connection, until `workers` different
    processes have answered (at most 100 queries); `pids` counts who answered
    each, as its access line says."""
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True)
    ) as http:
        for _ in range(100):
            async with http.post(f"{base}/graphql", json=MINE, headers=ALICE) as reply:
                assert (await reply.json())["data"] == {"account": {"id": 12345}}
            pids[await graphql_line_pid(serving)] += 1
            if len(pids) == workers:
                return
    raise AssertionError(f"not {workers} workers in 100 queries: {pids}")


async def graphql_line_pid(serving: GatewayCommand) -> int:
    """The pid in the next access line of a /graphql request."""
    while True:
        line = await asyncio.wait_for(serving.lines.get(), timeout=10)
        if line.startswith(b"{") and json.loads(line)["path"] == "/graphql":
            return int(json.loads(line)["pid"])


async def scrapes(base: str) -> list[tuple[float, float]]:
    """Six scrapes of /metrics, each answered by whichever worker accepts it: the
    ok `Mine` queries, and how many workers have their breaker closed."""
    server = RunningServer("127.0.0.1", int(base.rsplit(":", 1)[1]))
    name, labels = REQUESTS_OK
    seen = []
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True)
    ) as http:
        for _ in range(6):
            queries = await metric(http, server, name, **labels)
            closed = await metric(http, server, BREAKER, **{BREAKER: "closed"})
            seen.append((queries, closed))
    return seen


async def test_with_workers_metrics_add_up_over_the_whole_group(
    tmp_path: Path, redis_url: str
) -> None:
    """Both workers answer queries; every scrape, whichever worker answers it,
    counts all of them. A worker killed outright leaves its counts behind but not
    its gauges, once uvicorn has started another in its place."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "GATEWAY_PORT": str(port),
        "GATEWAY_CACHE_URL": redis_url,
        "GATEWAY_REFERENCE_DB": str(tmp_path / "db.sqlite3"),
    }
    args = ("serve", "--workers", "2")
    async with gateway_command(*args, env=env, keep_stdout=True, workers=2) as serving:
        pids: Counter[int] = Counter()
        await query_until(base, serving, pids, workers=2)
        assert await scrapes(base) == [(pids.total(), 2)] * 6
        os.kill(next(iter(pids)), signal.SIGKILL)
        await asyncio.wait_for(serving.started_up(3), timeout=30)  # a replacement
        await query_until(base, serving, pids, workers=3)
        assert await scrapes(base) == [(pids.total(), 2)] * 6

"""CPU time per GraphQL request, tracing off and on, in one process.

    .venv/bin/python -m bench.tracing_cost [REQUESTS [ROUNDS [off|on|off,on]]]

The reference API, the gateway and the client run in this process and this event
loop (uvicorn on loopback), so `time.process_time()` over a loop of sequential
requests counts every CPU second the requests cost, whatever else loads the
machine. Rounds alternate the configurations, and each configuration's median
round and its quickest are printed, in microseconds of CPU per request (other
processes' load can only add to a round: the quickest is the better estimate).
`off` alone also runs against a tree without tracing (`PYTHONPATH=that/tree`), to
compare off with none at all. Two workloads: `cached`
(account and list pages from the memory cache: the operation and cache lookup
spans) and `upstream` (caching off: two upstream calls, so two client spans and a
`traceparent` each). Tracing on exports into a processor that drops the spans
(what a batch processor's queue costs, without the collector's share).
"""

import asyncio
import dataclasses
import sys
from collections.abc import Sequence
from typing import Any

import aiohttp
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from starlette.applications import Starlette
from starlette.routing import Mount

from bench.cpu import counts, cpu_per_call, summary
from gateway import reference_api
from gateway.app import create_app
from gateway.settings import Settings
from harness.servers import run_server

QUERY = "{ account { favorites(mediaType: MOVIE) { totalResults } } }"
HEADERS = {
    "Authorization": "Bearer alice-token",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
}
WORKLOADS: dict[str, dict[str, Any]] = {
    "cached": {"response_cache_bytes": 0},
    "upstream": {"response_cache_bytes": 0, "list_ttl": 0.0, "account_ttl": 0.0},
}


class DroppingProcessor(SpanProcessor):
    """Takes every ended span and keeps none."""

    def on_end(self, span: ReadableSpan) -> None:
        del span


async def cpu_per_request(
    settings: Settings, traced: bool, requests: int, http: aiohttp.ClientSession
) -> float:
    """Microseconds of this process's CPU per request, after a warm-up."""
    if traced:
        app = create_app(settings, span_processor=DroppingProcessor())
    else:
        app = create_app(settings)
    async with run_server(app) as gateway:
        url, body = f"{gateway.url}/graphql", {"query": QUERY}

        async def request() -> None:
            async with http.post(url, json=body, headers=HEADERS) as response:
                assert response.status == 200, await response.text()
                await response.read()

        return await cpu_per_call(request, requests)


async def main(requests: int, rounds: int, configurations: Sequence[bool]) -> None:
    api = reference_api.create_app()
    async with (
        run_server(Starlette(routes=[Mount("/api", api)])) as upstream,
        aiohttp.ClientSession() as http,
    ):
        base = Settings(upstream_url=f"{upstream.url}/api")
        for workload, options in WORKLOADS.items():
            settings = dataclasses.replace(base, **options)
            times: dict[bool, list[float]] = {traced: [] for traced in configurations}
            for _ in range(rounds):
                for traced in configurations:
                    cost = await cpu_per_request(settings, traced, requests, http)
                    times[traced].append(cost)
            for traced, costs in times.items():
                shown = "on" if traced else "off"
                print(f"{workload:8} {shown:3}: {summary(costs, 'request')}")


if __name__ == "__main__":
    given = sys.argv[1:]
    wanted = given[2].split(",") if len(given) > 2 else ["off", "on"]
    asyncio.run(main(*counts(given), [name == "on" for name in wanted]))

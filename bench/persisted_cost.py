"""CPU time per request by the way a query is sent: text or persisted hash, POST
or GET, and a GET revalidated to `304 Not Modified`.

    .venv/bin/python -m bench.persisted_cost [REQUESTS [ROUNDS]]

The reference API, one gateway (memory cache, kept responses off so that every
request executes) and the client share this process and its event loop, so
`time.process_time()` over sequential requests counts all their CPU whatever else
loads the machine. Rounds alternate the ways; each way's median round is printed
in microseconds of CPU per request and as a ratio to sending the text by POST in
the same run (below 1: cheaper).
"""

import asyncio
import hashlib
import json
import statistics
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
from starlette.applications import Starlette
from starlette.routing import Mount

from bench.cpu import counts, cpu_per_call
from gateway import reference_api
from gateway.app import create_app
from gateway.settings import Settings
from harness.servers import run_server

QUERY = "{ account { id favorites(mediaType: MOVIE) { totalResults results { id } } } }"
SHA256 = hashlib.sha256(QUERY.encode()).hexdigest()
HASH_ONLY = {"persistedQuery": {"version": 1, "sha256Hash": SHA256}}
HEADERS = {"Authorization": "Bearer alice-token", "Content-Type": "application/json"}

Send = Callable[[aiohttp.ClientSession, str], Coroutine[Any, Any, int]]


async def post_text(http: aiohttp.ClientSession, url: str) -> int:
    async with http.post(url, json={"query": QUERY}, headers=HEADERS) as response:
        await response.read()
        return response.status


async def post_hash(http: aiohttp.ClientSession, url: str) -> int:
    async with http.post(
        url, json={"extensions": HASH_ONLY}, headers=HEADERS
    ) as response:
        await response.read()
        return response.status


async def get_text(http: aiohttp.ClientSession, url: str) -> int:
    return await _get(http, url, {"query": QUERY}, {})


async def get_hash(http: aiohttp.ClientSession, url: str) -> int:
    return await _get(http, url, {"extensions": json.dumps(HASH_ONLY)}, {})


async def _get(
    http: aiohttp.ClientSession, url: str, params: dict[str, str], extra: dict[str, str]
) -> int:
    headers = {**HEADERS, **extra}
    async with http.get(url, params=params, headers=headers) as response:
        await response.read()
        return response.status


def revalidated(etag: str) -> Send:
    """A hashed GET that names the ETag of the answer it already holds."""

    async def send(http: aiohttp.ClientSession, url: str) -> int:
        params = {"extensions": json.dumps(HASH_ONLY)}
        return await _get(http, url, params, {"If-None-Match": etag})

    return send


async def cpu_per_request(
    send: Send, http: aiohttp.ClientSession, url: str, requests: int
) -> float:
    """Microseconds of this process's CPU per request of `send`, after a warm-up."""

    async def request() -> None:
        assert await send(http, url) in (200, 304)

    return await cpu_per_call(request, requests)


async def main(requests: int, rounds: int) -> None:
    api = reference_api.create_app()
    async with (
        run_server(Starlette(routes=[Mount("/api", api)])) as upstream,
        aiohttp.ClientSession() as http,
    ):
        settings = Settings(upstream_url=f"{upstream.url}/api", response_cache_bytes=0)
        async with run_server(create_app(settings)) as gateway:
            url = f"{gateway.url}/graphql"
            await http.post(
                url, json={"query": QUERY, "extensions": HASH_ONLY}, headers=HEADERS
            )
            async with http.get(url, params={"query": QUERY}, headers=HEADERS) as first:
                etag = first.headers["ETag"]
            ways: dict[str, Send] = {
                "POST text": post_text,
                "POST hash": post_hash,
                "GET text": get_text,
                "GET hash": get_hash,
                "GET hash 304": revalidated(etag),
            }
            costs: dict[str, list[float]] = {name: [] for name in ways}
            for _ in range(rounds):
                for name, send in ways.items():
                    costs[name].append(await cpu_per_request(send, http, url, requests))
    baseline = statistics.median(costs["POST text"])
    for name, measured in costs.items():
        median = statistics.median(measured)
        ratio = median / baseline
        print(
            f"{name:13}: {median:5.0f} µs of CPU per request, {ratio:.2f} of POST text"
        )


if __name__ == "__main__":
    asyncio.run(main(*counts(sys.argv[1:])))

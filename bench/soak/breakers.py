"""How often each replica's circuit breaker opened, read from its `/metrics`.

The breaker's state is a gauge, so its openings are counted by polling it; an
open breaker stays open for its cool-down (1 s in the soak), far longer than the
poll interval, so none is missed.
"""

import asyncio
import contextlib

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bench.soak.figures import Figures
from bench.soak.stack import Stack

POLL = 0.2  # seconds between scrapes
STATE = "gateway_upstream_breaker_state"


async def watch_breakers(
    http: aiohttp.ClientSession, stack: Stack, stop: asyncio.Event, figures: Figures
) -> None:
    """Count each replica's moves into `open` until `stop` is set."""
    was_open = [False] * len(stack.replicas)
    while not stop.is_set():
        for replica, base in enumerate(stack.replicas):
            now_open = await breaker_open(http, base)
            if now_open is None:
                continue
            if now_open and not was_open[replica]:
                figures.breaker_opens[replica] += 1
            was_open[replica] = now_open
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL)


async def breaker_open(http: aiohttp.ClientSession, base: str) -> bool | None:
    """Whether the replica at `base` reports its breaker open; None if unknown."""
    try:
        async with http.get(f"{base}/metrics") as reply:
            text = await reply.text()
    except (aiohttp.ClientError, TimeoutError):
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == STATE and sample.labels.get(STATE) == "open":
                return sample.value == 1
    return None

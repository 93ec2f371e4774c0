"""How often each replica's circuit breaker opened, read from its `/metrics`.

Each replica counts its openings (`gateway_upstream_breaker_opened_total`): an
open time is a fraction of a second, too short for polling the state to see.
"""

import asyncio
import contextlib

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bench.soak.figures import Figures
from bench.soak.stack import Stack

POLL = 0.2  # seconds between scrapes
OPENED = "gateway_upstream_breaker_opened_total"


async def watch_breakers(
    http: aiohttp.ClientSession, stack: Stack, stop: asyncio.Event, figures: Figures
) -> None:
    """Keep each replica's count of openings up to date until `stop` is set."""
    while not stop.is_set():
        for replica, base in enumerate(stack.replicas):
            if (opened := await breaker_opened(http, base)) is not None:
                figures.breaker_opens[replica] = opened
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL)


async def breaker_opened(http: aiohttp.ClientSession, base: str) -> int | None:
    """How often the replica at `base` says its breaker opened; None if unknown."""
    try:
        async with http.get(f"{base}/metrics") as reply:
            text = await reply.text()
    except (aiohttp.ClientError, TimeoutError):
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == OPENED:
                return int(sample.value)
    return None

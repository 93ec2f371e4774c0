"""Driving the upstream stub: reset, seed, latency, and its request counter.

Seeding follows loadgen's bench.sh: alice gets 25 favorite movies (501..525),
10 watchlist TV shows (1301..1310) and 15 rated movies (526..540) through the
REST API, 45 items over the three lists the benchmark reads. It happens with the
stub's latency at 0 (seeding at 20 ms would take a second), then the latency
under test is set again.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

ALICE = "Bearer alice-token"
ALICE_ID = 12345


def _call(url: str, method: str = "GET", body: Any = None, auth: str = "") -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if auth:
        request.add_header("Authorization", auth)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def calls_so_far(base: str) -> int:
    """All upstream requests the stub has counted since its last reset."""
    stats = _call(f"{base}/__stats")
    return sum(v for v in stats.values() if isinstance(v, int))


def reset_and_seed(base: str, latency_ms: int) -> None:
    """Fresh lists for alice and every bench user; then `latency_ms` per request."""
    _call(f"{base}/__reset", "POST", {})  # also sets latency back to 0
    api = f"{base}/api"
    for media_id in range(501, 526):
        body = {"media_type": "movie", "media_id": media_id, "favorite": True}
        _call(f"{api}/account/{ALICE_ID}/favorite", "POST", body, ALICE)
    for media_id in range(1301, 1311):
        body = {"media_type": "tv", "media_id": media_id, "watchlist": True}
        _call(f"{api}/account/{ALICE_ID}/watchlist", "POST", body, ALICE)
    for media_id in range(526, 541):
        body = {"rating": media_id % 10 + 0.5}
        _call(f"{api}/movie/{media_id}/rating", "POST", body, ALICE)
    _call(f"{base}/__bench_clone", "POST", {"from": ALICE_ID})
    _call(f"{base}/__config", "POST", {"latency_ms": latency_ms})

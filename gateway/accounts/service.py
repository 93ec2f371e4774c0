"""`AccountService`: the caching policy between the schema and the REST API.

What is cached, under which key, for how long, and what a mutation invalidates:

- the account, under `account:<SHA-256 of the credentials>` for `account_ttl`
  (DESIGN.md invariant 1: credentials are never a key in clear);
- a list page, under `list:<account id>:<list>:<kind>:<generation>:<page>:…`,
  served for `list_ttl`: keys derive from the account id that the caller's own
  credentials resolved to, never from anything the client sent;
- stale-if-error: when upstream fails (unreachable, timed out, 5xx, 429, or the
  circuit breaker refused the call; never another 4xx or bad input), the value
  under the same key is served if it was fetched at most `stale_ttl` ago, marked
  with its age (`Served.stale_age`). A list page's key carries the account and
  the generation, so it is never served to another account, nor after the
  account's own mutation; the account's key is the fingerprint of the very
  credentials, so it is never another caller's. Both are kept for `stale_ttl`
  but served past their own TTL only when upstream fails, and a 401 is never
  answered from stale: revoked credentials lose their data as soon as upstream
  can say so;
- when the cache cannot say which generation is current (Redis down, or a bump
  of this process still to replay), lists come from upstream and are not stored;
- a mutation moves the generation of the list it touches on once upstream has
  answered (or failed: upstream may have changed all the same), and answers only
  once that reached the cache, so no reader on any replica sharing the cache is
  served a list older than the mutation (invariant 2). If the cache cannot record
  it in time, the mutation still answers, and `invalidation_pending()` says so;
- every key of one account's lists (generations and pages) carries the hash tag
  `{a:<account id>}`, so that reading all its generations at once stays within
  one Redis Cluster slot;
- identical loads in flight at the same moment share one upstream request
  (`SingleFlight`); their keys carry the generation, so a load that began before
  a mutation is never handed to a reader that began after it;
- within one request, each page is read once, whether by a list field or a
  connection (`media_window`, over `paging`), and read again after a write;
- a whole response may be served again while the lists it was built from are at
  the generations they were read at (`reusable`, `is_current`), and identical
  requests may share one execution while the account's generations are equal
  (`generations_now`). Only this module knows the keys behind `Generations`.
"""

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.accounts.arguments import ListQuery, check_media_id, check_rating
from gateway.accounts.paging import Slice, Window, page_size
from gateway.accounts.shared_runs import SharedRuns
from gateway.accounts.single_flight import SingleFlight
from gateway.cache import Cache
from gateway.cache.store import Aged
from gateway.upstream.client import UpstreamClient
from gateway.upstream.credentials import Credentials
from gateway.upstream.errors import (
    UpstreamBroken,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamUnavailable,
)
from gateway.upstream.models import (
    Account,
    ListName,
    MediaItem,
    MediaKind,
    MediaPage,
)

#: Upstream failures that a stale value may stand in for: upstream's own trouble.
STALE_IF = (UpstreamUnavailable, UpstreamBroken, UpstreamRateLimited)

T = TypeVar("T")


class MissingCredentialsError(Exception):
    """The request carried no credentials, so upstream is not asked at all."""

    def __init__(self) -> None:
        super().__init__(
            "No credentials were sent: send the header 'Authorization: Bearer "
            "<token>' (with the embedded reference API, a browser may sign in at "
            "/demo instead)."
        )


class UnknownMediaError(Exception):
    """Upstream has no `kind` item `media_id` to write to (it answered 404)."""

    def __init__(self, kind: MediaKind, media_id: int) -> None:
        noun = "movie" if kind is MediaKind.MOVIE else "TV show"
        super().__init__(f"No {noun} with id {media_id} was found.")
        self.kind = kind
        self.media_id = media_id


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """How long cached values live, in seconds."""

    list_ttl: float
    account_ttl: float
    stale_ttl: float = 0.0

    @property
    def list_keep(self) -> float:
        """How long a page is stored: served for `list_ttl`, kept for `stale_ttl`."""
        return max(self.list_ttl, self.stale_ttl)

    @property
    def account_keep(self) -> float:
        """How long the account is stored: served for `account_ttl`, kept for
        `stale_ttl`."""
        return max(self.account_ttl, self.stale_ttl)


@dataclass(frozen=True, slots=True)
class Generations:
    """The generations of some of an account's lists, as read at one moment.

    Opaque outside this module: handed back to `AccountService.is_current`, or
    compared whole (equal generations: no write to those lists came in between).
    """

    keys: tuple[str, ...] = ()
    values: tuple[int | None, ...] = ()
    account_read: bool = False  # whether the response holds the account


@dataclass(frozen=True, slots=True)
class Reusable:
    """A response may be served again for `ttl` seconds while `generations` hold."""

    generations: Generations
    ttl: float


@dataclass(frozen=True, slots=True)
class Served(Generic[T]):
    """A value (a list page, the account), and its age in seconds if it was
    served stale."""

    value: T
    stale_age: float | None = None
    age: float = 0.0  # seconds since upstream answered it (0: just now)


@dataclass(frozen=True, slots=True)
class ServedWindow:
    """A connection's items by offset, the list's total, and the age in seconds of
    its oldest page if any was served stale."""

    window: Window
    total: int
    edges: list[tuple[int, MediaItem]]
    stale_age: float | None = None


class AccountService:
    """One caller's view of the REST API, built per request around its credentials."""

    def __init__(
        self,
        client: UpstreamClient,
        cache: Cache,
        flights: SingleFlight,
        policy: CachePolicy,
        credentials: Credentials,
    ) -> None:
        self._client = client
        self._cache = cache
        self._flights = flights
        self._policy = policy
        self._credentials = credentials
        # Memos of this request's reads, each run by its first caller: the account
        # (under the one key None), and pages by list and query.
        # Typed by annotation: subscripting the class itself costs a call of
        # typing's machinery per request.
        self._account: SharedRuns[None, Served[Account]] = SharedRuns(keep=True)
        self._pages: SharedRuns[tuple[ListName, ListQuery], Served[MediaPage]] = (
            SharedRuns(keep=True)
        )
        self._generations_read: list[tuple[str, int]] = []
        # The oldest cached account and list page read, in seconds since fetched.
        self._account_age = 0.0
        self._list_age = 0.0
        self._reusable = True
        self._invalidation_pending = False

    async def account(self) -> Account:
        """The caller's account, fetched at most once per request.

        Once known it is read straight from the memo: every list of a request
        asks for it again (`served_account` already noted its age).
        """
        known = self._account.value(None)
        if known is not None:
            return known.value
        return (await self.served_account()).value

    async def served_account(self) -> Served[Account]:
        """The caller's account and, if it was served stale, its age."""
        served = await self._account.run(None, self._load_account)
        self._account_age = served.age
        self._reusable = self._reusable and served.stale_age is None
        return served

    async def media_list(
        self, list_name: ListName, query: ListQuery
    ) -> Served[MediaPage]:
        """One page of one of the caller's lists, read at most once per request
        (until a write to the account): list fields and connections share it."""
        return await self._pages.run(
            (list_name, query), lambda: self._served_page(list_name, query)
        )

    async def media_window(
        self, list_name: ListName, query: ListQuery, wanted: Slice
    ) -> ServedWindow:
        """The items a connection asks for, from the upstream pages that hold them.

        Page 1 comes first: it gives the page size and the total; then the other
        pages of the window, concurrently, each by the `media_list` path.
        """
        first = await self.media_list(list_name, query.on_page(1))
        size = page_size(len(first.value.results), first.value.total_results)
        window = wanted.window(first.value.total_results, size)
        numbers = [number for number in window.pages(size) if number != 1]
        others = await asyncio.gather(
            *(self.media_list(list_name, query.on_page(n)) for n in numbers)
        )
        served = {1: first, **dict(zip(numbers, others, strict=True))}
        ages = [
            page.stale_age for page in served.values() if page.stale_age is not None
        ]
        return ServedWindow(
            window,
            first.value.total_results,
            window.edges({n: page.value.results for n, page in served.items()}, size),
            max(ages, default=None),
        )

    async def _served_page(
        self, list_name: ListName, query: ListQuery
    ) -> Served[MediaPage]:
        """One page of one of the caller's lists, from cache when still current."""
        account = await self.account()
        generation_key = _generation_key(account.id, list_name, query.kind)
        generation = await self._cache.generation(generation_key)
        if generation is None:
            # Which cached pages are current is unknown: neither read nor store any.
            self._reusable = False
            return Served(await self._fetch_list(account, list_name, query))
        key = _list_key(account.id, list_name, query, generation)
        served = await self._flights.run(
            key, lambda: self._load_list(account, list_name, query, key)
        )
        self._generations_read.append((generation_key, generation))
        self._list_age = max(self._list_age, served.age)
        self._reusable = self._reusable and served.stale_age is None
        return served

    def reusable(self) -> Reusable | None:
        """For how long, and while which list generations hold, a response built
        from this request's reads may be served again to the same credentials.

        None after a write, a stale page or an unknown generation, or when caching
        is off for what was read: such a response must be built afresh. The time
        is what remains of the TTLs of what it holds: a page cached 50 s ago with
        a 60 s TTL leaves 10 s.
        """
        ttl = self._policy.account_ttl - self._account_age
        if self._generations_read:
            ttl = min(ttl, self._policy.list_ttl - self._list_age)
        if not self._reusable or ttl <= 0:
            return None
        read = self._generations_read
        generations = Generations(
            tuple(k for k, _ in read),
            tuple(v for _, v in read),
            account_read=bool(self._account),
        )
        return Reusable(generations, ttl)

    async def is_current(self, generations: Generations) -> bool:
        """Whether every list in `generations` is still at the generation read then:
        no write to any of them came since, through any replica sharing the cache.
        False when the cache cannot tell.

        A response that read the account but no list depends on the account
        mapping alone: it is current while that mapping is still cached, so after
        a Redis restart (empty, or from a snapshot: its keys carry the older run)
        none is served. One that read neither (introspection, `_service`) holds
        nothing cached and is always current.
        """
        if not generations.keys:
            return not generations.account_read or (
                await self._cached_account() is not None
            )
        now = await self._cache.current_generations(generations.keys)
        return now is not None and tuple(now) == generations.values

    async def generations_now(self) -> Generations | None:
        """The generation of every list of the caller's account, if the account
        is cached and the cache can tell; else None (nothing is fetched).

        Two identical requests by the same credentials that read equal generations
        may share one execution: no write to the account's lists came between them.
        """
        cached = await self._cached_account()
        if cached is None:
            return None
        account_id = cached.id
        keys = tuple(
            _generation_key(account_id, list_name, kind)
            for list_name in ListName
            for kind in MediaKind
        )
        values = await self._cache.current_generations(keys)
        return None if values is None else Generations(keys, tuple(values))

    async def _cached_account(self) -> Account | None:
        """The caller's account as cached and still fresh; None otherwise."""
        cached = await self._cache.get(
            _account_key(self._credentials), max_age=self._policy.account_ttl
        )
        return None if cached is None else _as_account(cached)

    def release(self) -> None:
        """Forget the reads memoised for this request once it has executed.

        A read that failed holds its error, whose traceback holds the frames of
        this service's methods and so the service: a reference cycle, found only
        by the garbage collector's full passes, and every request makes one
        during an upstream outage.
        """
        self._account.clear()
        self._pages.clear()

    def invalidation_pending(self) -> bool:
        """Whether the last write answered before the cache recorded its
        invalidation (it is replayed later); asking forgets it, so that each
        mutation field of a request learns of its own."""
        pending, self._invalidation_pending = self._invalidation_pending, False
        return pending

    async def set_favorite(
        self, kind: MediaKind, media_id: int, favorite: bool
    ) -> bool:
        """Add to or remove from the favorites; the status upstream now holds."""
        check_media_id(media_id)
        async with self._invalidating(ListName.FAVORITES, kind, media_id) as account:
            return await self._client.set_favorite(
                self._credentials, account.id, kind, media_id, favorite
            )

    async def set_watchlist(
        self, kind: MediaKind, media_id: int, watchlist: bool
    ) -> bool:
        """Add to or remove from the watchlist; the status upstream now holds."""
        check_media_id(media_id)
        async with self._invalidating(ListName.WATCHLIST, kind, media_id) as account:
            return await self._client.set_watchlist(
                self._credentials, account.id, kind, media_id, watchlist
            )

    async def rate(self, kind: MediaKind, media_id: int, rating: float) -> float | None:
        """Rate an item; the rating upstream now holds."""
        check_media_id(media_id)
        check_rating(rating)
        async with self._invalidating(ListName.RATED, kind, media_id):
            return await self._client.rate(self._credentials, kind, media_id, rating)

    async def delete_rating(self, kind: MediaKind, media_id: int) -> None:
        """Remove the caller's rating of an item."""
        check_media_id(media_id)
        async with self._invalidating(ListName.RATED, kind, media_id):
            await self._client.delete_rating(self._credentials, kind, media_id)

    async def _load_account(self) -> Served[Account]:
        if not self._credentials.present:
            raise MissingCredentialsError
        key = _account_key(self._credentials)
        return await self._flights.run(key, lambda: self._fetch_account(key))

    async def _fetch_account(self, key: str) -> Served[Account]:
        ttl = self._policy.account_ttl
        cached = await self._cache.get_aged(key, max_age=ttl) if ttl > 0 else None
        if cached is not None:
            return Served(_as_account(cached.value), age=cached.age)
        try:
            account = await self._client.get_account(self._credentials)
        except STALE_IF:
            if (stale := await self._stale(key)) is None:
                raise
            return Served(_as_account(stale.value), stale.age)
        await self._cache.set(key, account, ttl=self._policy.account_keep)
        return Served(account)

    async def _stale(self, key: str) -> Aged | None:
        """What was stored under `key` at most `stale_ttl` ago, to stand in for a
        failed upstream call."""
        if self._policy.stale_ttl <= 0:
            return None
        return await self._cache.get_stale(key, max_age=self._policy.stale_ttl)

    async def _load_list(
        self, account: Account, list_name: ListName, query: ListQuery, key: str
    ) -> Served[MediaPage]:
        policy = self._policy
        # With list caching off nothing stored is fresh: skip the lookup.
        cached = (
            await self._cache.get_aged(key, max_age=policy.list_ttl)
            if policy.list_ttl > 0
            else None
        )
        if cached is not None:
            return Served(_as_page(cached.value, query.kind), age=cached.age)
        try:
            page = await self._fetch_list(account, list_name, query)
        except STALE_IF:
            if (stale := await self._stale(key)) is None:
                raise
            return Served(_as_page(stale.value, query.kind), stale.age)
        await self._cache.set(key, page, ttl=policy.list_keep)
        return Served(page)

    async def _fetch_list(
        self, account: Account, list_name: ListName, query: ListQuery
    ) -> MediaPage:
        return await self._client.list_media(
            self._credentials,
            account.id,
            list_name,
            query.kind,
            page=query.page,
            language=query.language,
            sort=query.sort,
        )

    @contextlib.asynccontextmanager
    async def _invalidating(
        self, list_name: ListName, kind: MediaKind, media_id: int
    ) -> AsyncIterator[Account]:
        """Move the list's generation on when the write to `media_id` ends, however
        it ends: upstream may have applied a write whose answer timed out or was
        garbled. A 404 means upstream has no such item: `UnknownMediaError`."""
        account = await self.account()
        self._reusable = False
        try:
            yield account
        except UpstreamNotFound as exc:
            raise UnknownMediaError(kind, media_id) from exc
        finally:
            key = _generation_key(account.id, list_name, kind)
            self._invalidation_pending = not await self._cache.bump(key)
            self._pages.clear()


@dataclass(frozen=True, slots=True)
class AccountServices:
    """What every caller's `AccountService` in a process shares: the lifespan
    builds it once, and each request asks it for the service of its caller."""

    client: UpstreamClient
    cache: Cache
    flights: SingleFlight
    policy: CachePolicy

    def for_caller(self, credentials: Credentials) -> AccountService:
        """The service of the caller that `credentials` belong to."""
        return AccountService(
            self.client, self.cache, self.flights, self.policy, credentials
        )


#: How each kind of key is laid out. A trace names a cache lookup by its key's
#: template (`key_template`): the key itself holds an account id or a digest of
#: the caller's credentials.
ACCOUNT_KEY = "account:{credentials}"
GENERATION_KEY = "gen:{account}:{list}:{kind}"
LIST_KEY = "list:{account}:{list}:{kind}:{generation}:{page}:{language}:{sort}"
#: Generation keys built once, for the last thousand accounts (six lists each).
GENERATION_KEYS_KEPT = 6 * 1024
_TEMPLATES = {
    template.partition(":")[0]: template
    for template in (ACCOUNT_KEY, GENERATION_KEY, LIST_KEY)
}


def key_template(key: str) -> str:
    """The template `key` was built from, without any of its values."""
    return _TEMPLATES.get(key.partition(":")[0], "unknown")


def _as_account(value: object) -> Account:
    """The account a cache read gave: the object itself from memory, its JSON
    from Redis."""
    return value if isinstance(value, Account) else Account.from_json(value)


def _as_page(value: object, kind: MediaKind) -> MediaPage:
    """The page a cache read gave: the object itself from memory, its JSON from
    Redis (whose items are of `kind`, which the key names)."""
    return value if isinstance(value, MediaPage) else MediaPage.from_json(value, kind)


def _account_key(credentials: Credentials) -> str:
    return ACCOUNT_KEY.format(credentials=credentials.fingerprint)


def _account_tag(account_id: int) -> str:
    """The Redis Cluster hash tag of every list key of one account."""
    return f"{{a:{account_id}}}"


@functools.lru_cache(maxsize=GENERATION_KEYS_KEPT)
def _generation_key(account_id: int, list_name: ListName, kind: MediaKind) -> str:
    """Kept for the accounts seen last: a request names each of its account's
    six generations once to share an execution and again as it reads a list.

    `GENERATION_KEY` spelled out by an f-string, from each enum's `_value_`: a
    new account's first request builds three, and `format` with its fields and
    `value` (a Python property) cost about 3 µs a key, against 0.5.
    """
    return f"gen:{_account_tag(account_id)}:{list_name._value_}:{kind._value_}"


def _list_key(
    account_id: int, list_name: ListName, query: ListQuery, generation: int
) -> str:
    """`LIST_KEY` spelled out, from the list's part kept (`_list_of`) and the
    rest: formatting the template with every field cost about 4 µs a page."""
    return (
        f"{_list_of(account_id, list_name, query.kind)}:{generation}"
        f":{query.page}:{query.language}:{query.sort._value_}"
    )


@functools.lru_cache(maxsize=GENERATION_KEYS_KEPT)
def _list_of(account_id: int, list_name: ListName, kind: MediaKind) -> str:
    """The fields of `LIST_KEY` up to `{kind}`, kept as `_generation_key` is,
    and spelled as it is."""
    return f"list:{_account_tag(account_id)}:{list_name._value_}:{kind._value_}"

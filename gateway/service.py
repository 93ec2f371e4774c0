"""`AccountService`: the caching policy between the schema and the REST API.

What is cached, under which key, for how long, and what a mutation invalidates:

- the account, under `account:<SHA-256 of the credentials>` for `account_ttl`
  (DESIGN.md invariant 1: credentials are never a key in clear);
- a list page, under `list:<account id>:<list>:<kind>:<generation>:<page>:…` for
  `list_ttl`: keys derive from the account id that the caller's own credentials
  resolved to, never from anything the client sent;
- a mutation moves the generation of the list it touches on once upstream has
  answered (or failed: upstream may have changed all the same), so no reader on any
  replica sharing the cache is served a list older than the mutation (invariant 2);
- identical loads in flight at the same moment share one upstream request
  (`SingleFlight`); their keys carry the generation, so a load that began before
  a mutation is never handed to a reader that began after it.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from gateway.arguments import ListQuery, check_media_id, check_rating
from gateway.cache import Cache
from gateway.single_flight import SingleFlight
from gateway.upstream.client import UpstreamClient
from gateway.upstream.credentials import Credentials
from gateway.upstream.models import Account, ListName, MediaKind, MediaPage


class MissingCredentialsError(Exception):
    """The request carried no credentials, so upstream is not asked at all."""

    def __init__(self) -> None:
        super().__init__("No credentials were sent.")


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """How long cached values live, in seconds."""

    list_ttl: float
    account_ttl: float


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
        self._account: asyncio.Task[Account] | None = None

    async def account(self) -> Account:
        """The caller's account, fetched at most once per request."""
        if self._account is None:
            self._account = asyncio.ensure_future(self._load_account())
        return await self._account

    async def media_list(self, list_name: ListName, query: ListQuery) -> MediaPage:
        """One page of one of the caller's lists, from cache when still current."""
        account = await self.account()
        generation_key = _generation_key(account.id, list_name, query.kind)
        generation = await self._cache.generation(generation_key)
        key = _list_key(account.id, list_name, query, generation)
        return await self._flights.run(
            key, lambda: self._load_list(account, list_name, query, key)
        )

    async def set_favorite(
        self, kind: MediaKind, media_id: int, favorite: bool
    ) -> bool:
        """Add to or remove from the favorites; the status upstream now holds."""
        check_media_id(media_id)
        async with self._invalidating(ListName.FAVORITES, kind) as account:
            return await self._client.set_favorite(
                self._credentials, account.id, kind, media_id, favorite
            )

    async def set_watchlist(
        self, kind: MediaKind, media_id: int, watchlist: bool
    ) -> bool:
        """Add to or remove from the watchlist; the status upstream now holds."""
        check_media_id(media_id)
        async with self._invalidating(ListName.WATCHLIST, kind) as account:
            return await self._client.set_watchlist(
                self._credentials, account.id, kind, media_id, watchlist
            )

    async def rate(self, kind: MediaKind, media_id: int, rating: float) -> float | None:
        """Rate an item; the rating upstream now holds."""
        check_media_id(media_id)
        check_rating(rating)
        async with self._invalidating(ListName.RATED, kind):
            return await self._client.rate(self._credentials, kind, media_id, rating)

    async def delete_rating(self, kind: MediaKind, media_id: int) -> None:
        """Remove the caller's rating of an item."""
        check_media_id(media_id)
        async with self._invalidating(ListName.RATED, kind):
            await self._client.delete_rating(self._credentials, kind, media_id)

    async def _load_account(self) -> Account:
        if not self._credentials.present:
            raise MissingCredentialsError
        key = f"account:{self._credentials.fingerprint}"
        return await self._flights.run(key, lambda: self._fetch_account(key))

    async def _fetch_account(self, key: str) -> Account:
        if (cached := await self._cache.get(key)) is not None:
            return Account.from_json(cached)
        account = await self._client.get_account(self._credentials)
        await self._cache.set(key, account.to_json(), ttl=self._policy.account_ttl)
        return account

    async def _load_list(
        self, account: Account, list_name: ListName, query: ListQuery, key: str
    ) -> MediaPage:
        if (cached := await self._cache.get(key)) is not None:
            return MediaPage.from_json(cached, query.kind)
        page = await self._client.list_media(
            self._credentials,
            account.id,
            list_name,
            query.kind,
            page=query.page,
            language=query.language,
            sort=query.sort,
        )
        await self._cache.set(key, page.to_json(), ttl=self._policy.list_ttl)
        return page

    @contextlib.asynccontextmanager
    async def _invalidating(
        self, list_name: ListName, kind: MediaKind
    ) -> AsyncIterator[Account]:
        """Move the list's generation on when the mutation ends, however it ends:
        upstream may have applied a write whose answer timed out or was garbled."""
        account = await self.account()
        try:
            yield account
        finally:
            await self._cache.bump(_generation_key(account.id, list_name, kind))


def _generation_key(account_id: int, list_name: ListName, kind: MediaKind) -> str:
    return f"gen:{account_id}:{list_name.value}:{kind.value}"


def _list_key(
    account_id: int, list_name: ListName, query: ListQuery, generation: int
) -> str:
    return (
        f"list:{account_id}:{list_name.value}:{query.kind.value}:{generation}:"
        f"{query.page}:{query.language}:{query.sort.value}"
    )

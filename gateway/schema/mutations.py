"""The four writes, each answering with the account after the change.

A write whose list invalidation the shared cache could not record in time is
answered all the same, with an `INVALIDATION_PENDING` warning in the response's
`extensions.warnings` naming its field: other replicas may then serve the list as
it was before the write until their cached copy expires (README, "Redis").
"""

import contextlib
from collections.abc import Iterator

import strawberry

from gateway.accounts.service import AccountService
from gateway.schema.accounts import Account, resolve_account
from gateway.schema.context import Context
from gateway.upstream.models import MediaKind

_ACCOUNT_AFTER = "The account after the change: its lists here already reflect it."
INVALIDATION_PENDING = "INVALIDATION_PENDING"
INVALIDATION_PENDING_MESSAGE = (
    "The change is made, but the shared cache has not recorded it yet: other "
    "replicas of the gateway may show this list as it was before the change until "
    "their cached copy expires."
)

Info = strawberry.Info[Context, None]


@strawberry.type
class FavoritePayload:
    media_type: MediaKind
    media_id: int
    favorite: bool = strawberry.field(
        description="The new favorite status, as upstream reports it."
    )
    account: Account | None = strawberry.field(
        resolver=resolve_account, description=_ACCOUNT_AFTER
    )


@strawberry.type
class WatchlistPayload:
    media_type: MediaKind
    media_id: int
    watchlist: bool = strawberry.field(
        description="The new watchlist status, as upstream reports it."
    )
    account: Account | None = strawberry.field(
        resolver=resolve_account, description=_ACCOUNT_AFTER
    )


@strawberry.type
class Rating:
    value: float


@strawberry.type
class RatingPayload:
    media_type: MediaKind
    media_id: int
    rated: Rating | None = strawberry.field(
        description="The rating now stored; null after deleteRating."
    )
    account: Account | None = strawberry.field(
        resolver=resolve_account, description=_ACCOUNT_AFTER
    )


@contextlib.contextmanager
def _writing(info: Info) -> Iterator[AccountService]:
    """The caller's service for one write; warns, at this field's path, if the
    write's invalidation is still pending when it ends, however it ends."""
    accounts = info.context.accounts
    try:
        yield accounts
    finally:
        if accounts.invalidation_pending():
            info.context.note_warning(
                INVALIDATION_PENDING, INVALIDATION_PENDING_MESSAGE, info.path.as_list()
            )


async def set_favorite(
    info: Info, media_type: MediaKind, media_id: int, favorite: bool
) -> FavoritePayload:
    with _writing(info) as accounts:
        status = await accounts.set_favorite(media_type, media_id, favorite)
    return FavoritePayload(media_type=media_type, media_id=media_id, favorite=status)


async def set_watchlist(
    info: Info, media_type: MediaKind, media_id: int, watchlist: bool
) -> WatchlistPayload:
    with _writing(info) as accounts:
        status = await accounts.set_watchlist(media_type, media_id, watchlist)
    return WatchlistPayload(media_type=media_type, media_id=media_id, watchlist=status)


async def rate(
    info: Info, media_type: MediaKind, media_id: int, rating: float
) -> RatingPayload:
    with _writing(info) as accounts:
        value = await accounts.rate(media_type, media_id, rating)
    rated = None if value is None else Rating(value=value)
    return RatingPayload(media_type=media_type, media_id=media_id, rated=rated)


async def delete_rating(
    info: Info, media_type: MediaKind, media_id: int
) -> RatingPayload:
    with _writing(info) as accounts:
        await accounts.delete_rating(media_type, media_id)
    return RatingPayload(media_type=media_type, media_id=media_id, rated=None)


@strawberry.type
class Mutation:
    set_favorite: FavoritePayload = strawberry.mutation(
        resolver=set_favorite,
        description="Add (favorite: true) or remove (false) a movie or TV show from "
        "the favorites.",
    )
    set_watchlist: WatchlistPayload = strawberry.mutation(
        resolver=set_watchlist,
        description="Add (watchlist: true) or remove (false) a movie or TV show from "
        "the watchlist.",
    )
    rate: RatingPayload = strawberry.mutation(
        resolver=rate,
        description="Rate a movie or TV show: 0.5 to 10.0 in steps of 0.5.",
    )
    delete_rating: RatingPayload = strawberry.mutation(
        resolver=delete_rating,
        description="Remove the account's rating of a movie or TV show.",
    )

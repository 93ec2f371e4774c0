"""The four writes, each answering with the account after the change."""

import strawberry

from gateway.schema.accounts import Account, resolve_account
from gateway.schema.context import Context
from gateway.upstream.models import MediaKind

_ACCOUNT_AFTER = "The account after the change: its lists here already reflect it."

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


async def set_favorite(
    info: Info, media_type: MediaKind, media_id: int, favorite: bool
) -> FavoritePayload:
    status = await info.context.accounts.set_favorite(media_type, media_id, favorite)
    return FavoritePayload(media_type=media_type, media_id=media_id, favorite=status)


async def set_watchlist(
    info: Info, media_type: MediaKind, media_id: int, watchlist: bool
) -> WatchlistPayload:
    status = await info.context.accounts.set_watchlist(media_type, media_id, watchlist)
    return WatchlistPayload(media_type=media_type, media_id=media_id, watchlist=status)


async def rate(
    info: Info, media_type: MediaKind, media_id: int, rating: float
) -> RatingPayload:
    value = await info.context.accounts.rate(media_type, media_id, rating)
    rated = None if value is None else Rating(value=value)
    return RatingPayload(media_type=media_type, media_id=media_id, rated=rated)


async def delete_rating(
    info: Info, media_type: MediaKind, media_id: int
) -> RatingPayload:
    await info.context.accounts.delete_rating(media_type, media_id)
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

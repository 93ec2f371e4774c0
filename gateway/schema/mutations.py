"""The four writes, each answering with the account after the change."""

import strawberry

from gateway.schema.accounts import Account, resolve_account
from gateway.schema.context import Context
from gateway.upstream.models import MediaKind

_ACCOUNT_AFTER = "The account after the change: its lists here already reflect it."


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


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Add (favorite: true) or remove (false) a movie or TV show from "
        "the favorites."
    )
    async def set_favorite(
        self,
        info: strawberry.Info[Context, None],
        media_type: MediaKind,
        media_id: int,
        favorite: bool,
    ) -> FavoritePayload:
        status = await info.context.accounts.set_favorite(
            media_type, media_id, favorite
        )
        return FavoritePayload(
            media_type=media_type, media_id=media_id, favorite=status
        )

    @strawberry.mutation(
        description="Add (watchlist: true) or remove (false) a movie or TV show from "
        "the watchlist."
    )
    async def set_watchlist(
        self,
        info: strawberry.Info[Context, None],
        media_type: MediaKind,
        media_id: int,
        watchlist: bool,
    ) -> WatchlistPayload:
        status = await info.context.accounts.set_watchlist(
            media_type, media_id, watchlist
        )
        return WatchlistPayload(
            media_type=media_type, media_id=media_id, watchlist=status
        )

    @strawberry.mutation(
        description="Rate a movie or TV show: 0.5 to 10.0 in steps of 0.5."
    )
    async def rate(
        self,
        info: strawberry.Info[Context, None],
        media_type: MediaKind,
        media_id: int,
        rating: float,
    ) -> RatingPayload:
        value = await info.context.accounts.rate(media_type, media_id, rating)
        rated = None if value is None else Rating(value=value)
        return RatingPayload(media_type=media_type, media_id=media_id, rated=rated)

    @strawberry.mutation(
        description="Remove the account's rating of a movie or TV show."
    )
    async def delete_rating(
        self, info: strawberry.Info[Context, None], media_type: MediaKind, media_id: int
    ) -> RatingPayload:
        await info.context.accounts.delete_rating(media_type, media_id)
        return RatingPayload(media_type=media_type, media_id=media_id, rated=None)

"""The account, the root of everything a caller can read, and its three lists."""

from typing import Any, TypeVar

import strawberry

from gateway.accounts.arguments import ListQuery
from gateway.accounts.service import Served
from gateway.schema.connections import MediaConnection, connection_field
from gateway.schema.context import Context
from gateway.schema.media import MediaPage
from gateway.upstream import models
from gateway.upstream.models import ListName, MediaKind, SortOrder

T = TypeVar("T")


@strawberry.type
class Gravatar:
    hash: str | None


@strawberry.type
class Avatar:
    gravatar: Gravatar | None


def _list_field(list_name: ListName, description: str) -> Any:
    """A field reading one page of `list_name`, nullable so a failure stays local."""

    async def resolve(
        info: strawberry.Info[Context, None],
        media_type: MediaKind,
        page: int = 1,
        language: str = "en-US",
        sort_by: SortOrder = SortOrder.CREATED_AT_DESC,
    ) -> MediaPage | None:
        query = ListQuery.from_args(media_type, page, language, sort_by)
        served = await info.context.accounts.media_list(list_name, query)
        return MediaPage.from_model(_noted(info, served))

    return strawberry.field(resolver=resolve, description=description)


@strawberry.federation.type(keys=["id"], description="A user account of the REST API.")
class Account:
    id: int
    name: str
    username: str
    include_adult: bool
    iso_639_1: str
    iso_3166_1: str
    avatar: Avatar

    favorites: MediaPage | None = _list_field(
        ListName.FAVORITES, "The movies or TV shows marked as favorite."
    )
    watchlist: MediaPage | None = _list_field(
        ListName.WATCHLIST, "The movies or TV shows on the watchlist."
    )
    rated: MediaPage | None = _list_field(
        ListName.RATED, "The movies or TV shows the account rated, with its rating."
    )
    favorites_connection: MediaConnection | None = connection_field(ListName.FAVORITES)
    watchlist_connection: MediaConnection | None = connection_field(ListName.WATCHLIST)
    rated_connection: MediaConnection | None = connection_field(ListName.RATED)

    @classmethod
    def from_model(cls, account: models.Account) -> "Account":
        return cls(
            id=account.id,
            name=account.name,
            username=account.username,
            include_adult=account.include_adult,
            iso_639_1=account.iso_639_1,
            iso_3166_1=account.iso_3166_1,
            avatar=Avatar(gravatar=Gravatar(hash=account.gravatar_hash)),
        )

    @classmethod
    async def resolve_reference(
        cls, info: strawberry.Info[Context, None], id: int, **_: object
    ) -> "Account | None":
        """Only the caller's own account resolves; any other id is null."""
        account = _noted(info, await info.context.accounts.served_account())
        return cls.from_model(account) if account.id == int(id) else None


async def resolve_account(info: strawberry.Info[Context, None]) -> Account | None:
    """The caller's account, shared by `Query.account` and the mutation payloads."""
    served = await info.context.accounts.served_account()
    return Account.from_model(_noted(info, served))


def _noted(info: strawberry.Info[Context, None], served: Served[T]) -> T:
    """The served value; if it is stale, its field goes into `extensions.stale`."""
    if served.stale_age is not None:
        info.context.note_stale(info.path.as_list(), served.stale_age)
    return served.value


@strawberry.type
class Query:
    account: Account | None = strawberry.field(
        resolver=resolve_account,
        description="The account that the request's credentials belong to.",
    )

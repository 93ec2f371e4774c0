"""The account's lists as Relay cursor connections, for clients that page by cursor
(Apollo Client's `relayStylePagination`, Relay's `usePaginationFragment`)."""

from typing import Any, TypeVar

import strawberry

from gateway.accounts.arguments import ListQuery
from gateway.accounts.paging import ListTie, Slice, encode_cursor
from gateway.accounts.service import ServedWindow
from gateway.schema.context import Context
from gateway.schema.media import Media, media_of
from gateway.upstream.models import ListName, MediaKind, SortOrder

T = TypeVar("T")

_DESCRIPTION = (
    "`{list}` as a Relay cursor connection, across upstream pages. `first` (with "
    "`after`) pages forward, `last` (with `before`) backward; with neither, the "
    "first 20 items. `first`/`last` above 100, both at once, negative, or a cursor "
    "that is malformed or from another list, media type or order: BAD_USER_INPUT."
)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class MediaEdge:
    cursor: str = strawberry.field(
        description="Opaque; valid as `after`/`before` for the same list, media type "
        "and order."
    )
    node: Media


@strawberry.type(
    description="A Relay cursor connection over one of the account's lists."
)
class MediaConnection:
    edges: list[MediaEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(
        description="Items in the whole list (upstream total_results)."
    )

    @classmethod
    def from_window(cls, tie: ListTie, served: ServedWindow) -> "MediaConnection":
        edges = [
            MediaEdge(cursor=encode_cursor(tie, offset), node=media_of(item))
            for offset, item in served.edges
        ]
        page_info = PageInfo(
            has_next_page=served.window.has_next_page,
            has_previous_page=served.window.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return cls(edges=edges, page_info=page_info, total_count=served.total)


def connection_field(list_name: ListName) -> Any:
    """A connection over `list_name`, nullable so that a failing page stays local."""

    async def resolve(
        info: strawberry.Info[Context, None],
        media_type: MediaKind,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        last: int | None = strawberry.UNSET,
        before: str | None = strawberry.UNSET,
        language: str = "en-US",
        sort_by: SortOrder = SortOrder.CREATED_AT_DESC,
    ) -> MediaConnection | None:
        tie = ListTie(list_name, media_type, sort_by)
        wanted = Slice.from_args(
            tie, _given(first), _given(after), _given(last), _given(before)
        )
        query = ListQuery.from_args(media_type, 1, language, sort_by)
        served = await info.context.accounts.media_window(list_name, query, wanted)
        if served.stale_age is not None:
            info.context.note_stale(info.path.as_list(), served.stale_age)
        return MediaConnection.from_window(tie, served)

    description = _DESCRIPTION.format(list=list_name.value)
    return strawberry.field(resolver=resolve, description=description)


def _given(value: T | None) -> T | None:
    """An argument the client left out (UNSET) or sent as null is not given."""
    return None if value is strawberry.UNSET else value

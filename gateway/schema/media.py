"""Movies and TV shows as they appear in an account's lists, and their pages.

The list items are the upstream models themselves (`models.MediaItem`): each
field of Movie and TvShow is the model's attribute of the same name, and
`is_type_of` accepts the model of its kind, so a page is served without a copy
of each item (a strawberry object per item cost about 4 % of a cold request).
The page is the upstream's too (`models.MediaPage`), its items a tuple.
"""

from typing import Any, NoReturn, cast

import strawberry

from gateway.upstream import models
from gateway.upstream.models import MediaKind, SortOrder

strawberry.enum(
    MediaKind,
    name="MediaType",
    description="Kinds of media in the upstream API. MOVIE maps to `movie`/`movies`, "
    "TV to `tv`.",
)
strawberry.enum(
    SortOrder,
    name="ListSort",
    description="Order of a list, by when the item was added to it.",
)


class EntityFieldUnavailableError(AttributeError):
    """A field of a federation reference that the REST API cannot supply.

    An AttributeError, so that `hasattr` on a reference still answers False.
    """

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is only available on items read through a list.")
        self.field = field


@strawberry.interface(description="A movie or a TV show in one of the account's lists.")
class Media:
    id: int
    kind: MediaKind = strawberry.field(name="mediaType")
    title: str = strawberry.field(description="Movie title, or TV show name.")
    overview: str | None
    poster_path: str | None
    backdrop_path: str | None
    release_date: str | None = strawberry.field(
        description="Movie release date, or TV show first air date (YYYY-MM-DD)."
    )
    vote_average: float | None
    vote_count: int | None
    rating: float | None = strawberry.field(
        description="The account's own rating of this item, where the upstream list "
        "gives one (rated lists)."
    )

    @classmethod
    def resolve_type(cls, obj: Any, *_: Any) -> str:
        """The concrete type by media kind, without strawberry's generic search
        through every implementation (a fifth of executing a list page)."""
        return _TYPE_NAMES[obj.kind]


#: What Movie's and TvShow's `is_type_of` accept: an item of their kind, a list's
#: model or a federation reference. They run for every item of every list, so
#: all they read is bound here once: `MediaKind.MOVIE` read off the class costs
#: Python 3.11 more than the rest of the check, and a union built per call twice
#: what a tuple costs `isinstance`.
_ITEM_TYPES = (models.MediaItem, Media)
_MOVIE = MediaKind.MOVIE
_TV = MediaKind.TV


class _KeyOnly:
    """A federation reference to a movie or show: it knows its key and nothing else.

    The REST API has no endpoint that fetches one movie or show by id, so every
    field but `id` and `mediaType` is NOT_FOUND (the contract's federation note).
    """

    def __init__(self, id: int, kind: MediaKind) -> None:
        self.id = id
        self.kind = kind

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("_"):
            raise AttributeError(name)
        raise EntityFieldUnavailableError(name)


@strawberry.federation.type(
    keys=["id"], description="A movie in one of the account's lists."
)
class Movie(Media):
    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, _ITEM_TYPES) and obj.kind is _MOVIE

    @classmethod
    def resolve_reference(cls, id: int, **_: object) -> "Movie":
        return _MovieReference(int(id), MediaKind.MOVIE)


@strawberry.federation.type(
    keys=["id"], description="A TV show in one of the account's lists."
)
class TvShow(Media):
    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, _ITEM_TYPES) and obj.kind is _TV

    @classmethod
    def resolve_reference(cls, id: int, **_: object) -> "TvShow":
        return _TvShowReference(int(id), MediaKind.TV)


class _MovieReference(_KeyOnly, Movie):
    pass


class _TvShowReference(_KeyOnly, TvShow):
    pass


_TYPE_NAMES = {MediaKind.MOVIE: "Movie", MediaKind.TV: "TvShow"}


@strawberry.type(description="One page of a list, as the upstream API pages it.")
class MediaPage:
    page: int
    total_pages: int
    total_results: int
    results: list[Media]

    @classmethod
    def from_model(cls, page: models.MediaPage) -> "MediaPage":
        """The upstream page itself, as its items are: it has every field of
        this type under the same name, and an object type asks nothing of what
        it completes. A copy cost about 6 K instructions a page."""
        return cast(MediaPage, page)


def media_of(item: models.MediaItem) -> Media:
    """A list item as the Movie or TvShow it is served as: the model itself."""
    return cast(Media, item)

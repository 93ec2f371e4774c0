"""What the upstream REST account API answers, as frozen values.

Each `from_json` reads a decoded JSON body tolerantly: fields other than the ones
the gateway cannot do without may be missing, null or of the wrong type (they
become None, "" or False), and unknown fields are ignored. A body without what is
essential (an object, an integer `id`, a `results` list, ...) raises
`UpstreamBadBody`. `MediaPage.from_body` reads a page from its bytes to the same
value, most of it in msgspec's decoder. `to_json` writes the upstream shape back,
so that Redis can store a value as JSON and rebuild it with `from_json` (the
memory cache keeps the frozen value itself).

The endpoints are listed in the header of `contract/schema.graphql`; the upstream
follows TMDB v3 (https://developer.themoviedb.org/reference), whose spellings the
reference API also accepts.
"""

import enum
import math
import types
from dataclasses import dataclass
from typing import Annotated, Any, NamedTuple, Self

import msgspec
import orjson

from gateway.upstream.errors import UpstreamBadBody

_new_tuple = tuple.__new__


class MediaKind(enum.Enum):
    """A kind of media; the value is the singular path and body spelling."""

    MOVIE = "movie"
    TV = "tv"

    # Members are singletons, equal only to themselves: hashing them by identity
    # agrees with that, in C, where Enum hashes their name in Python (an item's
    # kind is looked up several times as a cold request reads and writes it).
    __hash__ = object.__hash__

    @property
    def plural(self) -> str:
        """The list path segment: `/account/{id}/favorites/movies` but `.../tv`."""
        return "movies" if self is MediaKind.MOVIE else "tv"


class ListName(enum.Enum):
    """An account list, spelled as in `/account/{id}/{list}/{movies|tv}`."""

    FAVORITES = "favorites"
    WATCHLIST = "watchlist"
    RATED = "rated"

    __hash__ = object.__hash__  # as MediaKind's: a page's memo key holds one


class SortOrder(enum.Enum):
    """The `sort_by` values of the account lists: by when the item was added."""

    CREATED_AT_ASC = "created_at.asc"
    CREATED_AT_DESC = "created_at.desc"

    __hash__ = object.__hash__  # as MediaKind's: a page's memo key holds one


@dataclass(frozen=True, slots=True)
class Account:
    """The account that the request's credentials belong to (`GET /api/account`)."""

    id: int
    name: str
    username: str
    include_adult: bool
    iso_639_1: str
    iso_3166_1: str
    gravatar_hash: str | None

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Build an Account; raises UpstreamBadBody unless it has an integer id."""
        # https://developer.themoviedb.org/reference/account-details
        obj = _object(data, "account")
        avatar = _object_or_empty(obj.get("avatar"))
        gravatar = _object_or_empty(avatar.get("gravatar"))
        return cls(
            id=_required_int(obj, "id", "account"),
            name=_str(obj.get("name")) or "",
            username=_str(obj.get("username")) or "",
            include_adult=obj.get("include_adult") is True,
            iso_639_1=_str(obj.get("iso_639_1")) or "",
            iso_3166_1=_str(obj.get("iso_3166_1")) or "",
            gravatar_hash=_str(gravatar.get("hash")),
        )

    def to_json(self) -> dict[str, object]:
        """Write the upstream shape that `from_json` reads back to an equal value."""
        return {
            "id": self.id,
            "name": self.name,
            "username": self.username,
            "include_adult": self.include_adult,
            "iso_639_1": self.iso_639_1,
            "iso_3166_1": self.iso_3166_1,
            "avatar": {"gravatar": {"hash": self.gravatar_hash}},
        }


# Which title and date fields an item of each kind carries, its own first: TMDB
# movies have title/release_date, TV shows name/first_air_date; take the other
# pair too, in case an upstream mixes them up.
_TITLE_KEYS = {
    MediaKind.MOVIE: ("title", "name", "original_title", "original_name"),
    MediaKind.TV: ("name", "title", "original_name", "original_title"),
}
_DATE_KEYS = {
    MediaKind.MOVIE: ("release_date", "first_air_date"),
    MediaKind.TV: ("first_air_date", "release_date"),
}


class MediaItem(NamedTuple):
    """A movie or TV show in one of the account's lists.

    `title` is never None because the contract's `title` is non-null; `rating` is
    the account's own rating, which only rated lists carry.

    A named tuple rather than a frozen dataclass: a cold request builds every item
    of its pages, and a frozen dataclass's `__init__` (one `object.__setattr__`
    per field) was the largest part of what an item cost. A tuple is as
    immutable and is built in one call.
    """

    id: int
    kind: MediaKind
    title: str
    overview: str | None
    poster_path: str | None
    backdrop_path: str | None
    release_date: str | None
    vote_average: float | None
    vote_count: int | None
    rating: float | None

    @classmethod
    def from_json(cls, data: object, kind: MediaKind) -> Self:
        """Build a `kind` item; raises UpstreamBadBody unless it has an integer id.

        Each field is first read as the upstream usually sends it (a plain str,
        int or finite float) and only otherwise through the tolerant readers:
        these are per item, and a page has dozens.
        """
        # https://developer.themoviedb.org/reference/account-get-favorites (and the
        # watchlist/rated lists, movies and tv): results[] items.
        obj = data if type(data) is dict else _object(data, "list item")
        get = obj.get
        title_keys, date_keys = _TITLE_KEYS[kind], _DATE_KEYS[kind]
        id_ = get("id")
        if type(id_) is not int:
            id_ = _required_int(obj, "id", "list item")
        title = get(title_keys[0])
        if type(title) is not str or not title:
            title = _first_str(obj, title_keys) or ""
        release_date = get(date_keys[0])
        if type(release_date) is not str or not release_date:
            release_date = _first_str(obj, date_keys)
        vote_average = get("vote_average")
        if type(vote_average) is not float or not math.isfinite(vote_average):
            vote_average = _float(vote_average)
        vote_count = get("vote_count")
        if type(vote_count) is not int:
            vote_count = _int(vote_count)
        overview, poster_path, backdrop_path = (
            get("overview"),
            get("poster_path"),
            get("backdrop_path"),
        )
        if type(overview) is not str:
            overview = _str(overview)
        if type(poster_path) is not str:
            poster_path = _str(poster_path)
        if type(backdrop_path) is not str:
            backdrop_path = _str(backdrop_path)
        rating = get("rating")
        # The tuple built directly: the named tuple's `__new__` is a Python
        # function around this very call.
        return _new_tuple(
            cls,
            (
                id_,
                kind,
                title,
                overview,
                poster_path,
                backdrop_path,
                release_date,
                vote_average,
                vote_count,
                None if rating is None else _float(rating),
            ),
        )

    def to_json(self) -> dict[str, object]:
        """Write the upstream shape of the item's kind (`rating` only if it has one)."""
        title_key, date_key = _TITLE_KEYS[self.kind][0], _DATE_KEYS[self.kind][0]
        data: dict[str, object] = {
            "id": self.id,
            title_key: self.title,
            "overview": self.overview,
            "poster_path": self.poster_path,
            "backdrop_path": self.backdrop_path,
            date_key: self.release_date,
            "vote_average": self.vote_average,
            "vote_count": self.vote_count,
        }
        if self.rating is not None:
            data["rating"] = self.rating
        return data


# Integers the fast reader takes: int64, where orjson too decodes an int (it
# does up to 2**64 - 1, then gives a float, which `_int` refuses). Any other is
# left to `from_json`.
_JsonInt = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


_TEXT = str | None
# What the fast reader decodes of an item: every field `MediaItem.from_json`
# reads, each absent, null or of its usual type. The title and date fields have
# generic names, which each kind's reader gives that kind's JSON names, in the
# order of `_TITLE_KEYS` and `_DATE_KEYS`.
_ITEM_FIELDS: tuple[tuple[str, Any] | tuple[str, Any, Any], ...] = (
    ("id", _JsonInt),
    *((name, _TEXT, None) for name in ("overview", "poster_path", "backdrop_path")),
    *((name, float | None, None) for name in ("vote_average", "rating")),
    ("vote_count", _JsonInt | None, None),
)
_NAMED_FIELDS = ("title", "title_2", "title_3", "title_4", "date", "date_2")
_PAGE_COUNTERS = ("page", "total_pages", "total_results")


def _page_reader(kind: MediaKind) -> "msgspec.json.Decoder[Any]":
    """The fast reader of a `kind` page: a struct of the fields `from_json` reads."""
    keys = (*_TITLE_KEYS[kind], *_DATE_KEYS[kind])
    named = [
        (name, _TEXT, msgspec.field(default=None, name=key))
        for name, key in zip(_NAMED_FIELDS, keys, strict=True)
    ]
    spelled = kind.name.title()
    item = msgspec.defstruct(f"_Wire{spelled}", [*_ITEM_FIELDS, *named], gc=False)
    page = msgspec.defstruct(
        f"_Wire{spelled}Page",
        [
            *((counter, _JsonInt) for counter in _PAGE_COUNTERS),
            ("results", types.GenericAlias(list, (item,))),
        ],
        gc=False,
    )
    return msgspec.json.Decoder(page)


_PAGE_READERS = {kind: _page_reader(kind) for kind in MediaKind}


@dataclass(frozen=True, slots=True)
class MediaPage:
    """One page of an account list, paged as the upstream pages it.

    `page`, `total_pages` and `total_results` are required integers: guessing them
    would make clients page wrongly, so a body without them is a bad body.
    """

    page: int
    total_pages: int
    total_results: int
    results: tuple[MediaItem, ...]

    @classmethod
    def from_json(cls, data: object, kind: MediaKind) -> Self:
        """Build a page of `kind` items.

        Raises UpstreamBadBody if the body is not an object, a counter is not an
        integer, `results` is not a list, or an item is not an object with an
        integer id.
        """
        # https://developer.themoviedb.org/reference/account-get-favorites:
        # {page, results, total_pages, total_results}
        obj = _object(data, "list page")
        results = obj.get("results")
        if not isinstance(results, list):
            raise UpstreamBadBody("list page: results is not a list")
        return cls(
            page=_required_int(obj, "page", "list page"),
            total_pages=_required_int(obj, "total_pages", "list page"),
            total_results=_required_int(obj, "total_results", "list page"),
            results=tuple(_items(results, kind)),
        )

    @classmethod
    def from_body(cls, body: bytes, kind: MediaKind) -> Self:
        """Decode `body` and build a page of `kind` items, as `from_json` would.

        The usual body is decoded straight into the fields the page reads, where
        unknown fields are skipped and never built: this took a list GET from
        about 800 K instructions to 590 K (callgrind, a 20-item page). Any other
        body goes to `orjson.loads` and `from_json`, and raises what they raise:
        ValueError if it is not JSON, UpstreamBadBody if it is not a page. One
        difference: a skipped field is not decoded, so what it holds (a number
        out of a float's range, invalid UTF-8) no longer makes the body not JSON.
        """
        try:
            # Built at import, so mypy sees none of its fields: the tests compare
            # every one with what `from_json` reads.
            wire: Any = _PAGE_READERS[kind].decode(body)
        # A ValidationError is a DecodeError; skipping a deeply nested unknown
        # field may exhaust the recursion limit, which orjson reports as not JSON.
        except (msgspec.DecodeError, RecursionError):
            return cls.from_json(orjson.loads(body), kind)
        # One comprehension, as `MediaItem.from_json` would make each item from
        # fields already of their type: no call per item.
        results = tuple(
            [
                _new_tuple(
                    MediaItem,
                    (
                        item.id,
                        kind,
                        item.title
                        or item.title_2
                        or item.title_3
                        or item.title_4
                        or "",
                        item.overview,
                        item.poster_path,
                        item.backdrop_path,
                        item.date or item.date_2 or None,
                        item.vote_average,
                        item.vote_count,
                        item.rating,
                    ),
                )
                for item in wire.results
            ]
        )
        return cls(wire.page, wire.total_pages, wire.total_results, results)

    def to_json(self) -> dict[str, object]:
        """Write the upstream shape; `from_json` with the same kind reads it back."""
        return {
            "page": self.page,
            "results": [item.to_json() for item in self.results],
            "total_pages": self.total_pages,
            "total_results": self.total_results,
        }


@dataclass(frozen=True, slots=True)
class Rated:
    """The account's rating of an item after a rating call; None once deleted."""

    value: float | None

    @classmethod
    def from_json(cls, data: object, requested: float | None) -> Self:
        """Read the answer to `POST`/`DELETE /api/{movie|tv}/{id}/rating`.

        `{"rated": {"value": v}}` gives v and `{"rated": null}` gives None. TMDB
        answers a status object instead, and then the value is the `requested`
        one (None for a DELETE). Raises UpstreamBadBody for any other body,
        including `"success": false`.
        """
        # https://developer.themoviedb.org/reference/movie-add-rating and
        # movie-delete-rating / tv-series-add-rating: TMDB's status object.
        obj = _object(data, "rating answer")
        if "rated" not in obj:
            _require_success(obj, "rating answer")
            return cls(requested)
        rated = obj["rated"]
        if rated is None:
            return cls(None)
        value = _float(rated.get("value")) if isinstance(rated, dict) else None
        if value is None:
            raise UpstreamBadBody("rating answer: rated has no numeric value")
        return cls(value)


def parse_toggle(data: object, field: str, requested: bool) -> bool:
    """Read the new flag from a favorite/watchlist answer.

    `field` is `"favorite"` or `"watchlist"`: the reference API answers
    `{field: bool}`. TMDB answers a status object instead, and then the flag is the
    `requested` one. Raises UpstreamBadBody for any other body, including
    `"success": false`.
    """
    # https://developer.themoviedb.org/reference/account-add-favorite and
    # account-add-to-watchlist: {"success": true, "status_code": 1, ...}
    obj = _object(data, f"{field} answer")
    if field not in obj:
        _require_success(obj, f"{field} answer")
        return requested
    flag = obj[field]
    if not isinstance(flag, bool):
        raise UpstreamBadBody(f"{field} answer: {field} is not a boolean")
    return flag


def _items(results: list[object], kind: MediaKind) -> list[MediaItem]:
    """Parse each item, naming the position of a bad one for the logs."""
    items = []
    for index, item in enumerate(results):
        try:
            items.append(MediaItem.from_json(item, kind))
        except UpstreamBadBody as exc:
            raise UpstreamBadBody(f"results[{index}]: {exc.reason}") from exc
    return items


def _require_success(obj: dict[str, object], what: str) -> None:
    if obj.get("success") is not True:
        raise UpstreamBadBody(f"{what}: neither the result nor success: true")


def _object(data: object, what: str) -> dict[str, object]:
    if not isinstance(data, dict):
        raise UpstreamBadBody(f"{what} is not a JSON object")
    return data


def _object_or_empty(data: object) -> dict[str, object]:
    return data if isinstance(data, dict) else {}


def _required_int(obj: dict[str, object], key: str, what: str) -> int:
    value = _int(obj.get(key))
    if value is None:
        raise UpstreamBadBody(f"{what}: {key} is not an integer")
    return value


def _int(value: object) -> int | None:
    if type(value) is int:  # the usual case, checked first
        return value
    # bool is a subclass of int, but `true` is no id or count.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    """Read a JSON number, ints included, as a finite float, else None.

    NaN, Infinity (which Python's json module decodes) and ints too large for a
    float cannot be GraphQL Floats, so they count as missing.
    """
    if type(value) is float:  # the usual case, checked first
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _first_str(obj: dict[str, object], keys: tuple[str, ...]) -> str | None:
    """The first non-empty string among `keys`.

    Empty strings are skipped because TMDB sends `"release_date": ""` for an
    unknown date, which the contract spells null.
    """
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
    return None

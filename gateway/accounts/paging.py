"""Relay cursor connections over the upstream's numbered pages: the arithmetic.

A connection names a window of items by cursor and count; upstream serves pages
by number. The page size is not part of the REST API: it is read off page 1
(`page_size`), which assumes that every page but the last is full, as the
reference API's pages and TMDB's are.

A cursor is an item's offset in its list, tied to the list, media type and order
it came from: base64url of `v1:<list>:<kind>:<sort>:<offset>`. The language is
not part of it, since it changes titles, not which items a list holds or their
order. An offset says nothing about the item that was there: when the list
changes between two requests, the window moves with the offsets (README,
"Connections").

The window and `pageInfo` follow the Relay Cursor Connections specification
(https://relay.dev/graphql/connections.htm#sec-Pagination-algorithm). Offsets
let the gateway tell whether items lie before `after` or after `before`, so it
says so where the specification leaves that to the server.
"""

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Self, TypeVar

from gateway.accounts.arguments import MAX_PAGE, InvalidArgumentError
from gateway.upstream.errors import UpstreamBadBody
from gateway.upstream.models import ListName, MediaKind, SortOrder

DEFAULT_FIRST = 20
MAX_COUNT = 100
_VERSION = "v1"
_CURSOR = re.compile(
    r"v1:(?P<tie>[a-z]+:[a-z]+:[a-z_.]+):(?P<offset>0|[1-9][0-9]{0,8})"
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ListTie:
    """What a cursor belongs to: one list, of one media type, in one order."""

    list_name: ListName
    kind: MediaKind
    sort: SortOrder

    @property
    def text(self) -> str:
        return f"{self.list_name.value}:{self.kind.value}:{self.sort.value}"


def encode_cursor(tie: ListTie, offset: int) -> str:
    """The opaque cursor of the item at `offset` in the list `tie` names."""
    return _base64(f"{_VERSION}:{tie.text}:{offset}")


def decode_cursor(tie: ListTie, cursor: str, argument: str) -> int:
    """The offset `cursor` holds; raises `InvalidArgumentError` for anything but a
    cursor `encode_cursor` gives for the same `tie`."""
    text = _unbase64(cursor)
    match = _CURSOR.fullmatch(text) if text is not None else None
    if match is None or _base64(match[0]) != cursor:
        raise InvalidArgumentError(argument, f"{argument} is not a cursor.")
    if match["tie"] != tie.text:
        raise InvalidArgumentError(
            argument,
            f"{argument} is a cursor of another list, media type or order.",
        )
    return int(match["offset"])


def page_size(results: int, total: int) -> int:
    """Items per upstream page, from page 1's `results` length and `total_results`.

    Page 1 is full unless it holds the whole list, and then any size covers it.
    Raises `UpstreamBadBody` for an empty page 1 of a list that has items.
    """
    if results == 0 and total > 0:
        raise UpstreamBadBody(f"list page 1 is empty, but total_results is {total}")
    return max(results, 1)


@dataclass(frozen=True, slots=True)
class Window:
    """Items `start` to `end` (exclusive) of a list, and what lies beyond them."""

    start: int
    end: int
    has_previous_page: bool
    has_next_page: bool

    def pages(self, size: int) -> range:
        """The numbers of the upstream pages of `size` items that hold the window."""
        if self.end <= self.start:
            return range(1, 1)
        return range(self.start // size + 1, (self.end - 1) // size + 2)

    def edges(self, pages: Mapping[int, Sequence[T]], size: int) -> list[tuple[int, T]]:
        """(offset, item) of each item in the window, from `pages` by number.

        A page shorter than `size` yields the items it has: upstream's paging
        broke the assumption, and the offsets stay those of the full pages.
        """
        edges = []
        for number in self.pages(size):
            base = (number - 1) * size
            results = pages[number]
            first, last = max(self.start, base), min(self.end, base + len(results))
            edges += [(offset, results[offset - base]) for offset in range(first, last)]
        return edges


@dataclass(frozen=True, slots=True)
class Slice:
    """Which items a connection asks for, checked: build it with `from_args`.

    `count` items from the start (`from_end` False: `first`) or the end (`last`)
    of the items between the offsets `after` and `before` (both excluded).
    """

    count: int
    from_end: bool
    after: int | None
    before: int | None

    @classmethod
    def from_args(
        cls,
        tie: ListTie,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
    ) -> Self:
        """Raises `InvalidArgumentError` for both counts, a count off 0 to 100,
        or a cursor that is not one of this list, media type and order."""
        if first is not None and last is not None:
            raise InvalidArgumentError("last", "Pass first or last, not both.")
        for name, count in (("first", first), ("last", last)):
            if count is not None and not 0 <= count <= MAX_COUNT:
                raise InvalidArgumentError(
                    name, f"{name} must be between 0 and {MAX_COUNT}."
                )
        return cls(
            count=next((c for c in (first, last) if c is not None), DEFAULT_FIRST),
            from_end=last is not None,
            after=None if after is None else decode_cursor(tie, after, "after"),
            before=None if before is None else decode_cursor(tie, before, "before"),
        )

    def window(self, total: int, size: int) -> Window:
        """The window over a list of `total` items on pages of `size`.

        Items past upstream's last page (`MAX_PAGE`) cannot be read, so the list
        ends there for the window.
        """
        total = min(total, MAX_PAGE * size)
        low = 0 if self.after is None else min(self.after + 1, total)
        high = total if self.before is None else max(low, min(self.before, total))
        if self.from_end:
            start = max(low, high - self.count)
            return Window(start, high, start > low, high < total)
        end = min(high, low + self.count)
        return Window(low, end, low > 0, end < high)


def _base64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _unbase64(cursor: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return raw.decode("ascii")
    except (binascii.Error, ValueError):
        return None

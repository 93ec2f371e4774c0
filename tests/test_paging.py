"""The connection arithmetic on its own: cursors, windows, upstream pages, edges."""

import base64
import re

import pytest

from gateway.accounts.arguments import InvalidArgumentError
from gateway.accounts.paging import (
    ListTie,
    Slice,
    Window,
    decode_cursor,
    encode_cursor,
    page_size,
)
from gateway.upstream.errors import UpstreamBadBody
from gateway.upstream.models import ListName, MediaKind, SortOrder

TIE = ListTie(ListName.FAVORITES, MediaKind.MOVIE, SortOrder.CREATED_AT_DESC)
OTHER_TIES = [
    ListTie(ListName.WATCHLIST, MediaKind.MOVIE, SortOrder.CREATED_AT_DESC),
    ListTie(ListName.FAVORITES, MediaKind.TV, SortOrder.CREATED_AT_DESC),
    ListTie(ListName.FAVORITES, MediaKind.MOVIE, SortOrder.CREATED_AT_ASC),
]


def raw(text: str) -> str:
    """base64url without padding, as cursors are written."""
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def wanted(
    first: int | None = None,
    after: int | None = None,
    last: int | None = None,
    before: int | None = None,
) -> Slice:
    """A checked Slice from offsets, through real cursors."""
    return Slice.from_args(TIE, first, cursor_at(after), last, cursor_at(before))


def cursor_at(offset: int | None) -> str | None:
    return None if offset is None else encode_cursor(TIE, offset)


@pytest.mark.parametrize("offset", [0, 1, 19, 20, 999_999_999])
@pytest.mark.parametrize(
    "tie",
    [
        ListTie(list_name, kind, sort)
        for list_name in ListName
        for kind in MediaKind
        for sort in SortOrder
    ],
)
def test_a_cursor_holds_its_offset_for_its_own_list(tie: ListTie, offset: int) -> None:
    cursor = encode_cursor(tie, offset)
    assert decode_cursor(tie, cursor, "after") == offset
    assert re.fullmatch("[A-Za-z0-9_-]+", cursor)  # URL-safe, unpadded


@pytest.mark.parametrize("other", OTHER_TIES)
def test_a_cursor_of_another_list_kind_or_order_is_refused(other: ListTie) -> None:
    with pytest.raises(InvalidArgumentError, match="another list") as refused:
        decode_cursor(TIE, encode_cursor(other, 5), "before")
    assert refused.value.argument == "before"


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "5",
        "not a cursor",
        "é",
        raw("v1:favorites:movie:created_at.desc"),
        raw("v1:favorites:movie:created_at.desc:-1"),
        raw("v1:favorites:movie:created_at.desc:05"),
        raw("v1:favorites:movie:created_at.desc:1e3"),
        raw("v1:favorites:movie:created_at.desc:1000000000"),
        raw("v2:favorites:movie:created_at.desc:5"),
        raw("v1:favorites:movie:created_at.desc:5:x"),
        raw("v1:favorites:movie:created_at.desc:5") + "==",
        "@" + raw("v1:favorites:movie:created_at.desc:5"),
        base64.b64encode(b"\xff\xfe:5").decode(),
    ],
)
def test_anything_but_a_cursor_is_malformed(cursor: str) -> None:
    with pytest.raises(InvalidArgumentError, match="not a cursor") as refused:
        decode_cursor(TIE, cursor, "after")
    assert refused.value.argument == "after"


@pytest.mark.parametrize(
    ("results", "total", "size"),
    [(20, 45, 20), (20, 21, 20), (20, 20, 20), (3, 3, 3), (7, 100, 7), (0, 0, 1)],
)
def test_the_page_size_is_read_off_page_one(
    results: int, total: int, size: int
) -> None:
    assert page_size(results, total) == size


def test_an_empty_first_page_of_a_list_with_items_is_a_bad_body() -> None:
    with pytest.raises(UpstreamBadBody, match="total_results is 5"):
        page_size(0, 5)


@pytest.mark.parametrize(
    ("args", "refused"),
    [
        ({"first": 101}, "first"),
        ({"last": 101}, "last"),
        ({"first": -1}, "first"),
        ({"last": -1}, "last"),
        ({"first": 1, "last": 1}, "last"),
        ({"first": 0, "last": 0}, "last"),
        ({"after": "nope"}, "after"),
        ({"before": "nope"}, "before"),
    ],
)
def test_bad_slices_are_refused(args: dict, refused: str) -> None:
    full = {"first": None, "after": None, "last": None, "before": None} | args
    with pytest.raises(InvalidArgumentError) as error:
        Slice.from_args(TIE, **full)
    assert error.value.argument == refused


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, Slice(20, False, None, None)),
        ({"first": 0}, Slice(0, False, None, None)),
        ({"first": 100}, Slice(100, False, None, None)),
        ({"last": 100}, Slice(100, True, None, None)),
        ({"last": 3, "before": 9}, Slice(3, True, None, 9)),
        ({"after": 9}, Slice(20, False, 9, None)),
        ({"before": 9}, Slice(20, False, None, 9)),
    ],
)
def test_slices_from_arguments(args: dict, expected: Slice) -> None:
    assert wanted(**args) == expected


# (slice arguments, total items) -> window (start, end, hasPrevious, hasNext): the
# Relay specification's pagination algorithm, with offsets for cursors.
WINDOWS = [
    ({}, 45, Window(0, 20, False, True)),
    ({"first": 100}, 45, Window(0, 45, False, False)),
    ({"first": 45}, 45, Window(0, 45, False, False)),
    ({"first": 44}, 45, Window(0, 44, False, True)),
    ({"first": 0}, 45, Window(0, 0, False, True)),
    ({"first": 7, "after": 16}, 45, Window(17, 24, True, True)),
    ({"first": 7, "after": 0}, 45, Window(1, 8, True, True)),
    ({"first": 7, "after": 40}, 45, Window(41, 45, True, False)),
    ({"first": 5, "after": 44}, 45, Window(45, 45, True, False)),
    ({"first": 5, "after": 80}, 45, Window(45, 45, True, False)),
    ({"last": 5}, 45, Window(40, 45, True, False)),
    ({"last": 100}, 45, Window(0, 45, False, False)),
    ({"last": 0}, 45, Window(45, 45, True, False)),
    ({"last": 5, "before": 23}, 45, Window(18, 23, True, True)),
    ({"last": 5, "before": 3}, 45, Window(0, 3, False, True)),
    ({"last": 5, "before": 0}, 45, Window(0, 0, False, True)),
    ({"last": 5, "before": 80}, 45, Window(40, 45, True, False)),
    # Both cursors: the count applies between them.
    ({"first": 10, "after": 5, "before": 9}, 45, Window(6, 9, True, False)),
    ({"last": 2, "after": 5, "before": 20}, 45, Window(18, 20, True, True)),
    ({"first": 3, "after": 30, "before": 10}, 45, Window(31, 31, True, False)),
    ({"before": 9}, 45, Window(0, 9, False, False)),
    # An empty list.
    ({}, 0, Window(0, 0, False, False)),
    ({"last": 20}, 0, Window(0, 0, False, False)),
    ({"first": 5, "after": 3}, 0, Window(0, 0, False, False)),
    # Past upstream's 500th page of 20 there is nothing to read.
    ({"last": 5}, 20_000, Window(9_995, 10_000, True, False)),
    ({"first": 5, "after": 9_998}, 20_000, Window(9_999, 10_000, True, False)),
]


@pytest.mark.parametrize(("args", "total", "window"), WINDOWS)
def test_windows_follow_the_relay_algorithm(
    args: dict, total: int, window: Window
) -> None:
    assert wanted(**args).window(total, 20) == window


@pytest.mark.parametrize(
    ("window", "size", "pages"),
    [
        (Window(0, 20, False, True), 20, [1]),
        (Window(0, 21, False, True), 20, [1, 2]),
        (Window(19, 21, True, True), 20, [1, 2]),
        (Window(20, 40, True, True), 20, [2]),
        (Window(17, 24, True, True), 20, [1, 2]),
        (Window(0, 45, False, False), 20, [1, 2, 3]),
        (Window(5, 5, True, True), 20, []),
        (Window(3, 5, True, True), 1, [4, 5]),
        (Window(0, 100, False, True), 20, [1, 2, 3, 4, 5]),
        (Window(1, 101, True, True), 20, [1, 2, 3, 4, 5, 6]),
    ],
)
def test_a_window_needs_exactly_the_pages_that_hold_it(
    window: Window, size: int, pages: list[int]
) -> None:
    assert list(window.pages(size)) == pages


def test_edges_carry_their_offsets_across_page_boundaries() -> None:
    pages = {1: list(range(20)), 2: list(range(20, 40)), 3: list(range(40, 45))}
    for start in range(46):
        for end in range(start, 46):
            edges = Window(start, end, False, False).edges(pages, 20)
            assert edges == [(n, n) for n in range(start, end)]


def test_a_short_page_gives_the_items_it_has_at_their_offsets() -> None:
    pages = {1: list(range(20)), 2: list(range(20, 35))}
    edges = Window(30, 40, True, True).edges(pages, 20)
    assert edges == [(n, n) for n in range(30, 35)]

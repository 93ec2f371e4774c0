import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.upstream.errors import UpstreamBadBody
from gateway.upstream.models import (
    Account,
    ListName,
    MediaItem,
    MediaKind,
    MediaPage,
    Rated,
    SortOrder,
    parse_toggle,
)

ACCOUNT = {
    "id": 42,
    "name": "Ada",
    "username": "ada",
    "include_adult": True,
    "iso_639_1": "en",
    "iso_3166_1": "GB",
    "avatar": {"gravatar": {"hash": "c0ffee"}, "tmdb": {"avatar_path": None}},
}
MOVIE = {
    "id": 550,
    "title": "Fight Club",
    "overview": "An insomniac...",
    "poster_path": "/p.jpg",
    "backdrop_path": "/b.jpg",
    "release_date": "1999-10-15",
    "vote_average": 8.4,
    "vote_count": 26000,
}
SHOW = {
    "id": 1399,
    "name": "Game of Thrones",
    "overview": "Seven noble families...",
    "poster_path": "/g.jpg",
    "backdrop_path": None,
    "first_air_date": "2011-04-17",
    "vote_average": 8.4,
    "vote_count": 21000,
    "origin_country": ["US"],
}
EMPTY_MOVIE = MediaItem(
    550, MediaKind.MOVIE, "", None, None, None, None, None, None, None
)


def test_enum_values_are_the_rest_spellings() -> None:
    assert [k.value for k in MediaKind] == ["movie", "tv"]
    assert [k.plural for k in MediaKind] == ["movies", "tv"]
    assert [n.value for n in ListName] == ["favorites", "watchlist", "rated"]
    assert [o.value for o in SortOrder] == ["created_at.asc", "created_at.desc"]


def test_account_reads_the_documented_shape() -> None:
    assert Account.from_json(ACCOUNT) == Account(
        id=42,
        name="Ada",
        username="ada",
        include_adult=True,
        iso_639_1="en",
        iso_3166_1="GB",
        gravatar_hash="c0ffee",
    )


def test_account_fields_other_than_id_may_be_missing() -> None:
    assert Account.from_json({"id": 42}) == Account(42, "", "", False, "", "", None)


def test_account_fields_of_the_wrong_type_or_null_get_defaults() -> None:
    data = {
        "id": 42,
        "name": None,
        "username": 7,
        "include_adult": "yes",
        "iso_639_1": ["en"],
        "iso_3166_1": None,
        "avatar": {"gravatar": {"hash": 123}},
    }

    assert Account.from_json(data) == Account(42, "", "", False, "", "", None)


@pytest.mark.parametrize("avatar", [None, "x", {"gravatar": None}, {"gravatar": []}])
def test_account_avatar_of_the_wrong_shape_has_no_hash(avatar: object) -> None:
    assert Account.from_json({"id": 42, "avatar": avatar}).gravatar_hash is None


@pytest.mark.parametrize(
    "data",
    [
        {"name": "no id"},
        {"id": None},
        {"id": "42"},
        {"id": 42.0},
        {"id": True},
        [ACCOUNT],
        "account",
        None,
    ],
)
def test_account_without_an_integer_id_is_a_bad_body(data: object) -> None:
    with pytest.raises(UpstreamBadBody):
        Account.from_json(data)


def test_movie_reads_the_documented_shape() -> None:
    assert MediaItem.from_json(MOVIE, MediaKind.MOVIE) == MediaItem(
        id=550,
        kind=MediaKind.MOVIE,
        title="Fight Club",
        overview="An insomniac...",
        poster_path="/p.jpg",
        backdrop_path="/b.jpg",
        release_date="1999-10-15",
        vote_average=8.4,
        vote_count=26000,
        rating=None,
    )


def test_tv_reads_name_and_first_air_date_and_ignores_unknown_fields() -> None:
    show = MediaItem.from_json(SHOW, MediaKind.TV)

    assert (show.kind, show.title, show.release_date) == (
        MediaKind.TV,
        "Game of Thrones",
        "2011-04-17",
    )
    assert show.backdrop_path is None


def test_tv_accepts_the_movie_field_names() -> None:
    data = {"id": 1, "title": "Show", "release_date": "2020-01-01"}
    show = MediaItem.from_json(data, MediaKind.TV)

    assert (show.title, show.release_date) == ("Show", "2020-01-01")


def test_movie_accepts_the_tv_field_names() -> None:
    data = {"id": 1, "name": "Film", "first_air_date": "2020-01-01"}
    movie = MediaItem.from_json(data, MediaKind.MOVIE)

    assert (movie.title, movie.release_date) == ("Film", "2020-01-01")


def test_each_kind_prefers_its_own_field_names() -> None:
    data = {
        "id": 1,
        "title": "T",
        "name": "N",
        "release_date": "2001-01-01",
        "first_air_date": "2002-02-02",
    }
    movie = MediaItem.from_json(data, MediaKind.MOVIE)
    show = MediaItem.from_json(data, MediaKind.TV)

    assert (movie.title, movie.release_date) == ("T", "2001-01-01")
    assert (show.title, show.release_date) == ("N", "2002-02-02")


@pytest.mark.parametrize(
    ("data", "title"),
    [
        ({"original_title": "Orig"}, "Orig"),
        ({"original_name": "Orig N"}, "Orig N"),
        ({"title": None, "name": 5, "original_title": "Orig"}, "Orig"),
        ({"title": "", "name": "Named"}, "Named"),
        ({}, ""),
    ],
)
def test_title_falls_back_to_other_names_then_empty(
    data: dict[str, object], title: str
) -> None:
    assert MediaItem.from_json({"id": 1, **data}, MediaKind.MOVIE).title == title


def test_empty_release_date_is_none() -> None:
    # TMDB sends "" for an unknown date.
    item = MediaItem.from_json({"id": 1, "release_date": ""}, MediaKind.MOVIE)

    assert item.release_date is None


def test_rated_items_carry_the_account_rating() -> None:
    item = MediaItem.from_json({**MOVIE, "rating": 7.5}, MediaKind.MOVIE)

    assert item.rating == 7.5


def test_ints_are_accepted_for_float_fields() -> None:
    item = MediaItem.from_json(
        {"id": 1, "vote_average": 8, "rating": 10}, MediaKind.MOVIE
    )

    assert (item.vote_average, item.rating) == (8.0, 10.0)
    assert isinstance(item.vote_average, float)
    assert isinstance(item.rating, float)


def test_item_fields_but_id_may_be_missing() -> None:
    assert MediaItem.from_json({"id": 550}, MediaKind.MOVIE) == EMPTY_MOVIE


def test_item_fields_that_are_null_become_none() -> None:
    nulls = {key: None for key in MOVIE if key != "id"}

    assert MediaItem.from_json(
        {"id": 550, **nulls, "rating": None}, MediaKind.MOVIE
    ) == (EMPTY_MOVIE)


def test_item_fields_of_the_wrong_type_become_none() -> None:
    data = {
        "id": 550,
        "title": 1,
        "overview": ["x"],
        "poster_path": 3,
        "backdrop_path": {},
        "release_date": 1999,
        "vote_average": "8.4",
        "vote_count": 26000.0,
        "rating": True,
    }

    assert MediaItem.from_json(data, MediaKind.MOVIE) == EMPTY_MOVIE


@pytest.mark.parametrize("number", [float("nan"), float("inf"), 10**400])
def test_numbers_that_are_no_graphql_float_become_none(number: float) -> None:
    item = MediaItem.from_json({"id": 1, "vote_average": number}, MediaKind.MOVIE)

    assert item.vote_average is None


def test_vote_count_true_is_not_a_count() -> None:
    item = MediaItem.from_json({"id": 1, "vote_count": True}, MediaKind.MOVIE)

    assert item.vote_count is None


@pytest.mark.parametrize(
    "data", [{}, {"id": None}, {"id": "550"}, {"id": 5.5}, {"id": False}, [1], 550]
)
def test_item_without_an_integer_id_is_a_bad_body(data: object) -> None:
    with pytest.raises(UpstreamBadBody):
        MediaItem.from_json(data, MediaKind.MOVIE)


def test_page_reads_the_documented_shape() -> None:
    data = {"page": 2, "results": [SHOW], "total_pages": 3, "total_results": 41}
    page = MediaPage.from_json(data, MediaKind.TV)

    assert (page.page, page.total_pages, page.total_results) == (2, 3, 41)
    assert page.results == (MediaItem.from_json(SHOW, MediaKind.TV),)


def test_empty_page() -> None:
    data = {"page": 1, "results": [], "total_pages": 0, "total_results": 0}

    assert MediaPage.from_json(data, MediaKind.MOVIE) == MediaPage(1, 0, 0, ())


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "page",
        {"page": 1, "total_pages": 1, "total_results": 0},
        {"page": 1, "results": None, "total_pages": 1, "total_results": 0},
        {"page": 1, "results": {"0": MOVIE}, "total_pages": 1, "total_results": 1},
    ],
)
def test_page_without_a_results_list_is_a_bad_body(data: object) -> None:
    with pytest.raises(UpstreamBadBody):
        MediaPage.from_json(data, MediaKind.MOVIE)


@pytest.mark.parametrize("key", ["page", "total_pages", "total_results"])
@pytest.mark.parametrize("value", [None, "1", 1.0, True])
def test_page_counters_must_be_integers(key: str, value: object) -> None:
    data = {"page": 1, "results": [], "total_pages": 1, "total_results": 0}
    data[key] = value

    with pytest.raises(UpstreamBadBody, match=key):
        MediaPage.from_json(data, MediaKind.MOVIE)


@pytest.mark.parametrize("key", ["page", "total_pages", "total_results"])
def test_page_counters_are_required(key: str) -> None:
    data: dict[str, object] = {
        "page": 1,
        "results": [],
        "total_pages": 1,
        "total_results": 0,
    }
    del data[key]

    with pytest.raises(UpstreamBadBody, match=key):
        MediaPage.from_json(data, MediaKind.MOVIE)


@pytest.mark.parametrize("bad_item", ["550", None, [MOVIE], {"title": "no id"}])
def test_page_with_a_bad_item_is_a_bad_body_naming_its_position(
    bad_item: object,
) -> None:
    data = {
        "page": 1,
        "results": [MOVIE, bad_item],
        "total_pages": 1,
        "total_results": 2,
    }

    with pytest.raises(UpstreamBadBody, match=r"results\[1\]") as caught:
        MediaPage.from_json(data, MediaKind.MOVIE)
    assert isinstance(caught.value.__cause__, UpstreamBadBody)


@pytest.mark.parametrize("field", ["favorite", "watchlist"])
@pytest.mark.parametrize("flag", [True, False])
def test_toggle_reads_the_reference_answer(field: str, flag: bool) -> None:
    assert parse_toggle({field: flag}, field, requested=not flag) is flag


@pytest.mark.parametrize("requested", [True, False])
def test_toggle_reads_a_tmdb_status_object_as_the_requested_flag(
    requested: bool,
) -> None:
    status = {"success": True, "status_code": 13, "status_message": "Deleted."}

    assert parse_toggle(status, "favorite", requested) is requested


@pytest.mark.parametrize(
    "data",
    [
        {"success": False, "status_code": 34, "status_message": "Not found."},
        {"status_code": 1, "status_message": "Success."},
        {"success": "true"},
        {"favorite": "yes"},
        {"favorite": None},
        {"watchlist": True},
        {},
        [True],
        True,
        None,
    ],
)
def test_toggle_bad_bodies(data: object) -> None:
    with pytest.raises(UpstreamBadBody):
        parse_toggle(data, "favorite", requested=True)


def test_rated_reads_the_reference_answers() -> None:
    assert Rated.from_json({"rated": {"value": 8.5}}, requested=8.5) == Rated(8.5)
    assert Rated.from_json({"rated": {"value": 8}}, requested=8.0) == Rated(8.0)
    assert Rated.from_json({"rated": None}, requested=None) == Rated(None)


def test_rated_prefers_the_upstream_value_over_the_requested_one() -> None:
    assert Rated.from_json({"rated": {"value": 7.0}}, requested=6.5) == Rated(7.0)


@pytest.mark.parametrize("requested", [9.5, None])
def test_rated_reads_a_tmdb_status_object_as_the_requested_value(
    requested: float | None,
) -> None:
    status = {"success": True, "status_code": 1, "status_message": "Success."}

    assert Rated.from_json(status, requested) == Rated(requested)


@pytest.mark.parametrize(
    "data",
    [
        {"success": False, "status_code": 34},
        {"status_code": 1},
        {},
        {"rated": {}},
        {"rated": {"value": "8.5"}},
        {"rated": {"value": None}},
        {"rated": 8.5},
        {"rated": False},
        [],
        None,
    ],
)
def test_rated_bad_bodies(data: object) -> None:
    with pytest.raises(UpstreamBadBody):
        Rated.from_json(data, requested=8.5)


def through_json(data: dict[str, object]) -> Any:
    """Serialise as the cache does, so the round trip covers JSON itself."""
    return json.loads(json.dumps(data))


def test_account_round_trips_to_the_upstream_shape() -> None:
    account = Account.from_json(ACCOUNT)
    data = account.to_json()

    assert data == {key: value for key, value in ACCOUNT.items() if key != "avatar"} | {
        "avatar": {"gravatar": {"hash": "c0ffee"}}
    }
    assert Account.from_json(through_json(data)) == account


def test_page_round_trips_to_the_upstream_shape_per_kind() -> None:
    shows = {"page": 1, "results": [SHOW], "total_pages": 1, "total_results": 1}
    page = MediaPage.from_json(shows, MediaKind.TV)
    item = page.to_json()["results"]

    assert item == [
        {key: value for key, value in SHOW.items() if key != "origin_country"}
    ]
    assert MediaPage.from_json(through_json(page.to_json()), MediaKind.TV) == page


def test_item_to_json_writes_rating_only_when_there_is_one() -> None:
    rated = MediaItem.from_json({**MOVIE, "rating": 6.0}, MediaKind.MOVIE)

    assert rated.to_json()["rating"] == 6.0
    assert "rating" not in MediaItem.from_json(MOVIE, MediaKind.MOVIE).to_json()


# Values as from_json produces them: dates are never "", numbers are finite.
texts = st.text(max_size=20)
optional_texts = st.none() | texts
optional_floats = st.none() | st.floats(allow_nan=False, allow_infinity=False)
optional_ints = st.none() | st.integers()

accounts = st.builds(
    Account,
    id=st.integers(),
    name=texts,
    username=texts,
    include_adult=st.booleans(),
    iso_639_1=texts,
    iso_3166_1=texts,
    gravatar_hash=optional_texts,
)


@st.composite
def pages(draw: st.DrawFn) -> tuple[MediaKind, MediaPage]:
    kind = draw(st.sampled_from(MediaKind))
    item = st.builds(
        MediaItem,
        id=st.integers(),
        kind=st.just(kind),
        title=texts,
        overview=optional_texts,
        poster_path=optional_texts,
        backdrop_path=optional_texts,
        release_date=st.none() | st.text(min_size=1, max_size=10),
        vote_average=optional_floats,
        vote_count=optional_ints,
        rating=optional_floats,
    )
    results = tuple(draw(st.lists(item, max_size=5)))
    counters = st.integers(min_value=0)
    return kind, MediaPage(draw(counters), draw(counters), draw(counters), results)


@given(accounts)
def test_account_to_json_round_trips(account: Account) -> None:
    assert Account.from_json(through_json(account.to_json())) == account


@given(pages())
def test_page_to_json_round_trips(kind_and_page: tuple[MediaKind, MediaPage]) -> None:
    kind, page = kind_and_page

    assert MediaPage.from_json(through_json(page.to_json()), kind) == page


# `MediaPage.from_body` against `from_json` of what orjson decodes: bodies with
# every field the readers look at, of any JSON type, and fields they ignore.
ITEM_KEYS = (
    "id",
    "title",
    "name",
    "original_title",
    "original_name",
    "overview",
    "poster_path",
    "backdrop_path",
    "release_date",
    "first_air_date",
    "vote_average",
    "vote_count",
    "rating",
)
# Around the edges of int64, where orjson gives an int up to 2**64 - 1 and then
# a float.
edge_ints = st.sampled_from(
    [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1]
)
usual_texts = st.none() | st.sampled_from(["", "A"]) | st.text(max_size=8)
json_scalars = (
    edge_ints
    | st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson gives a float for those
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "x", "1999-10-15", "é\x00"])
    | st.text(max_size=5)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
usual_values = {
    "id": st.integers(min_value=-(2**63), max_value=2**63 - 1) | edge_ints,
    "vote_average": st.none()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False),
    "vote_count": st.none() | st.integers(min_value=0, max_value=2**40) | edge_ints,
    "rating": st.none() | st.floats(min_value=0.5, max_value=10),
}


@st.composite
def page_bodies(draw: st.DrawFn, usual: bool) -> bytes:
    """A page's JSON text; `usual` draws each field of its usual type."""

    def value(key: str) -> object:
        if usual:
            return draw(usual_values.get(key, usual_texts))
        return draw(json_values)

    def item() -> object:
        keys = draw(st.lists(st.sampled_from(ITEM_KEYS), unique=True))
        known = {key: value(key) for key in keys if usual or draw(st.booleans())}
        known.setdefault("id", value("id"))
        unknown = draw(st.dictionaries(st.sampled_from(["adult", "x"]), json_values))
        return {**unknown, **known}

    items = [item() for _ in range(draw(st.integers(0, 4)))]
    if not usual and draw(st.booleans()):
        items.append(draw(json_values))
    page: dict[str, object] = {"results": items}
    for counter in ("page", "total_pages", "total_results"):
        page[counter] = draw(st.integers(0, 500)) if usual else value(counter)
    if not usual and draw(st.booleans()):
        page["results"] = draw(json_values)
    return json.dumps(page, ensure_ascii=draw(st.booleans())).encode()


def read_as_before(body: bytes, kind: MediaKind) -> object:
    """What `orjson.loads` and `from_json` make of `body`: a page or an error."""
    try:
        return MediaPage.from_json(orjson.loads(body), kind)
    except (ValueError, UpstreamBadBody) as exc:
        return type(exc), str(exc)


def read_from_body(body: bytes, kind: MediaKind) -> object:
    try:
        return MediaPage.from_body(body, kind)
    except (ValueError, UpstreamBadBody) as exc:
        return type(exc), str(exc)


@pytest.mark.parametrize("usual", [True, False])
@given(data=st.data())
def test_a_page_read_from_its_body_is_read_as_from_json_reads_it(
    usual: bool, data: st.DataObject
) -> None:
    """repr tells 0.0 from -0.0 and 1 from 1.0, which == does not."""
    kind = data.draw(st.sampled_from(MediaKind))
    body = data.draw(page_bodies(usual))
    assert repr(read_from_body(body, kind)) == repr(read_as_before(body, kind))


def page_of(*items: bytes) -> bytes:
    return (
        b'{"page": 1, "total_pages": 1, "total_results": 1, "results": ['
        + b", ".join(items)
        + b"]}"
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        page_of() + b" x",
        page_of(b'{"id": NaN}'),
        b'{"page": 1e999, "total_pages": 1, "total_results": 0, "results": []}',
        page_of(b'{"id": 18446744073709551616}'),
        page_of(b'{"id": 1, "vote_count": 18446744073709551616}'),
        page_of(b'{"id": 1, "title": "\\ud800"}'),
        page_of(b'{"id": 1, "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
        page_of(b'{"id": 1, "title": "A", "title": 7}'),
        page_of(b'{"id": 1, "vote_average": -0, "rating": 8}'),
        page_of(b'{"id": 1, "vote_average": -0.0, "rating": 1e-400}'),
        page_of(b'{"id": 1, "release_date": "", "first_air_date": ""}'),
        page_of(b'{"id": 1, "release_date": null, "first_air_date": ""}'),
        page_of(b'{"id": 1, "release_date": "", "first_air_date": "2001-02-03"}'),
        page_of(b'{"id": 1, "title": "", "name": "", "original_title": ""}'),
        page_of(b'{"id": 1, "title": "", "name": "", "original_name": "O"}'),
        page_of(b'{"id": 1, "name": "N", "original_title": "T"}'),
        page_of(
            b'{"id": 1, "title": "T", "name": "N", "release_date": "R", '
            b'"first_air_date": "F"}'
        ),
    ],
)
@pytest.mark.parametrize("kind", MediaKind)
def test_odd_bodies_are_read_from_their_bytes_as_before(
    body: bytes, kind: MediaKind
) -> None:
    assert repr(read_from_body(body, kind)) == repr(read_as_before(body, kind))


@pytest.mark.parametrize(
    "unread",
    [b"1e999", b'"\xff"', b'"\xed\xa0\x80"'],
    ids=["out-of-range number", "invalid UTF-8", "encoded surrogate"],
)
def test_what_a_field_nobody_reads_holds_is_not_decoded(unread: bytes) -> None:
    """Where the body differs from what orjson takes: orjson refuses the whole
    body, `from_body` skips the field unread, as it skips any unknown field."""
    body = (
        b'{"page": 1, "total_pages": 1, "total_results": 1, "results": '
        b'[{"id": 7, "title": "A", "extra": ' + unread + b"}]}"
    )
    with pytest.raises(ValueError):
        orjson.loads(body)
    page = MediaPage.from_body(body, MediaKind.MOVIE)
    assert [(item.id, item.title) for item in page.results] == [(7, "A")]

"""The reference REST API against its documented surface, over real HTTP."""

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from multidict import CIMultiDictProxy
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.reference_api import (
    ALICE,
    BOB,
    CATALOGUE,
    INITIAL_ENTRIES,
    MOVIES,
    TV_SHOWS,
    Account,
    Calls,
    Faults,
    create_app,
    demo_routes,
    generated_accounts,
)
from gateway.reference_api.limiter import RateLimiter
from harness.servers import run_server

MOVIE_KEYS = {
    "id", "title", "original_title", "overview", "poster_path", "backdrop_path",
    "release_date", "vote_average", "vote_count", "popularity", "adult", "genre_ids",
    "original_language", "video",
}  # fmt: skip
TV_KEYS = {
    "id", "name", "original_name", "overview", "poster_path", "backdrop_path",
    "first_air_date", "vote_average", "vote_count", "popularity", "genre_ids",
    "origin_country", "original_language",
}  # fmt: skip
LISTS = ["favorites", "watchlist", "rated"]
MEDIA = ["movies", "tv"]
NOT_FOUND = {"message": "Not found"}


@dataclass
class Reply:
    status: int
    body: Any
    headers: CIMultiDictProxy[str]


@dataclass
class Api:
    """A running reference API and an HTTP session to call it with."""

    url: str
    http: aiohttp.ClientSession

    async def call(
        self,
        method: str,
        path: str,
        *,
        caller: Account | None = ALICE,
        body: Any = None,
        raw: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Call `path` as `caller` (bearer token); every answer must be JSON."""
        sent = dict(headers or {})
        if caller is not None:
            sent["Authorization"] = f"Bearer {caller.token}"
        data = raw if raw is not None else None if body is None else json.dumps(body)
        async with self.http.request(
            method, self.url + path, data=data, headers=sent
        ) as response:
            assert response.content_type == "application/json"
            text = await response.text()
            return Reply(response.status, json.loads(text), response.headers)

    async def ids(self, path: str, caller: Account = ALICE) -> list[int]:
        reply = await self.call("GET", path, caller=caller)
        assert reply.status == 200
        return [item["id"] for item in reply.body["results"]]


@contextlib.asynccontextmanager
async def serving(**options: Any) -> AsyncIterator[Api]:
    """The API mounted at /api as the gateway mounts it, whose store is then closed."""
    app = create_app(**options)
    async with (
        run_server(Starlette(routes=[Mount("/api", app)])) as server,
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
    ):
        yield Api(f"{server.url}/api", http)
    app.state.store.close()


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with serving() as running:
        yield running


def seeded(account: Account, list_name: str, media_type: str) -> list[int]:
    """The seed's ids of one list, newest first as the default sort returns them."""
    return [
        e.media_id
        for e in reversed(INITIAL_ENTRIES)
        if (e.account_id, e.list_name, e.media_type)
        == (account.id, list_name, media_type)
    ]


def test_catalogue_is_large_and_holds_the_seeded_items() -> None:
    assert len(MOVIES) >= 100
    assert len(TV_SHOWS) >= 50
    assert CATALOGUE["movie", 550].to_json()["title"] == "Fight Club"
    assert CATALOGUE["tv", 1399].to_json()["name"] == "Game of Thrones"
    assert all((e.media_type, e.media_id) in CATALOGUE for e in INITIAL_ENTRIES)
    assert not [e for e in INITIAL_ENTRIES if e.account_id == BOB.id]


async def test_account_with_bearer_token(api: Api) -> None:
    reply = await api.call("GET", "/account")
    assert reply.status == 200
    assert reply.body == {
        "id": 12345,
        "name": ALICE.name,
        "username": "alice",
        "include_adult": False,
        "iso_639_1": "en",
        "iso_3166_1": "US",
        "avatar": {"gravatar": {"hash": ALICE.gravatar_hash}},
    }


async def test_account_with_session_cookie(api: Api) -> None:
    cookie = {"Cookie": f"session_id={BOB.token}"}
    reply = await api.call("GET", "/account", caller=None, headers=cookie)
    assert reply.status == 200
    assert reply.body == BOB.to_json()
    assert reply.body["avatar"] == {"gravatar": {"hash": None}}
    assert reply.body["include_adult"] is True


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nobody-token"},
        {"Authorization": f"Basic {ALICE.token}"},
        {"Cookie": "session_id=nobody-token"},
    ],
)
async def test_missing_or_unknown_credentials_are_401(
    api: Api, headers: dict[str, str]
) -> None:
    unauthenticated = {"message": "You are not authenticated"}
    for method, path, body in [
        ("GET", "/account", None),
        ("GET", "/account/12345/favorites/movies", None),
        ("POST", "/account/12345/favorite", {}),
        ("POST", "/movie/550/rating", {"rating": 8}),
        ("DELETE", "/movie/550/rating", None),
    ]:
        reply = await api.call(method, path, caller=None, body=body, headers=headers)
        assert (reply.status, reply.body) == (401, unauthenticated)
    assert await api.ids("/account/12345/rated/movies") == [550]


@pytest.mark.parametrize("media", MEDIA)
@pytest.mark.parametrize("list_name", LISTS)
async def test_every_list_returns_the_seeded_page(
    api: Api, list_name: str, media: str
) -> None:
    media_type = "movie" if media == "movies" else "tv"
    for account in (ALICE, BOB):
        path = f"/account/{account.id}/{list_name}/{media}"
        reply = await api.call("GET", path, caller=account)
        expected = seeded(account, list_name, media_type)
        assert reply.status == 200
        assert [item["id"] for item in reply.body["results"]] == expected
        assert reply.body["page"] == 1
        assert reply.body["total_results"] == len(expected)
        assert reply.body["total_pages"] == (1 if expected else 0)


async def test_items_have_the_tmdb_fields_of_their_kind(api: Api) -> None:
    movies = await api.call("GET", "/account/12345/favorites/movies")
    shows = await api.call("GET", "/account/12345/watchlist/tv")
    assert all(set(item) == MOVIE_KEYS for item in movies.body["results"])
    assert all(set(item) == TV_KEYS for item in shows.body["results"])
    show = shows.body["results"][0]
    assert (show["name"], show["first_air_date"]) == ("Game of Thrones", "2011-04-17")
    assert "title" not in show and "release_date" not in show


async def test_rated_items_carry_the_accounts_rating(api: Api) -> None:
    movies = await api.call("GET", "/account/12345/rated/movies")
    shows = await api.call("GET", "/account/12345/rated/tv")
    assert [(m["id"], m["rating"]) for m in movies.body["results"]] == [(550, 8.5)]
    assert set(movies.body["results"][0]) == MOVIE_KEYS | {"rating"}
    assert set(shows.body["results"][0]) == TV_KEYS | {"rating"}
    assert isinstance(shows.body["results"][0]["rating"], float)


async def test_pages_hold_20_items_in_both_orders(api: Api) -> None:
    added = [movie.id for movie in MOVIES[:45]]
    for media_id in added:
        body = {"media_type": "movie", "media_id": media_id, "favorite": True}
        assert (
            await api.call("POST", "/account/67890/favorite", caller=BOB, body=body)
        ).status == 200
    path = "/account/67890/favorites/movies"
    pages = [await api.call("GET", f"{path}?page={n}", caller=BOB) for n in (1, 2, 3)]
    assert [len(p.body["results"]) for p in pages] == [20, 20, 5]
    assert {(p.body["total_pages"], p.body["total_results"]) for p in pages} == {
        (3, 45)
    }
    newest_first = [item["id"] for p in pages for item in p.body["results"]]
    assert newest_first == added[::-1]
    oldest_first = await api.ids(f"{path}?sort_by=created_at.asc", caller=BOB)
    assert oldest_first == added[:20]
    assert (
        await api.ids(f"{path}?sort_by=created_at.desc", caller=BOB) == added[:-21:-1]
    )


async def test_a_page_past_the_end_is_empty(api: Api) -> None:
    reply = await api.call("GET", "/account/12345/favorites/movies?page=500")
    assert reply.status == 200
    assert reply.body == {
        "page": 500,
        "results": [],
        "total_pages": 1,
        "total_results": 3,
    }


@pytest.mark.parametrize("page", ["0", "501", "abc", "1.5", "-1", "", "+2", "01"])
async def test_a_page_outside_1_to_500_is_400(api: Api, page: str) -> None:
    reply = await api.call("GET", f"/account/12345/favorites/movies?page={page}")
    assert reply.status == 400
    assert "page" in reply.body["message"]


@pytest.mark.parametrize("sort_by", ["created_at", "title.asc", "CREATED_AT.ASC", ""])
async def test_an_unknown_sort_is_400(api: Api, sort_by: str) -> None:
    reply = await api.call("GET", f"/account/12345/rated/tv?sort_by={sort_by}")
    assert reply.status == 400
    assert "sort_by" in reply.body["message"]


async def test_language_is_accepted_when_well_formed(api: Api) -> None:
    for language in ("en", "en-US", "fr-FR"):
        path = f"/account/12345/favorites/movies?language={language}"
        assert await api.ids(path) == [13, 680, 550]
    for language in ("english", "EN", "en_US", "e"):
        path = f"/account/12345/favorites/movies?language={language}"
        reply = await api.call("GET", path)
        assert reply.status == 400
        assert "language" in reply.body["message"]


@pytest.mark.parametrize(
    ("flag", "list_name"), [("favorite", "favorites"), ("watchlist", "watchlist")]
)
async def test_toggling_adds_removes_and_keeps_first_position(
    api: Api, flag: str, list_name: str
) -> None:
    async def toggle(media_id: int, value: bool) -> None:
        body = {"media_type": "tv", "media_id": media_id, flag: value}
        reply = await api.call("POST", f"/account/67890/{flag}", caller=BOB, body=body)
        assert (reply.status, reply.body) == (200, {flag: value})

    for media_id in (1399, 1396, 1399):
        await toggle(media_id, True)
    shows, movies = (
        f"/account/67890/{list_name}/tv",
        f"/account/67890/{list_name}/movies",
    )
    assert await api.ids(shows, caller=BOB) == [1396, 1399]
    await toggle(1396, False)
    await toggle(1396, False)
    assert await api.ids(shows, caller=BOB) == [1399]
    assert await api.ids(movies, caller=BOB) == []


async def test_rating_adds_updates_in_place_and_deletes(api: Api) -> None:
    path = f"/account/{BOB.id}/rated/movies"
    for media_id, value in [(550, 7), (680, 9.5), (550, 10.0)]:
        reply = await api.call(
            "POST", f"/movie/{media_id}/rating", caller=BOB, body={"rating": value}
        )
        assert (reply.status, reply.body) == (200, {"rated": {"value": float(value)}})
    rated = await api.call("GET", path, caller=BOB)
    assert [(m["id"], m["rating"]) for m in rated.body["results"]] == [
        (680, 9.5),
        (550, 10.0),
    ]
    for _ in range(2):
        reply = await api.call("DELETE", "/movie/680/rating", caller=BOB)
        assert (reply.status, reply.body) == (200, {"rated": None})
    assert await api.ids(path, caller=BOB) == [550]


async def test_rating_a_tv_show(api: Api) -> None:
    reply = await api.call("POST", "/tv/1668/rating", caller=BOB, body={"rating": 0.5})
    assert reply.body == {"rated": {"value": 0.5}}
    rated = await api.call("GET", "/account/67890/rated/tv", caller=BOB)
    assert [(s["name"], s["rating"]) for s in rated.body["results"]] == [
        ("Friends", 0.5)
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"rating": 0}, "Value too low"),
        ({"rating": -1}, "Value too low"),
        ({"rating": 10.5}, "Value too high"),
        ({"rating": 7.25}, "multiple of 0.5"),
        ({"rating": "8"}, "number"),
        ({"rating": True}, "number"),
        ({"rating": None}, "number"),
        ({}, "number"),
        ([8], "JSON object"),
    ],
)
async def test_an_invalid_rating_is_400_and_changes_nothing(
    api: Api, body: Any, message: str
) -> None:
    reply = await api.call("POST", "/movie/550/rating", body=body)
    assert reply.status == 400
    assert message in reply.body["message"]
    rated = await api.call("GET", "/account/12345/rated/movies")
    assert [(m["id"], m["rating"]) for m in rated.body["results"]] == [(550, 8.5)]


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        "{}",
        '{"media_type": "movie", "media_id": 603}',
        '{"media_type": "movie", "favorite": true}',
        '{"media_id": 603, "favorite": true}',
        '{"media_type": "movies", "media_id": 603, "favorite": true}',
        '{"media_type": "movie", "media_id": "603", "favorite": true}',
        '{"media_type": "movie", "media_id": 603.0, "favorite": true}',
        '{"media_type": "movie", "media_id": true, "favorite": true}',
        '{"media_type": "movie", "media_id": 603, "favorite": "yes"}',
        '{"media_type": "movie", "media_id": 603, "favorite": 1}',
    ],
)
async def test_a_malformed_toggle_body_is_400_and_changes_nothing(
    api: Api, raw: str
) -> None:
    reply = await api.call("POST", "/account/12345/favorite", raw=raw)
    assert reply.status == 400
    assert reply.body["message"].startswith("Invalid")
    assert await api.ids("/account/12345/favorites/movies") == [13, 680, 550]


async def test_an_unknown_media_id_is_404_and_changes_nothing(api: Api) -> None:
    for method, path, body in [
        (
            "POST",
            "/account/12345/favorite",
            {"media_type": "movie", "media_id": 1, "favorite": True},
        ),
        (
            "POST",
            "/account/12345/watchlist",
            {"media_type": "tv", "media_id": 550, "watchlist": True},
        ),
        ("POST", "/movie/1399/rating", {"rating": 5}),
        ("POST", "/tv/999999/rating", {"rating": 5}),
        ("DELETE", "/movie/1/rating", None),
    ]:
        reply = await api.call(method, path, body=body)
        assert (reply.status, reply.body) == (404, NOT_FOUND)
    assert await api.ids("/account/12345/favorites/movies") == [13, 680, 550]
    assert await api.ids("/account/12345/watchlist/tv") == [1399]
    assert await api.ids("/account/12345/rated/movies") == [550]
    assert await api.ids("/account/12345/rated/tv") == [1396]


async def test_another_accounts_lists_are_404(api: Api) -> None:
    body = {"media_type": "movie", "media_id": 550, "favorite": True}
    for method, path, sent in [
        ("GET", f"/account/{BOB.id}/favorites/movies", None),
        ("GET", "/account/1/rated/tv", None),
        ("POST", f"/account/{BOB.id}/favorite", body),
    ]:
        reply = await api.call(method, path, body=sent)
        assert (reply.status, reply.body) == (404, NOT_FOUND)
    assert await api.ids(f"/account/{BOB.id}/favorites/movies", caller=BOB) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/account"),
        ("DELETE", "/account/12345/favorites/movies"),
        ("GET", "/account/12345/favorite"),
        ("PUT", "/account/12345/watchlist"),
        ("GET", "/movie/550/rating"),
        ("PUT", "/tv/1399/rating"),
    ],
)
async def test_a_wrong_method_is_405(api: Api, method: str, path: str) -> None:
    reply = await api.call(method, path)
    assert (reply.status, reply.body) == (405, {"message": "Method Not Allowed"})
    assert "Allow" in reply.headers


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nope",
        "/account/12345/likes/movies",
        "/account/12345/favorites/people",
        "/account/alice/favorites/movies",
        "/account/12345/favorites",
        "/person/1/rating",
        "/movie/abc/rating",
    ],
)
async def test_an_unknown_path_is_404_json(api: Api, path: str) -> None:
    reply = await api.call("GET", path)
    assert (reply.status, reply.body) == (404, NOT_FOUND)


async def test_the_rate_limit_is_per_token_with_retry_after() -> None:
    async with serving(rate_limit=2, rate_window=60.0) as api:
        assert [(await api.call("GET", "/account")).status for _ in range(2)] == [
            200,
            200,
        ]
        async with api.http.get(
            api.url + "/account", headers={"Authorization": f"Bearer {ALICE.token}"}
        ) as response:
            assert response.status == 429
            assert response.content_type == "application/json"
            assert await response.read() == b'"Rate Limit Exceeded"'
            assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert (await api.call("GET", "/account", caller=BOB)).status == 200
        anonymous = [
            (await api.call("GET", "/account", caller=None)).status for _ in range(3)
        ]
        assert anonymous == [401, 401, 429]


def test_the_rate_limiter_frees_slots_as_the_window_slides() -> None:
    now = [100.0]
    limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
    assert [limiter.admit("a"), limiter.admit("a"), limiter.admit("b")] == [None] * 3
    now[0] = 104.2
    assert limiter.admit("a") == 6
    now[0] = 110.0
    assert [limiter.admit("a"), limiter.admit("a")] == [None, None]
    now[0] = 119.5
    assert limiter.admit("a") == 1


async def test_a_forced_status_answers_with_its_documented_body() -> None:
    faults = Faults(status=503)
    async with serving(faults=faults) as api:
        reply = await api.call("GET", "/account")
        assert reply.status == 503
        assert set(reply.body) == {"message"}
        faults.status = 404
        assert (await api.call("POST", "/movie/550/rating")).body == NOT_FOUND
        faults.status = 429
        reply = await api.call("GET", "/account/12345/favorites/movies")
        assert (reply.status, reply.body) == (429, "Rate Limit Exceeded")
        faults.clear()
        assert (await api.call("GET", "/account")).status == 200


async def test_faults_with_times_apply_to_that_many_requests_only() -> None:
    faults = Faults(status=503, headers={"X-Fault": "yes"}, times=2)
    async with serving(faults=faults) as api:
        first, second, third = [await api.call("GET", "/account") for _ in range(3)]
        assert [first.status, second.status, third.status] == [503, 503, 200]
        assert "X-Fault" not in third.headers
        assert third.body == ALICE.to_json()
        assert faults.times == 0


async def test_a_forced_body_and_headers_replace_the_answer() -> None:
    faults = Faults(body='{"nope": 1}', headers={"Retry-After": "7"})
    async with serving(faults=faults) as api:
        reply = await api.call("GET", "/account")
        assert (reply.status, reply.body) == (200, {"nope": 1})
        assert reply.headers["Retry-After"] == "7"
        faults.body = None
        reply = await api.call("GET", "/account")
        assert reply.body == ALICE.to_json()
        assert reply.headers["Retry-After"] == "7"
        faults.status, faults.body = 500, "not json"
        async with api.http.get(api.url + "/account") as response:
            assert (response.status, await response.text()) == (500, "not json")


async def test_a_delay_outlasts_a_shorter_client_timeout() -> None:
    async with serving(faults=Faults(delay=30.0)) as api:
        timeout = aiohttp.ClientTimeout(total=0.2)
        with pytest.raises(TimeoutError):
            async with api.http.get(api.url + "/account", timeout=timeout):
                pass


async def test_calls_are_counted_per_route_template() -> None:
    calls = Calls()
    async with serving(calls=calls) as api:
        await api.call("GET", "/account")
        await api.call("GET", "/account/12345/favorites/movies")
        await api.call("GET", "/account/12345/rated/tv?page=0")
        await api.call("POST", "/account/12345/watchlist", body={})
        await api.call("DELETE", "/tv/1399/rating")
        await api.call("GET", "/nope")
        assert calls.to_json() == {
            "GET /account": 1,
            "GET /account/{account_id}/{list}/{media}": 2,
            "POST /account/{account_id}/watchlist": 1,
            "DELETE /{media_type}/{media_id}/rating": 1,
        }
        assert calls.count("POST /{media_type}/{media_id}/rating") == 0
        calls.reset()
        assert calls.total() == 0


async def test_a_file_database_keeps_its_lists_across_restarts(
    tmp_path: Path,
) -> None:
    db_path = str(tmp_path / "api.db")
    for media_id in (603, 604):
        async with serving(db_path=db_path) as api:
            body = {"media_type": "movie", "media_id": media_id, "favorite": True}
            await api.call("POST", "/account/67890/favorite", caller=BOB, body=body)
    async with serving(db_path=db_path) as api:
        assert await api.ids("/account/67890/favorites/movies", caller=BOB) == [
            604,
            603,
        ]
        assert await api.ids("/account/12345/favorites/movies") == [13, 680, 550]


async def test_apps_sharing_a_file_see_each_others_writes(tmp_path: Path) -> None:
    db_path = str(tmp_path / "api.db")
    async with serving(db_path=db_path) as one, serving(db_path=db_path) as two:
        for api, media_id in [(one, 603), (two, 604), (one, 605)]:
            body = {"media_type": "movie", "media_id": media_id, "watchlist": True}
            await api.call("POST", "/account/67890/watchlist", caller=BOB, body=body)
        for api in (one, two):
            path = "/account/67890/watchlist/movies?sort_by=created_at.asc"
            assert await api.ids(path, caller=BOB) == [603, 604, 605]


async def test_control_routes_drive_faults_and_calls() -> None:
    async with serving(control=True) as api:
        await api.call("GET", "/account")
        reply = await api.call("GET", "/__calls", caller=None)
        assert reply.body == {"GET /account": 1}
        put = {"status": 502, "headers": {"X-Fault": "yes"}}
        reply = await api.call("PUT", "/__faults", caller=None, body=put)
        assert reply.body == {
            "delay": 0.0,
            "status": 502,
            "body": None,
            "headers": put["headers"],
            "times": None,
        }
        reply = await api.call("GET", "/account")
        assert (reply.status, reply.headers["X-Fault"]) == (502, "yes")
        bad_faults = (
            {"status": "502"},
            {"delay": -1},
            {"colour": 1},
            {"times": -1},
            [1],
        )
        for bad in bad_faults:
            reply = await api.call("PUT", "/__faults", caller=None, body=bad)
            assert reply.status == 400
        assert (await api.call("GET", "/account")).status == 502
        await api.call("DELETE", "/__faults", caller=None)
        await api.call("DELETE", "/__calls", caller=None)
        assert (await api.call("GET", "/account")).status == 200
        assert (await api.call("GET", "/__calls", caller=None)).body == {
            "GET /account": 1
        }


async def test_control_routes_are_absent_by_default(api: Api) -> None:
    for method in ("GET", "DELETE"):
        reply = await api.call(method, "/__calls", caller=None)
        assert (reply.status, reply.body) == (404, NOT_FOUND)
    reply = await api.call("PUT", "/__faults", caller=None, body={"status": 500})
    assert reply.status == 404


async def test_demo_sign_in_sets_a_session_cookie_the_api_accepts() -> None:
    app = Starlette(routes=[*demo_routes(), Mount("/api", create_app())])
    async with (
        run_server(app) as server,
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
    ):
        async with http.get(f"{server.url}/demo") as page:
            assert "Sign in as alice" in await page.text()
        form = {"account": "alice"}
        async with http.post(
            f"{server.url}/demo/sign-in", data=form, allow_redirects=False
        ) as response:
            assert response.status == 303
            landing = urlsplit(response.headers["Location"])
            cookie = response.cookies["session_id"]
        assert landing.path == "/graphql"
        tab = {key: value for key, [value] in parse_qs(landing.fragment).items()}
        assert "query MyAccount" in tab["query"] and "alice" in tab["query"]
        assert json.loads(tab["headers"]) == {"Authorization": f"Bearer {ALICE.token}"}
        assert cookie.value == ALICE.token
        assert (
            cookie["httponly"] and cookie["samesite"] == "lax" and cookie["path"] == "/"
        )
        headers = {"Cookie": f"session_id={cookie.value}"}
        async with http.get(f"{server.url}/api/account", headers=headers) as response:
            assert (await response.json())["username"] == "alice"
        async with http.post(
            f"{server.url}/demo/sign-in", data={"account": "mallory"}
        ) as response:
            assert response.status == 400
        async with http.post(
            f"{server.url}/demo/sign-out", allow_redirects=False
        ) as response:
            assert (response.status, response.headers["Location"]) == (303, "/demo")
            assert response.cookies["session_id"].value == ""


async def test_generated_users_sign_in_with_their_own_tokens_and_lists() -> None:
    user1, user2 = generated_accounts(2)
    assert (user2.username, user2.token) == ("user2", "user2-token")
    async with serving(users=2) as api:
        reply = await api.call("GET", "/account", caller=user2)
        assert (reply.status, reply.body["id"]) == (200, user2.id)
        body = {"media_type": "movie", "media_id": 603, "favorite": True}
        await api.call("POST", f"/account/{user1.id}/favorite", caller=user1, body=body)
        assert await api.ids(f"/account/{user1.id}/favorites/movies", user1) == [603]
        assert await api.ids(f"/account/{user2.id}/favorites/movies", user2) == []
        reply = await api.call(
            "GET", f"/account/{user1.id}/favorites/movies", caller=user2
        )
        assert reply.status == 404


async def test_generated_users_exist_only_when_asked_for(api: Api) -> None:
    (user1,) = generated_accounts(1)
    assert (await api.call("GET", "/account", caller=user1)).status == 401

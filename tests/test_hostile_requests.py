"""Requests a browser could forge or a client could botch: refused quickly, clearly.

Each is answered in the GraphQL error shape with code BAD_USER_INPUT and a
`reason`, reaches no upstream endpoint and changes no data.
"""

import json
from unittest.mock import ANY

import aiohttp
import pytest

from harness.servers import RunningServer
from tests.conftest import ALICE, MEMORY_ONLY, Upstream

pytestmark = MEMORY_ONLY  # refused before any cache is asked

ADD_FAVORITE = (
    "mutation { setFavorite(mediaType: MOVIE, mediaId: 603, favorite: true) "
    "{ favorite } }"
)
ALICE_COOKIE = {"Cookie": "session_id=alice-token"}
MULTIPART = (
    '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n'
    f"{ADD_FAVORITE}\r\n--x--\r\n"
)


async def send(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    method: str,
    *,
    data: object = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], dict]:
    async with http.request(
        method,
        f"{gateway.url}/graphql",
        data=data,
        headers=headers,
        params=params,
        # Send no Content-Type at all unless the test gives one.
        skip_auto_headers=["Content-Type"],
    ) as response:
        return response.status, dict(response.headers), await response.json()


async def post_json(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    body: bytes,
    credentials: dict[str, str] = ALICE,
) -> tuple[int, dict[str, str], dict]:
    """POST `body` byte for byte, declared as JSON."""
    headers = {**credentials, "Content-Type": "application/json"}
    return await send(http, gateway, "POST", data=body, headers=headers)


def reason(body: dict) -> str:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    return str(error["extensions"]["reason"])


async def favorite_movie_ids(http: aiohttp.ClientSession, upstream: Upstream) -> set:
    url = f"{upstream.url}/account/12345/favorites/movies"
    async with http.get(url, headers=ALICE) as response:
        return {item["id"] for item in (await response.json())["results"]}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps({"query": ADD_FAVORITE})),
        ("text/plain;charset=UTF-8", json.dumps({"query": ADD_FAVORITE})),
        ("application/x-www-form-urlencoded", f"query={ADD_FAVORITE}"),
        (
            "multipart/form-data; boundary=x",
            MULTIPART,
        ),
        (None, json.dumps({"query": ADD_FAVORITE})),
    ],
)
async def test_simple_cross_site_posts_never_run_a_mutation(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    upstream: Upstream,
    content_type: str | None,
    body: str,
) -> None:
    before = await favorite_movie_ids(http, upstream)
    calls_before = upstream.calls.total()
    headers = {
        **ALICE_COOKIE,
        **({"Content-Type": content_type} if content_type else {}),
    }
    status, _, answer = await send(
        http, gateway, "POST", data=body.encode(), headers=headers
    )
    assert (status, reason(answer)) == (400, "CSRF_PREVENTED")
    assert upstream.calls.total() == calls_before
    assert await favorite_movie_ids(http, upstream) == before


async def test_a_refused_text_plain_post_says_what_works_and_that_works(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    body = json.dumps({"query": "{ account { id } }"}).encode()
    plain = {**ALICE, "Content-Type": "text/plain"}
    status, _, answer = await send(http, gateway, "POST", data=body, headers=plain)
    assert (status, reason(answer)) == (400, "CSRF_PREVENTED")
    message = answer["errors"][0]["message"]
    assert "'Content-Type: application/json'" in message
    assert "apollo-require-preflight" not in message  # a 415 would follow it
    advised = {**ALICE, "Content-Type": "application/json"}
    status, _, answer = await send(http, gateway, "POST", data=body, headers=advised)
    assert (status, answer) == (200, {"data": {"account": {"id": 12345}}})


@pytest.mark.parametrize(
    ("preflight", "status"),
    [
        ({}, 400),
        ({"apollo-require-preflight": "yes"}, 200),
        ({"x-apollo-operation-name": "yes"}, 200),
    ],
)
async def test_a_get_runs_a_query_only_with_a_preflight_header(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    upstream: Upstream,
    preflight: dict[str, str],
    status: int,
) -> None:
    answer = await send(
        http,
        gateway,
        "GET",
        params={"query": "{ account { id } }"},
        headers={**ALICE_COOKIE, **preflight},
    )
    if status == 400:
        assert (answer[0], reason(answer[2])) == (400, "CSRF_PREVENTED")
        assert "apollo-require-preflight" in answer[2]["errors"][0]["message"]
        assert upstream.calls.total() == 0
    else:
        assert answer[::2] == (200, {"data": {"account": {"id": 12345}}})


async def test_a_body_that_is_not_json_is_415_even_when_preflighted(
    http: aiohttp.ClientSession, gateway: RunningServer, upstream: Upstream
) -> None:
    for content_type in ("application/xml", "text/plain"):
        status, _, body = await send(
            http,
            gateway,
            "POST",
            data=b"<query/>",
            headers={
                **ALICE,
                "Content-Type": content_type,
                "apollo-require-preflight": "1",
            },
        )
        assert (status, reason(body)) == (415, "UNSUPPORTED_MEDIA_TYPE")
        assert "'Content-Type: application/json'" in body["errors"][0]["message"]
    assert upstream.calls.total() == 0


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_405_with_allow(
    http: aiohttp.ClientSession, gateway: RunningServer, method: str
) -> None:
    status, headers, body = await send(
        http,
        gateway,
        method,
        data=json.dumps({"query": ADD_FAVORITE}).encode(),
        headers={**ALICE, "Content-Type": "application/json"},
    )
    assert (status, reason(body)) == (405, "METHOD_NOT_ALLOWED")
    assert headers["Allow"] == "GET, POST"


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        json.dumps([{"query": "{ account { id } }"}] * 2).encode(),
        b'"{ account { id } }"',
        b"42",
        b'{"query": 7}',
        b'{"query": "{ account { id } }", "variables": [1]}',
        b"{}",
        b"\xff\xfe",
    ],
)
async def test_malformed_json_requests_are_clear_400s(
    http: aiohttp.ClientSession, gateway: RunningServer, upstream: Upstream, body: bytes
) -> None:
    status, _, answer = await post_json(http, gateway, body)
    assert (status, reason(answer)) == (400, "BAD_REQUEST")
    assert answer["errors"][0]["message"]
    assert upstream.calls.total() == 0


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("{ account " + "{ id " * 15_000 + "}" * 15_001, "nested too deeply"),
        ("{ account { " + "id " * 15_000 + "} }", "tokens"),
    ],
)
async def test_huge_queries_are_refused_while_parsing(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    upstream: Upstream,
    query: str,
    says: str,
) -> None:
    status, _, body = await post_json(
        http, gateway, json.dumps({"query": query}).encode()
    )
    assert status == 200
    assert reason(body) == "GRAPHQL_PARSE_FAILED"
    assert says in body["errors"][0]["message"]
    assert upstream.calls.total() == 0


NOT_JSON = (400, "Unable to parse request body as JSON", "BAD_REQUEST")
NOT_AN_OBJECT = (400, "The request body must be a JSON object.", "BAD_REQUEST")
NO_BATCHES = (400, "Batching is not enabled", "BAD_REQUEST")
VERSION = (
    200,
    "Unsupported persisted query version: send version 1.",
    "PERSISTED_QUERY_VERSION",
)


@pytest.mark.parametrize("credentials", [ALICE, {}], ids=["alice", "anonymous"])
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{nope", NOT_JSON),
        (b"\xff\xfe", NOT_JSON),
        (b'"{ account { id } }"', NOT_AN_OBJECT),
        (b"null", NOT_AN_OBJECT),
        (b"[]", NO_BATCHES),
        (json.dumps([{"query": "{ account { id } }"}] * 2).encode(), NO_BATCHES),
        (
            json.dumps([{"extensions": {"persistedQuery": {"version": 2}}}]).encode(),
            NO_BATCHES,
        ),
        (
            b'{"query": "{ account { id } }", "variables": [1]}',
            (
                400,
                "The GraphQL operation's `variables` must be an object or null, "
                "if provided.",
                "BAD_REQUEST",
            ),
        ),
        (
            b'{"query": "{ account { id } }", "operationName": 7}',
            (400, 'Unknown operation named "7".', "BAD_REQUEST"),
        ),
        (b'{"extensions": {"persistedQuery": {"version": 2}}}', VERSION),
        (b'{"query": "{ a }", "extensions": {"persistedQuery": 1}}', VERSION),
        (
            b'{"query": "{ a }", "extensions": '
            b'{"persistedQuery": {"version": 1, "sha256Hash": "00"}}}',
            (200, "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH"),
        ),
    ],
)
async def test_odd_bodies_get_the_answers_they_always_got(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    upstream: Upstream,
    body: bytes,
    expected: tuple[int, str, str],
    credentials: dict[str, str],
) -> None:
    """The request key, the persisted-query step and strawberry each read the
    body; whichever of them decodes it, an odd one is answered as it always was,
    with credentials (a request key is sought) or without."""
    status, _, answer = await post_json(http, gateway, body, credentials)
    assert (status, answer["errors"][0]["message"], reason(answer)) == expected
    assert upstream.calls.total() == 0


@pytest.mark.parametrize("credentials", [ALICE, {}], ids=["alice", "anonymous"])
async def test_odd_bodies_that_run_are_answered_as_always(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    credentials: dict[str, str],
) -> None:
    """A variable beyond 64 bits (no request key: orjson cannot write it back)
    and an unknown persisted query's hash."""
    big = b'{"query": "{ __typename }", "variables": {"n": 18446744073709551616}}'
    assert await post_json(http, gateway, big, credentials) == (
        200,
        ANY,
        {"data": {"__typename": "Query"}},
    )
    unknown = b'{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0"}}}'
    status, _, answer = await post_json(http, gateway, unknown, credentials)
    assert (status, answer) == (
        200,
        {
            "errors": [
                {
                    "message": "PersistedQueryNotFound",
                    "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
                }
            ]
        },
    )

"""`UpstreamClient` against an echo server: the exact requests that go upstream.

The echo server is a hand-written fake at the HTTP seam: it answers every request
with what it received, so the test can read paths, query strings and headers.
"""

import asyncio
import json
import urllib.parse
from collections.abc import AsyncIterator

import aiohttp
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from yarl import URL

from gateway.app import create_app
from gateway.edge.request_id import accept_request_id
from gateway.settings import Settings
from gateway.upstream.client import UpstreamClient
from gateway.upstream.credentials import Credentials
from gateway.upstream.models import ListName, MediaKind, SortOrder
from gateway.upstream.retry import RetryPolicy
from harness.servers import RunningServer, run_server
from tests.graphql_client import GraphQLClient

ALICE = {"Authorization": "Bearer alice-token"}
ALICE_CREDENTIALS = Credentials.from_headers(
    {b"authorization": ALICE["Authorization"].encode()},
    [("Authorization", b"authorization")],
)
TV_FAVORITES = """query ($language: String!) { account {
  favorites(mediaType: TV, language: $language, sortBy: CREATED_AT_ASC) {
    totalResults } } }"""


async def echo(request: Request) -> JSONResponse:
    """An account whose name is the request as received, and a cookie to keep."""
    seen = {
        "method": request.method,
        "path": request.url.path,
        "query": dict(request.query_params),
        "headers": {name.lower(): value for name, value in request.headers.items()},
    }
    body = {
        "id": 1,
        "name": json.dumps(seen),
        "page": 1,
        "total_pages": 0,
        "total_results": 0,
        "results": [],
    }
    response = JSONResponse(body)
    response.set_cookie("session_id", "from-upstream")
    return response


@pytest.fixture
async def echo_server() -> AsyncIterator[RunningServer]:
    app = Starlette(
        routes=[Route("/{path:path}", echo, methods=["GET", "POST", "DELETE"])]
    )
    async with run_server(app) as server:
        yield server


def seen(account_name: str) -> dict:
    """What the echo server received, from the account name it answered."""
    return json.loads(account_name)


@pytest.mark.parametrize(
    ("suffix", "language"),
    [
        ("/api", "fr-FR"),
        ("/api/", "fr-FR"),
        # Neither a root nor a language the gateway lets through, but the client's
        # callers may pass anything: each must arrive as given, encoded as aiohttp
        # encodes a URL and its `params`.
        ("/v3 api", "a b&sort_by=x#y?z/+%41é"),
    ],
)
async def test_paths_and_query_parameters_follow_the_contract(
    suffix: str, language: str
) -> None:
    root = suffix.rstrip("/")
    requests = []

    async def capture(request: Request) -> JSONResponse:
        requests.append((request.url.path, request.url.query))
        return JSONResponse(
            {"page": 3, "total_pages": 3, "total_results": 41, "results": []}
        )

    app = Starlette(routes=[Route("/{path:path}", capture)])
    async with run_server(app) as server, aiohttp.ClientSession() as session:
        client = UpstreamClient(session, base_url=f"{server.url}{suffix}")
        credentials = ALICE_CREDENTIALS
        for list_name, kind, sort in [
            (ListName.RATED, MediaKind.TV, SortOrder.CREATED_AT_ASC),
            (ListName.FAVORITES, MediaKind.MOVIE, SortOrder.CREATED_AT_DESC),
            (ListName.RATED, MediaKind.TV, SortOrder.CREATED_AT_ASC),
        ]:
            await client.list_media(
                credentials, 42, list_name, kind, page=3, language=language, sort=sort
            )
    queries = [
        {"page": "3", "language": language, "sort_by": sort}
        for sort in ("created_at.asc", "created_at.desc", "created_at.asc")
    ]
    assert [(path, parse_qs(query)) for path, query in requests] == [
        (f"{root}/account/42/rated/tv", queries[0]),
        (f"{root}/account/42/favorites/movies", queries[1]),
        (f"{root}/account/42/rated/tv", queries[2]),
    ]
    # Byte for byte what aiohttp sends for the same `params`.
    assert [query for _, query in requests] == [
        URL("http://upstream/").extend_query(each).raw_query_string for each in queries
    ]


def parse_qs(query: str) -> dict[str, str]:
    """A query string's parameters, each of which must appear once."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    assert len(pairs) == len(dict(pairs))
    return dict(pairs)


async def test_a_retry_that_is_the_last_attempt_gets_the_rest_of_the_deadline() -> None:
    """A 503 fast, then an answer slower than the attempt timeout but well inside
    the deadline: the retry, being the last attempt, waits for it. Each client
    reuses its attempts' timeouts, so this fails if a retry inherits the first
    attempt's."""
    answers = iter([503, 200])

    async def first_fails_then_slow(request: Request) -> JSONResponse:
        status = next(answers)
        if status == 200:
            await asyncio.sleep(0.8)
        return JSONResponse({"id": 1}, status_code=status)

    app = Starlette(routes=[Route("/{path:path}", first_fails_then_slow)])
    timeout = aiohttp.ClientTimeout(total=1.5)
    async with (
        run_server(app) as server,
        aiohttp.ClientSession(timeout=timeout) as session,
    ):
        retry = RetryPolicy(retries=1, backoff=0, attempt_timeout=0.3)
        client = UpstreamClient(session, base_url=f"{server.url}/api", retry=retry)
        account = await client.get_account(Credentials(()))
    assert account.id == 1


async def test_only_credentials_and_configured_headers_go_upstream(
    echo_server: RunningServer, http: aiohttp.ClientSession
) -> None:
    upstream = f"http://localhost:{echo_server.port}/api"
    settings = Settings(
        upstream_url=upstream, forward_headers=("Accept-Language",), account_ttl=0
    )
    async with run_server(create_app(settings)) as gateway:
        client = GraphQLClient(
            http,
            f"{gateway.url}/graphql",
            {
                **ALICE,
                "Cookie": "theme=dark",
                "Accept-Language": "fr",
                "X-Internal-Secret": "s3cret",
                "User-Agent": "spa/1.0",
            },
        )
        first = await client.query("{ account { name } }")
        second = await client.query("{ account { name } }")
    headers = seen(first.data["account"]["name"])["headers"]
    assert headers["authorization"] == "Bearer alice-token"
    assert headers["cookie"] == "theme=dark"
    assert headers["accept-language"] == "fr"
    assert "x-internal-secret" not in headers
    assert "spa/1.0" not in headers.get("user-agent", "")
    # The upstream's Set-Cookie was not kept for the next request.
    assert seen(second.data["account"]["name"])["headers"]["cookie"] == "theme=dark"


async def test_the_current_request_id_goes_upstream(
    echo_server: RunningServer,
) -> None:
    credentials = ALICE_CREDENTIALS
    async with aiohttp.ClientSession() as session:
        client = UpstreamClient(session, base_url=f"{echo_server.url}/api")
        before = await client.get_account(credentials)
        accept_request_id("req-42")
        after = await client.get_account(credentials)
    assert "x-request-id" not in seen(before.name)["headers"]
    assert seen(after.name)["headers"]["x-request-id"] == "req-42"


async def test_list_arguments_reach_upstream_and_key_the_cache(
    cache_url: str | None, http: aiohttp.ClientSession
) -> None:
    """A page in another language is another upstream request, with that language:
    a page cached for one language is never served for another."""
    requests = []

    async def capture(request: Request) -> JSONResponse:
        requests.append((request.url.path, dict(request.query_params)))
        return JSONResponse(
            {"id": 1, "page": 1, "total_pages": 0, "total_results": 0, "results": []}
        )

    app = Starlette(routes=[Route("/{path:path}", capture)])
    async with run_server(app) as server:
        # Cache keys, not retries, are tested: on a loaded machine an answer
        # slower than the attempt timeout would be asked for again.
        settings = Settings(
            upstream_url=f"{server.url}/api", cache_url=cache_url, upstream_retries=0
        )
        async with run_server(create_app(settings)) as gateway:
            client = GraphQLClient(http, f"{gateway.url}/graphql", ALICE)
            for language in ("fr", "en-US", "fr"):  # the last one from cache
                result = await client.query(TV_FAVORITES, {"language": language})
                assert result.errors == []
    assert [query for path, query in requests if path != "/api/account"] == [
        {"page": "1", "language": language, "sort_by": "created_at.asc"}
        for language in ("fr", "en-US")
    ]

"""GraphQL over HTTP: methods, media types, GraphiQL, health, CORS and limits."""

import json
from typing import Any

import aiohttp
from graphql import get_introspection_query
from starlette.types import ASGIApp, Message

from gateway.app import create_app
from gateway.settings import Settings
from harness.servers import RunningServer, bound_socket
from tests.conftest import ALICE, Upstream, running_gateway

ACCOUNT = "{ account { id } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"
PREFLIGHT = {"apollo-require-preflight": "true"}


async def post(
    http: aiohttp.ClientSession, server: RunningServer, body: object, **headers: str
) -> tuple[int, str, dict]:
    async with http.post(
        f"{server.url}/graphql", json=body, headers={**ALICE, **headers}
    ) as response:
        return (
            response.status,
            response.content_type,
            await response.json(content_type=None),
        )


async def test_get_runs_queries(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    async with http.get(
        f"{gateway.url}/graphql",
        params={"query": ACCOUNT},
        headers={**ALICE, **PREFLIGHT},
    ) as response:
        assert response.status == 200
        assert (await response.json())["data"]["account"]["id"] == 12345


async def test_get_never_runs_mutations(
    http: aiohttp.ClientSession, gateway: RunningServer, upstream: Upstream
) -> None:
    mutation = (
        "mutation { setFavorite(mediaType: MOVIE, mediaId: 603, favorite: true) "
        "{ favorite } }"
    )
    async with http.get(
        f"{gateway.url}/graphql",
        params={"query": mutation},
        headers={**ALICE, **PREFLIGHT},
    ) as response:
        assert response.status == 400
        body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert upstream.calls.total() == 0


async def test_graphql_response_media_type(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    status, content_type, body = await post(
        http,
        gateway,
        {"query": ACCOUNT},
        Accept=f"{GRAPHQL_RESPONSE}, application/json",
    )
    assert (status, content_type) == (200, GRAPHQL_RESPONSE)
    assert body["data"]["account"]["id"] == 12345


async def test_request_errors_are_400_with_no_data_under_graphql_response(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    status, content_type, body = await post(
        http, gateway, {"query": "{ account { id "}, Accept=GRAPHQL_RESPONSE
    )
    assert (status, content_type) == (400, GRAPHQL_RESPONSE)
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "reason": "GRAPHQL_PARSE_FAILED",
    }
    status, _, body = await post(
        http, gateway, {"query": "{ account { nope } }"}, Accept=GRAPHQL_RESPONSE
    )
    assert status == 400
    assert body["errors"][0]["extensions"]["reason"] == "GRAPHQL_VALIDATION_FAILED"


async def test_legacy_json_keeps_200_for_request_errors(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    status, content_type, body = await post(
        http, gateway, {"query": "{ account { nope } }"}
    )
    assert (status, content_type) == (200, "application/json")
    assert "data" not in body
    assert body["errors"][0]["extensions"]["reason"] == "GRAPHQL_VALIDATION_FAILED"


async def test_bad_variables_are_bad_user_input(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    query = "query ($t: MediaType!) { account { favorites(mediaType: $t) { page } } }"
    status, _, body = await post(
        http, gateway, {"query": query, "variables": {"t": "BOOK"}}
    )
    assert status == 200
    assert body["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "reason": "BAD_VARIABLE_VALUE",
    }


async def test_bad_json_is_a_clear_400(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    async with http.post(
        f"{gateway.url}/graphql",
        data=b"{nope",
        headers={"Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
        body = await response.json()
    assert "JSON" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "reason": "BAD_REQUEST",
    }


async def test_browsers_get_graphiql(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    async with http.get(
        f"{gateway.url}/graphql", headers={"Accept": "text/html"}
    ) as response:
        assert response.status == 200
        assert "graphiql" in (await response.text()).lower()


async def test_the_root_points_to_graphql_as_json_or_html(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    async with http.get(f"{gateway.url}/") as response:
        assert response.status == 200
        links = (await response.json())["links"]
    assert links[0]["href"] == "/graphql"
    assert "/demo" not in [link["href"] for link in links]  # not embedded here
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    async with http.get(f"{gateway.url}/", headers=browser) as response:
        assert response.content_type == "text/html"
        assert '<a href="/graphql">' in await response.text()


async def test_health_and_readiness(
    http: aiohttp.ClientSession, gateway: RunningServer, upstream: Upstream
) -> None:
    async with http.get(f"{gateway.url}/healthz") as response:
        assert (response.status, await response.json()) == (200, {"status": "ok"})
    async with http.get(f"{gateway.url}/readyz") as response:
        assert response.status == 200
        assert await response.json() == {
            "status": "ready",
            "upstream": "ok",
            "cache": "ok",
        }
    upstream.faults.status = 503
    async with http.get(f"{gateway.url}/readyz") as response:
        assert response.status == 503
        assert (await response.json())["upstream"] == "unavailable"


async def test_cors_allows_configured_origins_only(
    http: aiohttp.ClientSession, upstream: Upstream
) -> None:
    settings = Settings(
        upstream_url=upstream.url, cors_origins=("https://app.example",)
    )
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    async with running_gateway(settings) as server:
        async with http.options(
            f"{server.url}/graphql",
            headers={"Origin": "https://app.example", **preflight},
        ) as response:
            assert response.status == 200
            assert (
                response.headers["Access-Control-Allow-Origin"] == "https://app.example"
            )
        async with http.options(
            f"{server.url}/graphql",
            headers={"Origin": "https://evil.example", **preflight},
        ) as response:
            assert "Access-Control-Allow-Origin" not in response.headers


async def test_no_configured_origin_means_no_cross_origin_caller(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    async with http.options(
        f"{gateway.url}/graphql",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
        },
    ) as response:
        assert response.status == 405
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_oversized_body_is_413(
    http: aiohttp.ClientSession, upstream: Upstream
) -> None:
    settings = Settings(upstream_url=upstream.url, max_body_bytes=1000)
    async with running_gateway(settings) as server:
        status, _, body = await post(http, server, {"query": ACCOUNT + " " * 2000})
        assert status == 413
        assert body["errors"][0]["extensions"] == {
            "code": "BAD_USER_INPUT",
            "reason": "PAYLOAD_TOO_LARGE",
        }

        async def chunks():
            for _ in range(10):
                yield b" " * 500

        async with http.post(
            f"{server.url}/graphql",
            data=chunks(),
            headers={"Content-Type": "application/json"},
        ) as response:
            assert response.status == 413


async def test_a_body_in_several_asgi_messages_is_read_whole(
    settings: Settings,
) -> None:
    # uvicorn hands the app whatever body has arrived by the time it asks, so
    # over a socket the messages it makes cannot be chosen: here the app gets
    # the server's side of ASGI directly, the body in three messages.
    body = json.dumps({"query": ACCOUNT}).encode()
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        for _ in range(2):  # executed, then answered from the kept response
            parts = [body[:9], body[9:20], body[20:]]
            assert state is not None
            status, answer = await post_in_messages(app, dict(state), parts)
            assert status == 200
            assert json.loads(answer) == {"data": {"account": {"id": 12345}}}


async def post_in_messages(
    app: ASGIApp, state: dict[str, Any], parts: list[bytes]
) -> tuple[int, bytes]:
    """POST alice's `parts` to the app's `/graphql`, a message each; the status
    and the body of its answer."""
    messages = [
        {"type": "http.request", "body": part, "more_body": n < len(parts) - 1}
        for n, part in enumerate(parts)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"authorization", ALICE["Authorization"].encode()),
            (b"content-type", b"application/json"),
        ],
        "state": state,
    }
    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def test_deep_queries_are_refused_but_introspection_passes(
    http: aiohttp.ClientSession, gateway: RunningServer, upstream: Upstream
) -> None:
    status, _, body = await post(http, gateway, {"query": get_introspection_query()})
    assert status == 200 and "errors" not in body
    deep = (
        "{ __schema { types { "
        + "fields { type { " * 8
        + "name"
        + " } }" * 8
        + " } } }"
    )
    status, _, body = await post(http, gateway, {"query": deep})
    assert body["errors"][0]["extensions"]["reason"] == "GRAPHQL_VALIDATION_FAILED"
    assert upstream.calls.total() == 0


async def test_too_many_aliases_are_refused(
    http: aiohttp.ClientSession, gateway: RunningServer, upstream: Upstream
) -> None:
    aliases = " ".join(f"a{n}: account {{ id }}" for n in range(40))
    _, _, body = await post(http, gateway, {"query": "{ " + aliases + " }"})
    assert body["errors"][0]["extensions"]["reason"] == "GRAPHQL_VALIDATION_FAILED"
    assert upstream.calls.total() == 0


async def test_introspection_can_be_switched_off(
    http: aiohttp.ClientSession, upstream: Upstream
) -> None:
    settings = Settings(upstream_url=upstream.url, introspection=False)
    async with running_gateway(settings) as server:
        _, _, body = await post(
            http, server, {"query": "{ __schema { types { name } } }"}
        )
    assert body["errors"][0]["extensions"]["reason"] == "GRAPHQL_VALIDATION_FAILED"


async def test_readiness_reports_an_unreachable_cache_as_degraded(
    http: aiohttp.ClientSession, upstream: Upstream
) -> None:
    closed = bound_socket()
    port = closed.getsockname()[1]
    closed.close()
    settings = Settings(
        upstream_url=upstream.url, cache_url=f"redis://127.0.0.1:{port}/0"
    )
    async with running_gateway(settings) as server:
        async with http.get(f"{server.url}/readyz") as response:
            # The gateway still serves, from upstream: ready, with a degraded cache.
            assert response.status == 200
            assert await response.json() == {
                "status": "ready",
                "upstream": "ok",
                "cache": "degraded",
            }

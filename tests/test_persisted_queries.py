"""Persisted queries over HTTP, on both cache backends: Apollo's automatic
persisted queries (POST and GET, registration, a hash that does not match, a
store shared by replicas on one Redis, switched off) and trusted documents."""

import asyncio
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.settings import Settings
from harness.redis_server import RedisServer
from harness.servers import RunningServer, bound_socket
from tests.conftest import ALICE, MEMORY_ONLY, running_gateway

ACCOUNT = "query Account { account { id } }"
FAVORITES = (
    "query Favorites { account { favorites(mediaType: MOVIE) { totalResults } } }"
)
PREFLIGHT = {"apollo-require-preflight": "true"}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text_or_hash: str, *, hashed: bool = False) -> dict[str, Any]:
    """`extensions` naming a persisted query by the hash of a text, or by a hash."""
    sha = text_or_hash if hashed else sha256(text_or_hash)
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def post(
    http: aiohttp.ClientSession, server: RunningServer, body: dict[str, Any]
) -> dict[str, Any]:
    async with http.post(f"{server.url}/graphql", json=body, headers=ALICE) as answer:
        assert answer.headers["cache-control"] == "no-store"
        result: dict[str, Any] = await answer.json(content_type=None)
        return result


async def get(
    http: aiohttp.ClientSession,
    server: RunningServer,
    params: dict[str, Any],
    headers: dict[str, str] = PREFLIGHT,
) -> tuple[int, dict[str, Any]]:
    query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with http.get(
        f"{server.url}/graphql", params=query, headers={**ALICE, **headers}
    ) as answer:
        return answer.status, await answer.json(content_type=None)


def code(body: dict[str, Any]) -> str:
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return str(extensions["code"])


async def test_a_hash_runs_once_registered_by_its_text(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    unknown = await post(http, gateway, {"extensions": persisted(ACCOUNT)})
    assert unknown["errors"][0]["message"] == "PersistedQueryNotFound"
    assert code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    assert "data" not in unknown
    body = {"query": ACCOUNT, "extensions": persisted(ACCOUNT)}
    registered = await post(http, gateway, body)
    assert registered == {"data": {"account": {"id": 12345}}}
    by_hash = await post(http, gateway, {"extensions": persisted(ACCOUNT)})
    assert by_hash == registered


async def test_a_registration_answered_by_a_kept_response_registers_too(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    await post(http, gateway, {"query": ACCOUNT})  # kept for repeats of its text
    await post(http, gateway, {"query": ACCOUNT, "extensions": persisted(ACCOUNT)})
    by_hash = await post(http, gateway, {"extensions": persisted(ACCOUNT)})
    assert by_hash == {"data": {"account": {"id": 12345}}}


async def test_a_registered_hash_runs_over_get(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    await post(http, gateway, {"query": ACCOUNT, "extensions": persisted(ACCOUNT)})
    params = {"operationName": "Account", "extensions": persisted(ACCOUNT)}
    status, body = await get(http, gateway, params)
    assert (status, body) == (200, {"data": {"account": {"id": 12345}}})


async def test_a_get_registers_too(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    status, body = await get(http, gateway, {"extensions": persisted(ACCOUNT)})
    assert (status, code(body)) == (200, "PERSISTED_QUERY_NOT_FOUND")
    params = {"query": ACCOUNT, "extensions": persisted(ACCOUNT)}
    assert (await get(http, gateway, params))[1]["data"] == {"account": {"id": 12345}}
    status, body = await get(http, gateway, {"extensions": persisted(ACCOUNT)})
    assert body == {"data": {"account": {"id": 12345}}}


async def test_a_get_of_a_hash_is_refused_without_a_preflight_header(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    await post(http, gateway, {"query": ACCOUNT, "extensions": persisted(ACCOUNT)})
    status, body = await get(http, gateway, {"extensions": persisted(ACCOUNT)}, {})
    assert status == 400
    assert body["errors"][0]["extensions"]["reason"] == "CSRF_PREVENTED"


async def test_a_text_under_another_texts_hash_is_refused_and_not_registered(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    body = {"query": FAVORITES, "extensions": persisted(ACCOUNT)}
    refused = await post(http, gateway, body)
    assert refused["errors"][0]["message"] == "provided sha does not match query"
    assert code(refused) == "BAD_USER_INPUT"
    assert "data" not in refused
    unknown = await post(http, gateway, {"extensions": persisted(ACCOUNT)})
    assert code(unknown) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_text_that_does_not_validate_is_not_registered(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    invalid = "{ account { nope } }"
    failed = await post(
        http, gateway, {"query": invalid, "extensions": persisted(invalid)}
    )
    assert code(failed) == "BAD_USER_INPUT"
    unknown = await post(http, gateway, {"extensions": persisted(invalid)})
    assert code(unknown) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "persisted_query", [{"version": 2, "sha256Hash": "ab"}, {"version": 1}]
)
async def test_a_malformed_persisted_query_is_bad_user_input(
    http: aiohttp.ClientSession, gateway: RunningServer, persisted_query: dict[str, Any]
) -> None:
    body = {"query": ACCOUNT, "extensions": {"persistedQuery": persisted_query}}
    assert code(await post(http, gateway, body)) == "BAD_USER_INPUT"


@pytest.mark.parametrize("cache_backend", ["redis"])
async def test_replicas_on_one_redis_share_registrations(
    http: aiohttp.ClientSession, gateway: RunningServer, settings: Settings
) -> None:
    async with running_gateway(settings) as other:
        await post(http, gateway, {"query": ACCOUNT, "extensions": persisted(ACCOUNT)})
        by_hash = await post(http, other, {"extensions": persisted(ACCOUNT)})
    assert by_hash == {"data": {"account": {"id": 12345}}}


@pytest.mark.parametrize("cache_backend", ["redis"])  # Redis stops
async def test_with_redis_down_a_hash_is_unknown_and_its_text_still_runs(
    http: aiohttp.ClientSession, settings: Settings, restartable_redis: RedisServer
) -> None:
    shared = replace(settings, cache_url=restartable_redis.url)
    async with running_gateway(shared) as gateway:
        await post(http, gateway, {"query": ACCOUNT, "extensions": persisted(ACCOUNT)})
        await asyncio.to_thread(restartable_redis.stop)
        unknown = await post(http, gateway, {"extensions": persisted(ACCOUNT)})
        body = {"query": ACCOUNT, "extensions": persisted(ACCOUNT)}
        registering = await post(http, gateway, body)
    assert code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    assert registering == {"data": {"account": {"id": 12345}}}


@MEMORY_ONLY  # the bound of the in-process store
async def test_the_memory_store_keeps_a_bounded_number_of_queries(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    bounded = replace(settings, persisted_queries_max_entries=1)
    async with running_gateway(bounded) as gateway:
        for text in (ACCOUNT, FAVORITES):
            await post(http, gateway, {"query": text, "extensions": persisted(text)})
        first = await post(http, gateway, {"extensions": persisted(ACCOUNT)})
        second = await post(http, gateway, {"extensions": persisted(FAVORITES)})
    assert code(first) == "PERSISTED_QUERY_NOT_FOUND"
    assert "errors" not in second


async def test_switched_off_a_hash_is_not_supported(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    async with running_gateway(replace(settings, persisted_queries=False)) as gateway:
        for body in (
            {"extensions": persisted(ACCOUNT)},
            {"query": ACCOUNT, "extensions": persisted(ACCOUNT)},
        ):
            refused = await post(http, gateway, body)
            assert refused["errors"][0]["message"] == "PersistedQueryNotSupported"
            assert code(refused) == "PERSISTED_QUERY_NOT_SUPPORTED"
        plain = await post(http, gateway, {"query": ACCOUNT})
    assert plain == {"data": {"account": {"id": 12345}}}


def manifest(tmp_path: Path, *bodies: str, ids: dict[str, str] | None = None) -> str:
    """A manifest as `@apollo/generate-persisted-query-manifest` writes it."""
    operations = [
        {"id": (ids or {}).get(body, sha256(body)), "name": body.split()[1],
         "type": "query", "body": body}
        for body in bodies
    ]  # fmt: skip
    path = tmp_path / "persisted-query-manifest.json"
    document = {"format": "apollo-persisted-query-manifest", "version": 1}
    path.write_text(json.dumps({**document, "operations": operations}))
    return str(path)


@pytest.fixture
async def trusted(settings: Settings, tmp_path: Path) -> Any:
    """A gateway that runs only ACCOUNT (under its hash) and FAVORITES (under an id
    of the manifest's own, as a manifest may have)."""
    path = manifest(tmp_path, ACCOUNT, FAVORITES, ids={FAVORITES: "favorites-v1"})
    async with running_gateway(replace(settings, trusted_documents=path)) as server:
        yield server


async def test_trusted_documents_run_by_id_or_by_exact_text(
    http: aiohttp.ClientSession, trusted: RunningServer
) -> None:
    expected = {"data": {"account": {"id": 12345}}}
    assert await post(http, trusted, {"extensions": persisted(ACCOUNT)}) == expected
    assert await post(http, trusted, {"query": ACCOUNT}) == expected
    params = {"extensions": persisted("favorites-v1", hashed=True)}
    status, body = await get(http, trusted, params)
    assert (status, body) == (
        200,
        {"data": {"account": {"favorites": {"totalResults": 3}}}},
    )


async def test_trusted_documents_refuse_every_other_operation(
    http: aiohttp.ClientSession, trusted: RunningServer
) -> None:
    other = "query Other { account { id username } }"
    free_text = await post(http, trusted, {"query": other})
    assert code(free_text) == "BAD_USER_INPUT"
    assert (
        free_text["errors"][0]["extensions"]["reason"] == "PERSISTED_QUERY_NOT_IN_LIST"
    )
    assert "GATEWAY_TRUSTED_DOCUMENTS" in free_text["errors"][0]["message"]
    unknown_id = await post(http, trusted, {"extensions": persisted(other)})
    assert code(unknown_id) == "PERSISTED_QUERY_NOT_FOUND"
    registering = {"query": other, "extensions": persisted(other)}
    refused = await post(http, trusted, registering)
    assert refused["errors"][0]["extensions"]["reason"] == "PERSISTED_QUERY_NOT_IN_LIST"
    still_unknown = await post(http, trusted, {"extensions": persisted(other)})
    assert code(still_unknown) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"format": "something-else", "version": 1, "operations": []}),
        json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                    "operations": [{"id": "x"}]}),
    ],
)  # fmt: skip
def test_a_bad_manifest_stops_serve_with_status_2_naming_its_variable(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)
    # A port in use: should the manifest pass, serve fails at once, never serves.
    with bound_socket() as taken:
        environ = {
            "GATEWAY_TRUSTED_DOCUMENTS": str(path),
            "GATEWAY_PORT": str(taken.getsockname()[1]),
        }
        result = CliRunner().invoke(cli, ["serve"], env=environ)
    assert result.exit_code == 2, result.output
    assert f"Error: GATEWAY_TRUSTED_DOCUMENTS={path}" in result.output
    assert "persisted-query manifest format" in result.output
    assert "Traceback" not in result.output

"""The `gateway` command, run as a newcomer and an operator would run it."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
from click.testing import CliRunner

from gateway.cli import cli
from gateway.collector import YOUNG_THRESHOLD
from gateway.reference_api import ALICE, BOB
from harness.commands import GatewayCommand, gateway_command
from harness.servers import free_port
from tests.graphql_client import GraphQLClient

ROOT = Path(__file__).resolve().parent.parent
LISTS = "{ account { id favorites(mediaType: MOVIE) { results { id } } } }"
SET_FAVORITE = """mutation ($id: Int!, $on: Boolean!) {
  setFavorite(mediaType: MOVIE, mediaId: $id, favorite: $on) { favorite } }"""


def test_export_schema_prints_schema_graphql() -> None:
    result = CliRunner().invoke(cli, ["export-schema"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "schema.graphql").read_text()


def test_the_served_app_is_frozen_and_young_objects_collected_less_often() -> None:
    """`build_app` (what `serve` runs in each worker) settles the collector: in a
    fresh interpreter nothing is frozen before, the built app is after."""
    probe = (
        "import gc; from gateway.cli import build_app; before = gc.get_freeze_count();"
        " build_app(); print(before, gc.get_freeze_count(), gc.get_threshold()[0])"
    )
    env = {**os.environ, "GATEWAY_UPSTREAM_URL": "http://127.0.0.1:9/api"}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, check=True
    )
    before, frozen, young = map(int, done.stdout.split())
    assert (before, young) == (0, YOUNG_THRESHOLD)
    assert frozen > 20_000  # the imported modules and the schema, at least


async def greeting(command: GatewayCommand) -> list[bytes]:
    """What `gateway serve` printed before it started serving: up to its token."""
    lines = []
    while not lines or not lines[-1].startswith(b"Demo token"):
        lines.append(await asyncio.wait_for(command.lines.get(), timeout=10))
    return lines


async def test_serve_runs_on_the_embedded_reference_api(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "GATEWAY_PORT": str(port),
        "GATEWAY_REFERENCE_DB": str(tmp_path / "db.sqlite3"),
    }
    async with gateway_command("serve", env=env, keep_stdout=True) as serving:
        output = await greeting(serving)
        assert f"GraphiQL: http://127.0.0.1:{port}/graphql\n".encode() in output
        assert f"Bearer {ALICE.token}".encode() in output[-1]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            client = GraphQLClient(
                http,
                f"http://127.0.0.1:{port}/graphql",
                {"Authorization": f"Bearer {ALICE.token}"},
            )
            result = await client.query(LISTS)
            assert result.errors == []
            assert result.data["account"]["id"] == ALICE.id
            assert [
                i["id"] for i in result.data["account"]["favorites"]["results"]
            ] == [13, 680, 550]
            async with http.get(f"http://127.0.0.1:{port}/") as response:
                links = [link["href"] for link in (await response.json())["links"]]
            assert links[:2] == ["/graphql", "/demo"]
    # Closed on shutdown: SQLite folds its write-ahead log back into the file.
    assert os.listdir(tmp_path) == ["db.sqlite3"]


def test_git_ignores_what_serve_and_the_browser_test_leave_behind() -> None:
    left = [
        "reference-api.sqlite3",
        "reference-api.sqlite3-wal",
        "reference-api.sqlite3-shm",
        "tests/artifacts/graphiql-demo.png",
    ]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *left],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert ignored.stdout.splitlines() == left


async def test_demo_sign_in_lets_a_browser_query_without_headers(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        "GATEWAY_PORT": str(port),
        "GATEWAY_REFERENCE_DB": str(tmp_path / "db.sqlite3"),
    }
    async with gateway_command("serve", env=env), aiohttp.ClientSession() as browser:
        base = f"http://127.0.0.1:{port}"
        async with browser.get(f"{base}/demo") as page:
            assert page.status == 200 and "bob" in await page.text()
        async with browser.post(
            f"{base}/demo/sign-in", data={"account": "bob"}, allow_redirects=False
        ) as response:
            assert response.status == 303
            cookie = response.cookies["session_id"]
        headers = {"Cookie": f"session_id={cookie.value}"}
        async with browser.post(
            f"{base}/graphql", json={"query": "{ account { id } }"}, headers=headers
        ) as response:
            assert (await response.json())["data"]["account"]["id"] == BOB.id


async def test_two_serve_processes_sharing_redis_read_their_writes(
    tmp_path: Path, redis_url: str
) -> None:
    api_port, one_port, two_port = free_port(), free_port(), free_port()
    api = (
        "reference-api",
        "--port",
        str(api_port),
        "--db",
        str(tmp_path / "db.sqlite3"),
    )
    shared = {
        "GATEWAY_UPSTREAM_URL": f"http://127.0.0.1:{api_port}/api",
        "GATEWAY_CACHE_URL": redis_url,
    }
    async with (
        gateway_command(*api, env={}),
        gateway_command("serve", env={**shared, "GATEWAY_PORT": str(one_port)}),
        gateway_command("serve", "--port", str(two_port), env=shared),
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
    ):
        alice = {"Authorization": f"Bearer {ALICE.token}"}
        one = GraphQLClient(http, f"http://127.0.0.1:{one_port}/graphql", alice)
        two = GraphQLClient(http, f"http://127.0.0.1:{two_port}/graphql", alice)
        expected = [13, 680, 550]
        for media_id, on in [(603, True), (680, False), (105, True), (603, False)]:
            assert _ids(await two.query(LISTS)) == expected  # cached on `two` now
            await one.query(SET_FAVORITE, {"id": media_id, "on": on})
            expected = (
                [media_id, *expected] if on else [i for i in expected if i != media_id]
            )
            assert _ids(await two.query(LISTS)) == expected


def _ids(result) -> list[int]:
    assert result.errors == []
    return [item["id"] for item in result.data["account"]["favorites"]["results"]]


async def test_reference_api_serves_generated_users_and_controls() -> None:
    port = free_port()
    args = ("reference-api", "--port", str(port), "--db", ":memory:")
    async with (
        gateway_command(*args, "--users", "3", "--control", env={}),
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
    ):
        api = f"http://127.0.0.1:{port}/api"
        user3 = {"Authorization": "Bearer user3-token"}
        async with http.get(f"{api}/account", headers=user3) as response:
            assert (await response.json())["username"] == "user3"
        async with http.get(f"{api}/__calls") as response:
            assert await response.json() == {"GET /account": 1}

"""GraphiQL's page and its pinned assets, served by the gateway itself."""

import base64
import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import pytest

from gateway.settings import Settings
from gateway.transport.ide import ASSETS_PATH, IMMUTABLE, Asset, pinned_assets
from harness.servers import RunningServer
from tests.conftest import MEMORY_ONLY, Upstream, running_gateway

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / "gateway" / "transport" / "graphiql"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
MEDIA_TYPES = {".js": "javascript", ".css": "text/css"}


class _Tags(HTMLParser):
    """The (url, integrity) of every script and stylesheet a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        url = found.get("src") if tag == "script" else None
        if tag == "link" and found.get("rel") == "stylesheet":
            url = found.get("href")
        if url is not None:
            self.loaded.append((url, found.get("integrity")))


async def loaded_by_page(
    http: aiohttp.ClientSession, server: RunningServer
) -> list[tuple[str, str | None]]:
    async with http.get(f"{server.url}/graphql", headers=BROWSER) as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-cache"
        tags = _Tags()
        tags.feed(await response.text())
    return tags.loaded


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def expected(base: str) -> list[tuple[str, str | None]]:
    """Stylesheets in the head, then scripts in the manifest's (dependency) order."""
    assets = sorted(pinned_assets(), key=lambda asset: not asset.is_stylesheet)
    return [(f"{base}/{a.location}", a.integrity) for a in assets]


def test_the_page_loads_graphiql_react_and_the_explorer() -> None:
    assert {(a.package, a.path.rsplit(".", 1)[-1]) for a in pinned_assets()} == {
        ("react", "js"),
        ("react-dom", "js"),
        ("graphiql", "js"),
        ("graphiql", "css"),
        ("@graphiql/plugin-explorer", "js"),
        ("@graphiql/plugin-explorer", "css"),
    }


@MEMORY_ONLY  # static assets: no cache involved
async def test_the_page_loads_only_the_gateways_own_pinned_assets(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    assert await loaded_by_page(http, gateway) == expected(ASSETS_PATH)


@MEMORY_ONLY
@pytest.mark.parametrize("asset", pinned_assets(), ids=lambda asset: asset.location)
async def test_each_asset_is_served_as_pinned_and_kept_for_a_year(
    http: aiohttp.ClientSession, gateway: RunningServer, asset: Asset
) -> None:
    async with http.get(f"{gateway.url}{ASSETS_PATH}/{asset.location}") as response:
        assert response.status == 200
        assert sri(await response.read()) == asset.integrity
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert MEDIA_TYPES[Path(asset.path).suffix] in response.content_type


def test_each_asset_has_its_licence_beside_it() -> None:
    for entry in json.loads((FILES / "assets.json").read_text())["assets"]:
        assert entry["license"] == "MIT"
        licence = (FILES / "assets" / entry["licenseFile"]).read_text()
        assert licence.startswith("MIT License")


@MEMORY_ONLY
async def test_a_missing_asset_is_a_404(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    for path in ("react@18.2.0/umd/nope.js", "../assets.json", "../page.html"):
        async with http.get(f"{gateway.url}{ASSETS_PATH}/{path}") as response:
            assert response.status == 404


async def test_a_cdn_may_serve_the_assets_under_the_same_integrity(
    http: aiohttp.ClientSession, upstream: Upstream
) -> None:
    settings = Settings(
        upstream_url=upstream.url, graphiql_assets_url="https://unpkg.com/"
    )
    async with running_gateway(settings) as gateway:
        assert await loaded_by_page(http, gateway) == expected("https://unpkg.com")

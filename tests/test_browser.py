"""A newcomer's first minutes in a real browser, with no internet.

Headless Chromium (Debian's `chromium`; Playwright's own browser download cannot
be had here), driven by Playwright's async API inside the test's event loop,
beside the gateway it browses: the demo sign-in, GraphiQL, a query. Every request
that leaves loopback is aborted and recorded, so the page must work offline.
The last page seen is kept as `tests/artifacts/<test>.png` (git ignores it).
Under `CI=true` these tests never skip; elsewhere they skip without a chromium.
"""

import contextlib
import json
import os
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import BrowserContext, Page, Request, Route, async_playwright

from gateway.cli import app_for
from gateway.reference_api import ALICE
from gateway.reference_api.demo import LANDING_QUERY
from gateway.settings import Settings
from harness.servers import RunningServer, bound_socket, run_server
from tests.conftest import Upstream, running_gateway
from tests.graphql_client import GraphQLClient

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium")
ON_CI = os.environ.get("CI") == "true"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: GraphiQL's response pane is a CodeMirror editor: its whole text, once shown.
RESPONSE_TEXT = """() => {
  const editor = document.querySelector(".result-window .CodeMirror");
  return editor && editor.CodeMirror.getValue();
}"""

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not ON_CI,
    reason="no chromium (apt-get install chromium); CI=true never skips",
)


@dataclass
class Browser:
    """A fresh browser profile, and the requests it was kept from sending out."""

    context: BrowserContext
    page: Page
    blocked: list[str] = field(default_factory=list)
    graphql_requests: list[Request] = field(default_factory=list)

    async def keep_on_loopback(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            await route.continue_()
        else:
            self.blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    def record(self, request: Request) -> None:
        if urlsplit(request.url).path == "/graphql" and request.method == "POST":
            self.graphql_requests.append(request)


@contextlib.asynccontextmanager
async def chromium(
    tmp_path: Path, screenshot: str, capsys: pytest.CaptureFixture[str]
) -> AsyncIterator[Browser]:
    """Chromium on a new profile, offline but for loopback; the last page seen is
    saved as `screenshot` in `ARTIFACTS`, even when the test fails, and its path
    printed past pytest's capture."""
    assert CHROMIUM is not None, "CI=true needs chromium: .ci/run installs it"
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "profile", executable_path=CHROMIUM, args=ARGS, headless=True
        )
        context.set_default_timeout(20_000)  # a bound against a hang, not a timing
        browser = Browser(context, context.pages[0])
        await context.route("**/*", browser.keep_on_loopback)
        browser.page.on("request", browser.record)
        try:
            yield browser
        finally:
            path = ARTIFACTS / screenshot
            path.parent.mkdir(exist_ok=True)
            await browser.page.screenshot(path=path)
            await context.close()
            with capsys.disabled():
                print(f"\nscreenshot: {path.relative_to(ROOT)}")


@contextlib.asynccontextmanager
async def embedded_gateway(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """The gateway as `gateway serve` runs it: the reference API and `/demo` within."""
    sock = bound_socket()
    settings = Settings(
        port=sock.getsockname()[1], reference_db=str(tmp_path / "demo.sqlite3")
    )
    async with run_server(app_for(settings), sock) as server:
        yield server


async def shown_response(page: Page) -> Any:
    handle = await page.wait_for_function(RESPONSE_TEXT)
    return json.loads(await handle.json_value())


async def test_demo_sign_in_lands_in_graphiql_which_runs_offline(
    tmp_path: Path,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with (
        embedded_gateway(tmp_path) as gateway,
        chromium(tmp_path, "graphiql-demo.png", capsys) as browser,
    ):
        page = browser.page
        await page.goto(f"{gateway.url}/demo")
        await page.get_by_role("button", name=f"Sign in as {ALICE.username}").click()
        await page.wait_for_url(lambda url: urlsplit(url).path == "/graphql")
        assert browser.blocked == []  # every asset came from the gateway
        await page.locator(".graphiql-execute-button").click()
        shown = await shown_response(page)

        direct = client_for(gateway, {"Authorization": f"Bearer {ALICE.token}"})
        landing = LANDING_QUERY.format(username=ALICE.username)
        expected = await direct.query(landing)
        assert expected.errors == [] and shown == {"data": expected.data}
        assert shown["data"]["account"]["username"] == ALICE.username
        sent = await browser.graphql_requests[-1].all_headers()
        assert sent["authorization"] == f"Bearer {ALICE.token}"
        assert page.url == f"{gateway.url}/graphql"  # the token left the address bar

        await page.get_by_role("button", name="Show GraphiQL Explorer").click()
        explorer = page.locator(".graphiql-explorer-root")
        await explorer.get_by_text("avatar", exact=True).wait_for()  # from the schema
        assert browser.blocked == []


async def test_the_offline_guard_stops_a_page_that_needs_a_cdn(
    tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(
        upstream_url=upstream.url, graphiql_assets_url="https://unpkg.com"
    )
    async with (
        running_gateway(settings) as gateway,
        chromium(tmp_path, "graphiql-cdn-blocked.png", capsys) as browser,
    ):
        await browser.page.goto(f"{gateway.url}/graphql")
        assert await browser.page.locator("#graphiql").inner_text() == "Loading…"
        assert browser.blocked
        assert all(url.startswith("https://unpkg.com/") for url in browser.blocked)

"""GraphiQL, served by the gateway itself from pinned copies of its assets.

Strawberry's own page loads GraphiQL from a CDN, so without internet a browser
shows "Loading…" for ever. This page loads the same builds from
`/graphiql/assets/<package>@<version>/<file>` (committed under `graphiql/` by
`scripts/vendor-graphiql`, listed in `graphiql/assets.json`), or from a CDN with
the same layout when `GATEWAY_GRAPHIQL_ASSETS_URL` names one. Each tag carries
the file's SRI hash, so a browser runs no copy that differs from the pinned one.
Since a file's path holds its version, browsers may keep it for a year unasked.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from string import Template

from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

ASSETS_PATH = "/graphiql/assets"
IMMUTABLE = "public, max-age=31536000, immutable"
_FILES = Path(__file__).with_name("graphiql")

DEFAULT_QUERY = """\
# Send your credentials in the Headers below as
#   {"Authorization": "Bearer <token>"}
# then run the query with Ctrl-Enter or the ▶ button.
{
  account {
    id
    username
  }
}
"""


@dataclass(frozen=True, slots=True)
class Asset:
    """One pinned file of an npm package, and its SRI hash."""

    package: str
    version: str
    path: str
    integrity: str

    @property
    def is_stylesheet(self) -> bool:
        return self.path.endswith(".css")

    @property
    def location(self) -> str:
        """Where unpkg and jsdelivr keep it, and so do we: `react@18.2.0/umd/…`."""
        return f"{self.package}@{self.version}/{self.path}"


def pinned_assets() -> tuple[Asset, ...]:
    """The files the page loads, in order, as `scripts/vendor-graphiql` wrote them."""
    listed = json.loads((_FILES / "assets.json").read_text())["assets"]
    return tuple(
        Asset(entry["package"], entry["version"], entry["path"], entry["integrity"])
        for entry in listed
    )


class GraphiQLPage:
    """The GraphiQL page, loading its assets from `assets_url` (default: ours)."""

    def __init__(self, assets_url: str | None = None) -> None:
        base = (assets_url or ASSETS_PATH).rstrip("/")
        assets = pinned_assets()
        template = Template((_FILES / "page.html").read_text())
        self.html = template.substitute(
            stylesheets="\n".join(_tag(base, a) for a in assets if a.is_stylesheet),
            scripts="\n".join(_tag(base, a) for a in assets if not a.is_stylesheet),
            default_query=json.dumps(DEFAULT_QUERY),
        )

    def response(self) -> Response:
        # Not kept by browsers: a new release's page names new asset versions.
        return HTMLResponse(self.html, headers={"Cache-Control": "no-cache"})


def _tag(base: str, asset: Asset) -> str:
    url, integrity = f"{base}/{asset.location}", asset.integrity
    checked = f'integrity="{integrity}" crossorigin="anonymous"'
    if asset.is_stylesheet:
        return f'<link rel="stylesheet" href="{url}" {checked}>'
    return f'<script src="{url}" {checked}></script>'


class _VersionedFiles(StaticFiles):
    """Files whose path holds their version, so their content never changes."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def assets_mount() -> Mount:
    """The route serving the pinned files (and their licences) at `ASSETS_PATH`."""
    return Mount(ASSETS_PATH, app=_VersionedFiles(directory=_FILES / "assets"))

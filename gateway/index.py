"""`GET /`: the front door, pointing a newcomer to `/graphql` and what else is served.

A browser (asking for `text/html`) gets a page of links; anything else, such as
curl, gets the same links as JSON.
"""

from collections.abc import Sequence
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

#: A path and what a visitor finds there.
Link = tuple[str, str]

GRAPHQL: Link = (
    "/graphql",
    "GraphQL over HTTP: POST a JSON query, or open it in a browser for GraphiQL",
)
OPERATIONS: tuple[Link, ...] = (
    ("/healthz", "liveness"),
    ("/readyz", "readiness: whether upstream answers"),
    ("/metrics", "Prometheus metrics"),
)


def index_route(links: Sequence[Link] = ()) -> Route:
    """`GET /` listing `/graphql`, then `links`, then the operational endpoints."""
    listed = (GRAPHQL, *links, *OPERATIONS)

    async def index(request: Request) -> Response:
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(_page(listed))
        return JSONResponse(
            {"links": [{"href": path, "title": title} for path, title in listed]}
        )

    return Route("/", index, methods=["GET"])


def _page(links: Sequence[Link]) -> str:
    items = "\n".join(
        f'<li><a href="{escape(path)}">{escape(path)}</a>: {escape(title)}</li>'
        for path, title in links
    )
    return (
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
        "<title>gateway</title></head>\n<body>\n<h1>GraphQL gateway</h1>\n"
        f"<ul>\n{items}\n</ul>\n</body>\n</html>\n"
    )

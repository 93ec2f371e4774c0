"""`/graphql` answered ahead of Starlette's router.

Starlette runs every request through its `ExceptionMiddleware` (one more wrapped
`send`) and its router (each route's pattern tried, a child scope built): 8.6 %
of the instructions of a warm `lists` request (bench/README). The
GraphQL view takes every method and raises nothing either of them would catch,
so the exact path is sent to it directly. Any other request, `/graphql` under a
root path included (the router strips it), still reaches the router, where
`/graphql` stays routed: falling through changes nothing but the cost.
"""

from starlette.types import ASGIApp, Receive, Scope, Send


class GraphQLRoute:
    """The innermost middleware: HTTP requests for `path` go straight to `endpoint`."""

    def __init__(self, app: ASGIApp, *, path: str, endpoint: ASGIApp) -> None:
        self.app = app
        self._path = path
        self._endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == self._path
            and not scope.get("root_path")
        ):
            await self._endpoint(scope, receive, send)
            return
        await self.app(scope, receive, send)

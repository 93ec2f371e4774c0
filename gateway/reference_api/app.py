"""`create_app`: the documented REST account API as a Starlette app.

Paths are relative to the API root; the composition root mounts the app at `/api`.
Every documented route passes through one gate that counts the call, applies the
injected faults and the per-token rate limit, and turns `ApiError` into its
documented body, so those concerns live in one place and not in each endpoint.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .catalogue import MediaType
from .control import Calls, Faults, control_routes
from .endpoints import Endpoint, Endpoints, Toggle, token_of
from .errors import ApiError, error_response, http_exception, server_error
from .limiter import RateLimiter
from .seed import ACCOUNTS_BY_TOKEN, ListName, generated_accounts
from .store import Store

_LISTS: tuple[ListName, ...] = ("favorites", "watchlist", "rated")
# (path segment, media type): list paths say "movies" where bodies say "movie".
_MEDIA: tuple[tuple[str, MediaType], ...] = (("movies", "movie"), ("tv", "tv"))
_TOGGLES: tuple[Toggle, ...] = ("favorite", "watchlist")
_MEDIA_TYPES: tuple[MediaType, ...] = ("movie", "tv")


class Gate:
    """What every documented request goes through before and after its endpoint."""

    def __init__(
        self, faults: Faults, calls: Calls, limiter: RateLimiter | None
    ) -> None:
        self.faults = faults
        self.calls = calls
        self.limiter = limiter

    def wrap(self, key: str, endpoint: Endpoint) -> Endpoint:
        """`endpoint` behind the gate, counted in `Calls` under `key`."""

        async def gated(request: Request) -> Response:
            self.calls.record(key)
            if not self.faults.take():
                return await self._serve(request, endpoint)
            response = await self._answer(request, endpoint)
            response.headers.update(self.faults.headers)
            return response

        return gated

    async def _answer(self, request: Request, endpoint: Endpoint) -> Response:
        if self.faults.delay:
            await _pause(request, self.faults.delay)
        forced = self.faults.forced_response()
        if forced is not None:
            return forced
        return await self._serve(request, endpoint)

    async def _serve(self, request: Request, endpoint: Endpoint) -> Response:
        """The answer without faults: rate limited, or the endpoint's own."""
        retry_after = self._retry_after(request)
        if retry_after is not None:
            response = error_response(429)
            response.headers["Retry-After"] = str(retry_after)
            return response
        try:
            return await endpoint(request)
        except ApiError as error:
            return error.to_response()

    def _retry_after(self, request: Request) -> int | None:
        if self.limiter is None:
            return None
        token = token_of(request)
        client = request.client.host if request.client else "unknown"
        return self.limiter.admit(f"token:{token}" if token else f"client:{client}")


async def _pause(request: Request, seconds: float) -> None:
    """Wait `seconds`, or less if the client hangs up.

    A handler still sleeping after its client gave up would hold uvicorn's
    graceful shutdown (and so a test's teardown) for the whole delay.
    """
    await request.body()  # buffered, so receive() now only reports the disconnect
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while (await request.receive())["type"] != "http.disconnect":
                pass


def documented_routes(endpoints: Endpoints, gate: Gate) -> list[BaseRoute]:
    """The routes of the documented surface, each behind `gate`."""
    lists = "GET /account/{account_id}/{list}/{media}"
    routes: list[BaseRoute] = [
        Route("/account", gate.wrap("GET /account", endpoints.account), methods=["GET"])
    ]
    for list_name in _LISTS:
        for media, media_type in _MEDIA:
            endpoint = gate.wrap(lists, endpoints.list_items(list_name, media_type))
            path = f"/account/{{account_id:int}}/{list_name}/{media}"
            routes.append(Route(path, endpoint, methods=["GET"]))
    for flag in _TOGGLES:
        endpoint = gate.wrap(
            f"POST /account/{{account_id}}/{flag}", endpoints.toggle(flag)
        )
        routes.append(
            Route(f"/account/{{account_id:int}}/{flag}", endpoint, methods=["POST"])
        )
    for media_type in _MEDIA_TYPES:
        path = f"/{media_type}/{{media_id:int}}/rating"
        rate = gate.wrap(
            "POST /{media_type}/{media_id}/rating", endpoints.rate(media_type)
        )
        unrate = gate.wrap(
            "DELETE /{media_type}/{media_id}/rating", endpoints.unrate(media_type)
        )
        routes += [
            Route(path, rate, methods=["POST"]),
            Route(path, unrate, methods=["DELETE"]),
        ]
    return routes


def create_app(
    *,
    db_path: str = ":memory:",
    rate_limit: int | None = None,
    rate_window: float = 1.0,
    faults: Faults | None = None,
    calls: Calls | None = None,
    control: bool = False,
    users: int = 0,
) -> Starlette:
    """The REST account API over the SQLite database at `db_path`.

    `rate_limit` allows that many requests per `rate_window` seconds per token
    (None: unlimited). `faults` and `calls` are the live objects a test may hold;
    fresh ones are made if None. `control=True` adds the `/__faults` and
    `/__calls` routes. `users` adds that many empty accounts beside the demo ones
    (`seed.generated_accounts`: `user1`… with tokens `user<n>-token`). The app
    exposes `state.store`, `state.faults` and `state.calls`; a Mount does not run
    its lifespan, so whoever mounts the app may call `state.store.close()` when
    done.
    """
    store = Store(db_path)
    faults = Faults() if faults is None else faults
    calls = Calls() if calls is None else calls
    limiter = None if rate_limit is None else RateLimiter(rate_limit, rate_window)
    accounts = {
        **ACCOUNTS_BY_TOKEN,
        **{account.token: account for account in generated_accounts(users)},
    }
    endpoints = Endpoints(store, accounts)
    routes = documented_routes(endpoints, Gate(faults, calls, limiter))
    if control:
        routes += control_routes(faults, calls)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_exception, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.store, app.state.faults, app.state.calls = store, faults, calls
    return app

"""One structured log line per request, under an id the caller and upstream both see.

The id is the caller's `X-Request-ID` when it is acceptable, else a fresh one; it is
echoed in the response and sent upstream (`gateway.edge.request_id`), so one request can
be followed across both services. A line holds no header, cookie, query string or
body: nothing a caller sent as a secret can reach the logs. What the app ran (the
GraphQL operation and its outcome) it tells the line through `report`.

Each line also says when the request arrived (ISO-8601, UTC) and which replica
served it (`host`, `pid`: one of several workers or containers), so that the lines
of a whole deployment can be merged and still read.
"""

import datetime
import json
import logging
import os
import socket
import time
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.edge.request_id import HEADER, accept_request_id

LOGGER = logging.getLogger("gateway.access")
_HEADER_NAME = HEADER.lower().encode()
_REPORTED = "gateway.access_log.reported"  # the scope key `report` writes


class Reported(Protocol):
    """What the app says of a request it handled: the GraphQL operation and how it
    ended (`ok` or an error code); None where it ran no operation."""

    @property
    def operation(self) -> str | None: ...

    @property
    def outcome(self) -> str | None: ...


def report(scope: Scope, reported: Reported) -> None:
    """Have this request's access line show `reported`'s operation and outcome as
    they are when the request ends.

    The scope holds `reported` until the line is written, and no longer: what the
    app reports may well refer back to the scope.
    """
    scope[_REPORTED] = reported


class AccessLogMiddleware:
    """Tags each HTTP request with an id and logs its outcome as one JSON line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.host = socket.gethostname()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_request_id(_incoming_id(scope["headers"]))
        # Whether this request gets a line is decided as it arrives: only then
        # are its clocks read.
        logged = LOGGER.isEnabledFor(logging.INFO)
        arrived = time.time() if logged else 0.0
        started = time.perf_counter() if logged else 0.0
        status = 500  # what the client sees if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (_HEADER_NAME, request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reported: Reported | None = scope.pop(_REPORTED, None)
            if logged:
                took = time.perf_counter() - started
                line = self._line(scope, reported, request_id, status, arrived, took)
                LOGGER.info(line)

    def _line(
        self,
        scope: Scope,
        reported: Reported | None,
        request_id: str,
        status: int,
        arrived: float,
        took: float,
    ) -> str:
        operation, outcome = (
            (None, None) if reported is None else (reported.operation, reported.outcome)
        )
        return json.dumps(
            {
                "time": _iso_utc(arrived),
                "host": self.host,
                "pid": os.getpid(),
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round(took * 1000, 2),
                "operation": operation,
                "outcome": outcome,
            },
            separators=(",", ":"),
        )


def _incoming_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The caller's `X-Request-ID`, if sent (the first one).

    A plain scan of the few headers: Starlette's `Headers.get` would also encode
    the name and raise and catch a KeyError for the usual request, which has none.
    """
    for name, value in headers:
        if name == _HEADER_NAME:
            return value.decode("latin-1")
    return None


def _iso_utc(timestamp: float) -> str:
    """`2026-12-02T00:10:11.123Z`: ISO-8601 in UTC, to the millisecond."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

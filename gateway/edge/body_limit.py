"""A cap on request bodies, enforced before anything parses them."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.edge.request_errors import request_error


class BodyTooLargeError(Exception):
    """The body grew past the cap while it was being read."""


class BodySizeLimitMiddleware:
    """Answers 413 to a body over `max_bytes`, by its Content-Length or as it streams.

    A chunked body has no Content-Length, so its bytes are counted as they arrive:
    a client cannot make the gateway buffer more than the cap. A body framed by
    its Content-Length (and no Transfer-Encoding, which would win over it) is
    exactly that long: the HTTP parser ends it there (RFC 9112 §6.3; both of
    uvicorn's, httptools and h11, do), so such a request, the usual kind, goes
    through with no counting `receive` nor watching `send` to pay for.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        framed = _framed_length(scope)
        if framed is not None and framed <= self.max_bytes:
            await self.app(scope, receive, send)
        elif framed is not None:
            await self._reject(scope, receive, send)
        else:
            await self._counted(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with the body counted as it streams."""
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, self._counting(receive), tracked_send)
        except BodyTooLargeError:
            if started:
                raise
            await self._reject(scope, receive, send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLargeError
            return message

        return counted

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = request_error(
            413, f"The request body is over {self.max_bytes} bytes."
        )
        await response(scope, receive, send)


def _framed_length(scope: Scope) -> int | None:
    """The body's length by its Content-Length; None when the body is not framed
    by one (absent, not a number, or beside a Transfer-Encoding)."""
    length = None
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            length = int(value)
        elif name == b"transfer-encoding":
            return None
    return length

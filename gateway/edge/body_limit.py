"""A cap on request bodies, enforced before anything parses them."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.edge.request_errors import request_error


class BodyTooLargeError(Exception):
    """The body grew past the cap while it was being read."""


class BodySizeLimitMiddleware:
    """Answers 413 to a body over `max_bytes`, by its Content-Length or as it streams.

    A chunked body has no Content-Length, so the bytes are counted as they arrive
    too: a client cannot make the gateway buffer more than the cap.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_length(scope) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
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

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-length":
                return int(value) if value.isdigit() else 0
        return 0

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = request_error(
            413, f"The request body is over {self.max_bytes} bytes."
        )
        await response(scope, receive, send)

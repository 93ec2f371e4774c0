"""`TracedView`: each request to `/graphql` inside its operation's span.

The span is the server span of the request and of its GraphQL operation at once,
so its parent is the caller's: the W3C `traceparent` it sent (the federation
router's), or none, a new trace. Everything the request does below it, cache
lookups and upstream calls, is its descendant. It is named `POST /graphql` (the
HTTP conventions) until the schema names it for the operation it executes
(`gateway.schema.tracing`); a response served without executing (kept, or shared
with an identical request in flight) keeps that name.

It records no header, no query string (a GET carries the document and its
variables there) and no body, and of an exception only its type: neither the
credentials nor the document nor its variables reach a trace.
"""

from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.tracing import incoming_context

ROUTE = "/graphql"


class TracedView:
    """Wraps the `/graphql` view (only while tracing is on) in operation spans."""

    def __init__(self, app: ASGIApp, tracer: Tracer) -> None:
        self._app = app
        self._tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        method = scope["method"]
        with self._tracer.start_as_current_span(
            f"{method} {ROUTE}",
            context=incoming_context(Headers(scope=scope)),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "http.route": ROUTE},
            record_exception=False,  # its message and stack may hold anything
            set_status_on_exception=False,
        ) as span:

            async def send_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = message["status"]
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        _fail(span, str(status))
                await send(message)

            try:
                await self._app(scope, receive, send_status)
            except Exception as exc:
                _fail(span, type(exc).__qualname__)
                raise


def _fail(span: Span, error_type: str) -> None:
    span.set_attribute("error.type", error_type)
    span.set_status(Status(StatusCode.ERROR))

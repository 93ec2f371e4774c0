"""The `/graphql` endpoint: strawberry's ASGI view, speaking GraphQL over HTTP.

Per request it makes one `Exchange` (the caller's credentials and accounts
service, the media type to answer in, what becomes of the request) and passes it
through its pipeline of steps (`pipeline.py`: `http_caching.py` lets clients keep
GET answers, `persisted.py` resolves persisted queries, those of `reuse.py` answer
from a kept response or a shared execution), whose last one is strawberry's
execution. Every answer that no step made cacheable is `no-store`.
It answers `application/graphql-response+json` to clients that ask for it (the
GraphQL-over-HTTP specification), with 400 for requests that never executed.
Before any step, `gateway.edge.request_errors` may refuse a request (CSRF, a body
that is not JSON); every refusal, strawberry's own included, is answered in the
GraphQL error shape and counted.
"""

import functools
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson
import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.types import ExecutionResult

from gateway.edge import access_log
from gateway.edge.headers import RawHeaders, first_values, text
from gateway.edge.request_errors import (
    JSON,
    is_operation,
    refusal_before_parsing,
    request_error,
)
from gateway.schema.context import Context
from gateway.transport.exchange import Exchange, GraphQLRequest, lifespan_state
from gateway.transport.ide import GraphiQLPage
from gateway.transport.pipeline import Step, chain
from gateway.upstream.credentials import Credentials

GRAPHQL_RESPONSE = "application/graphql-response+json"


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's view with our context, steps and GraphQL-over-HTTP media types."""

    def __init__(
        self,
        schema: strawberry.federation.Schema,
        *,
        forwarded_headers: tuple[str, ...],
        ide: GraphiQLPage,
        steps: Sequence[Step] = (),
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self._ide = ide
        # Each forwarded header's name as configured (as it goes upstream), and
        # as the ASGI scope spells it.
        self._forwarded_headers = tuple(
            (name, name.lower().encode("latin-1")) for name in forwarded_headers
        )
        self._pipeline = chain(steps, self._execute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = GraphQLRequest(scope, receive)
        headers = first_values(scope["headers"])
        exchange = self._begin(request, headers)
        refusal = refusal_before_parsing(request, headers)
        if refusal is None:
            try:
                exchange.key = await exchange.reuse_key()
                response = await self._pipeline(exchange)
            except HTTPException as exc:
                refusal = request_error(
                    exc.status_code, exc.reason, headers=_ALLOW.get(exc.status_code)
                )
        if refusal is not None:
            exchange.conclude(None, "BAD_USER_INPUT")
            response = refusal
        # Only `http_caching` may let a client keep an answer: POSTs, errors and
        # refusals never.
        # (The raw list, read in C: `headers.setdefault` builds a MutableHeaders
        # and scans it in Python, on every request.)
        if b"cache-control" not in dict(response.raw_headers):
            response.raw_headers.append(_NO_STORE)
        await response(scope, receive, send)

    def _begin(self, request: GraphQLRequest, headers: RawHeaders) -> Exchange:
        """The request's exchange, reachable from strawberry's hooks and the log."""
        state = lifespan_state(request.scope)
        credentials = Credentials.from_headers(headers, self._forwarded_headers)
        exchange = Exchange(
            request,
            state,
            credentials,
            state["accounts"].for_caller(credentials),
            _response_media_type(text(headers, b"accept") or ""),
        )
        request.exchange = exchange
        access_log.report(request.scope, exchange)
        return exchange

    async def _execute(self, exchange: Exchange) -> Response:
        """The last step: strawberry parses, validates and executes."""
        return await self.run(exchange.request)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        exchange = _exchange_of(request)
        if exchange.document is not None:
            request_data = replace(request_data, query=exchange.document)
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        exchange.valid = not (result.errors and _never_executed(result))
        exchange.conclude(request_data.operation_name, _outcome(result))
        if not result.errors and not result.extensions:
            exchange.reusable = context.accounts.reusable()
        context.accounts.release()
        return result

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET of a persisted query has no `query` parameter either.
        return super().should_render_graphql_ide(request) and not is_operation(
            request.query_params
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        return self._ide.response()

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        """The decoded body; anything but an object or a batch is a clear 400.

        Strawberry would otherwise fail with a 500 on a string or number body, or
        on bytes that are not UTF-8.
        """
        try:
            decoded = self.decode_json(data)
        except ValueError as exc:
            raise HTTPException(400, "Unable to parse request body as JSON") from exc
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return decoded

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(response, Response)
        exchange = _exchange_of(request)
        return Context(exchange.request, response, exchange.accounts)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = _exchange_of(request).media_type
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        data = await super().process_result(request, result)
        if result.data is None and result.errors and _never_executed(result):
            # A request error has no `data` entry at all (GraphQL over HTTP).
            del data["data"]
        return data

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = sub_response.media_type or JSON
        response.headers["content-type"] = media_type
        if media_type == GRAPHQL_RESPONSE and _is_request_error(response_data):
            response.status_code = 400
        return response


_ALLOW = {405: {"Allow": "GET, POST"}}
_NO_STORE = (b"cache-control", b"no-store")


def _exchange_of(request: Request | WebSocket) -> Exchange:
    assert isinstance(request, GraphQLRequest)  # the only kind `__call__` runs
    return request.exchange


def _outcome(result: ExecutionResult) -> str:
    """`ok`, or the code of the response's first error."""
    if not result.errors:
        return "ok"
    extensions = result.errors[0].extensions or {}
    return str(extensions.get("code", "INTERNAL_SERVER_ERROR"))


@functools.lru_cache(maxsize=256)  # a client sends the same Accept every time
def _response_media_type(accept: str) -> str:
    """`application/graphql-response+json` when the client lists it before JSON."""
    offered = [part.split(";")[0].strip() for part in accept.split(",")]
    for media_type in offered:
        if media_type == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if media_type in (JSON, "*/*"):
            return JSON
    return JSON


def _never_executed(result: ExecutionResult) -> bool:
    return all(error.path is None for error in result.errors or ())


def _is_request_error(response_data: Any) -> bool:
    return isinstance(response_data, dict) and "data" not in response_data

"""The `/graphql` endpoint: strawberry's ASGI view, speaking GraphQL over HTTP.

It builds each request's `Context` around the caller's credentials, and answers
`application/graphql-response+json` to clients that ask for it (the
GraphQL-over-HTTP specification), with 400 for requests that never executed.
Before strawberry sees a request, `gateway.edge.request_errors` may refuse it (CSRF,
a body that is not JSON); every refusal, strawberry's own included, is answered
in the GraphQL error shape and counted. A POSTed query that the same credentials
sent before is answered from `ResponseCache` while the lists in its response are
current, without parsing, validating or executing it.
"""

from typing import Any, TypedDict

import orjson
import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from gateway.accounts.service import AccountService, CachePolicy, account_generations
from gateway.accounts.single_flight import SingleFlight
from gateway.cache import Cache
from gateway.edge.request_errors import JSON, refusal_before_parsing, request_error
from gateway.metrics import Metrics
from gateway.schema.context import Context
from gateway.transport.ide import GraphiQLPage
from gateway.transport.responses import (
    RequestKey,
    ResponseCache,
    request_key,
    still_current,
)
from gateway.upstream.client import UpstreamClient
from gateway.upstream.credentials import Credentials

GRAPHQL_RESPONSE = "application/graphql-response+json"


class State(TypedDict):
    """What the app's lifespan opens once per process and every request shares."""

    client: UpstreamClient
    cache: Cache
    flights: SingleFlight
    metrics: Metrics


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's view with our context and the GraphQL-over-HTTP media types."""

    def __init__(
        self,
        schema: strawberry.federation.Schema,
        *,
        policy: CachePolicy,
        forwarded_headers: tuple[str, ...],
        responses: ResponseCache,
        flights: SingleFlight,
        ide: GraphiQLPage,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self._ide = ide
        self._policy = policy
        self._forwarded_headers = forwarded_headers
        self._responses = responses
        self._flights = flights

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        refusal = refusal_before_parsing(request)
        if refusal is None:
            try:
                response = await self._answer(request)
            except HTTPException as exc:
                refusal = request_error(
                    exc.status_code, exc.reason, headers=_ALLOW.get(exc.status_code)
                )
        if refusal is not None:
            _count(request, None, "BAD_USER_INPUT")
            response = refusal
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        """The kept response while its lists are current; else an execution, shared
        by identical requests in flight while no write touches the account."""
        credentials = Credentials.from_headers(request.headers, self._forwarded_headers)
        request.state.credentials = credentials  # for get_context, if it executes
        key = await self._request_key(request, credentials)
        if key is None:
            return await self._run(request, None)
        media_type = _response_media_type(request.headers.get("accept", ""))
        if (reused := await self._reused(request, key, media_type)) is not None:
            return reused
        cache: Cache = request.state.cache
        generations = await account_generations(cache, credentials)
        if generations is None:
            return await self._run(request, key)
        # Without sharing, every identical request in flight (after a write made
        # the kept response outdated, or with list caching off) would execute the
        # same query again. The flight's key holds the generations each sharer
        # read, so none is handed data older than a write it came after.
        response, outcome = await self._flights.run(
            (key, media_type, generations),
            lambda: self._run_for_outcome(request, key),
        )
        if getattr(request.state, "outcome", None) is None:  # shared, not run
            _count(request, key.operation_name, outcome)
            request.state.metrics.responses_shared.inc()
        return response

    async def _reused(
        self, request: Request, key: RequestKey, media_type: str
    ) -> Response | None:
        """The kept response to this request, if every list in it is current."""
        entry = self._responses.get(key)
        if entry is None:
            return None
        cache: Cache = request.state.cache
        current = await cache.current_generations([k for k, _ in entry.generations])
        if current is None or not still_current(entry, current):
            return None
        _count(request, key.operation_name, "ok")
        request.state.metrics.responses_reused.inc()
        return Response(entry.body, media_type=media_type)

    async def _run_for_outcome(
        self, request: Request, key: RequestKey
    ) -> tuple[Response, str]:
        response = await self._run(request, key)
        return response, request.state.outcome

    async def _run(self, request: Request, key: RequestKey | None) -> Response:
        """Execute with strawberry, keeping the response if it may be reused."""
        response = await self.run(request)
        reuse = getattr(request.state, "reuse", None)
        if reuse is not None and key is not None and response.status_code == 200:
            generations, ttl = reuse
            self._responses.put(key, bytes(response.body), generations, ttl)
        return response

    async def _request_key(
        self, request: Request, credentials: Credentials
    ) -> RequestKey | None:
        """What identifies a POSTed query for reuse or sharing; None if it cannot."""
        if request.method != "POST" or not credentials.present:
            return None
        return request_key(await request.body(), credentials.fingerprint)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        _count(request, request_data.operation_name, _outcome(result))
        if not result.errors and not result.extensions:
            request.state.reuse = context.accounts.reuse()
        return result

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
        assert isinstance(request, Request) and isinstance(response, Response)
        state = request.state
        accounts = AccountService(
            state.client, state.cache, state.flights, self._policy, state.credentials
        )
        return Context(request=request, response=response, accounts=accounts)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = _response_media_type(
            request.headers.get("accept", "")
        )
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


def _count(request: Request, operation: str | None, outcome: str) -> None:
    """Count the request, and leave its outcome for the access log."""
    request.state.operation, request.state.outcome = operation, outcome
    metrics: Metrics = request.state.metrics
    metrics.count_request(operation, outcome)


def _outcome(result: ExecutionResult) -> str:
    """`ok`, or the code of the response's first error."""
    if not result.errors:
        return "ok"
    extensions = result.errors[0].extensions or {}
    return str(extensions.get("code", "INTERNAL_SERVER_ERROR"))


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

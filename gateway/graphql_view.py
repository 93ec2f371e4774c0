"""The `/graphql` endpoint: strawberry's ASGI view, speaking GraphQL over HTTP.

It builds each request's `Context` around the caller's credentials, and answers
`application/graphql-response+json` to clients that ask for it (the
GraphQL-over-HTTP specification), with 400 for requests that never executed.
"""

from typing import Any, TypedDict

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from gateway.cache import Cache
from gateway.metrics import Metrics
from gateway.schema.context import Context
from gateway.service import AccountService, CachePolicy
from gateway.single_flight import SingleFlight
from gateway.upstream.client import UpstreamClient
from gateway.upstream.credentials import Credentials

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


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
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self._policy = policy
        self._forwarded_headers = forwarded_headers

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request) and isinstance(response, Response)
        credentials = Credentials.from_headers(request.headers, self._forwarded_headers)
        state = request.state
        accounts = AccountService(
            state.client, state.cache, state.flights, self._policy, credentials
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

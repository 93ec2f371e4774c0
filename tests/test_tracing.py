"""Tracing: one trace from the caller's `traceparent` through the gateway to upstream.

The gateway runs with an in-memory span exporter of its own (`create_app`'s
`span_processor`), and the reference API behind a recorder of the headers it
received, so both ends of the propagation are seen. How the operation span
records failures that the real view never produces is tested on fakes of the
view's seam (an ASGI app).
"""

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import aiohttp
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import reference_api
from gateway.accounts.service import ACCOUNT_KEY, LIST_KEY
from gateway.app import create_app
from gateway.cache.documents import DOCUMENT_KEY
from gateway.reference_api.seed import ALICE as ALICE_ACCOUNT
from gateway.settings import Settings
from gateway.tracing import Tracing
from gateway.transport.tracing import ROUTE, TracedView
from gateway.upstream.credentials import Credentials
from harness.servers import RunningServer, run_server
from tests.conftest import ALICE, Upstream
from tests.graphql_client import GraphQLClient

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
FAVORITES = """
query Favorites($language: String!) {
  account { favorites(mediaType: MOVIE, language: $language) { totalResults } }
}
"""
RATE = """
mutation Rate($rating: Float!) {
  rate(mediaType: MOVIE, mediaId: 550, rating: $rating) { rated { value } }
}
"""


class HeaderRecorder:
    """In front of the reference API: the headers of every request it received."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[Headers] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.seen.append(Headers(scope=scope))
        await self.app(scope, receive, send)


@dataclasses.dataclass
class Traced:
    """A gateway over a recording upstream, and what it exported."""

    gateway: RunningServer
    upstream: Upstream
    recorder: HeaderRecorder
    exporter: InMemorySpanExporter

    @property
    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.exporter.get_finished_spans()


@contextlib.asynccontextmanager
async def recording_upstream() -> AsyncIterator[tuple[Upstream, HeaderRecorder]]:
    faults, calls = reference_api.Faults(), reference_api.Calls()
    recorder = HeaderRecorder(reference_api.create_app(faults=faults, calls=calls))
    async with run_server(Starlette(routes=[Mount("/api", recorder)])) as server:
        yield Upstream(server, faults, calls), recorder


@contextlib.asynccontextmanager
async def traced_gateway(
    cache_url: str | None = None, **options: Any
) -> AsyncIterator[Traced]:
    exporter = InMemorySpanExporter()
    async with recording_upstream() as (upstream, recorder):
        settings = Settings(upstream_url=upstream.url, cache_url=cache_url, **options)
        app = create_app(settings, span_processor=SimpleSpanProcessor(exporter))
        async with run_server(app) as gateway:
            yield Traced(gateway, upstream, recorder, exporter)


@pytest.fixture
async def traced() -> AsyncIterator[Traced]:
    async with traced_gateway() as running:
        yield running


def client(
    http: aiohttp.ClientSession, traced: Traced, **headers: str
) -> GraphQLClient:
    return GraphQLClient(http, f"{traced.gateway.url}/graphql", {**ALICE, **headers})


def of_kind(spans: Sequence[ReadableSpan], kind: SpanKind) -> list[ReadableSpan]:
    return [span for span in spans if span.kind is kind]


def ancestors(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> Iterator[int]:
    """The span ids above `span`, up to the first one not among `spans`."""
    by_id = {s.context.span_id: s for s in spans}
    parent = span.parent
    while parent is not None:
        yield parent.span_id
        above = by_id.get(parent.span_id)
        parent = above.parent if above is not None else None


async def test_one_trace_runs_from_the_callers_traceparent_to_upstream(
    http: aiohttp.ClientSession, traced: Traced
) -> None:
    result = await client(http, traced, traceparent=TRACEPARENT).query(
        FAVORITES, {"language": "en-US"}
    )
    assert result.errors == []

    (operation,) = of_kind(traced.spans, SpanKind.SERVER)
    assert operation.name == "query Favorites"
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.type"] == "query"
    assert operation.attributes["graphql.operation.name"] == "Favorites"
    assert operation.parent is not None and operation.parent.is_remote
    assert f"{operation.parent.span_id:016x}" == PARENT_ID
    assert f"{operation.context.trace_id:032x}" == TRACE_ID

    calls = of_kind(traced.spans, SpanKind.CLIENT)
    assert len(calls) == 2  # the account, then the list
    assert {span.context.trace_id for span in traced.spans} == {
        operation.context.trace_id
    }
    for call in calls:
        assert operation.context.span_id in ancestors(call, traced.spans)

    sent = [headers["traceparent"] for headers in traced.recorder.seen]
    assert [value.split("-")[1] for value in sent] == [TRACE_ID, TRACE_ID]
    assert {value.split("-")[2] for value in sent} == {
        f"{call.context.span_id:016x}" for call in calls
    }


async def test_a_request_without_traceparent_starts_a_trace(
    http: aiohttp.ClientSession, traced: Traced
) -> None:
    await client(http, traced).query(FAVORITES, {"language": "en-US"})
    (operation,) = of_kind(traced.spans, SpanKind.SERVER)
    assert operation.parent is None
    trace_id = f"{operation.context.trace_id:032x}"
    assert all(h["traceparent"].split("-")[1] == trace_id for h in traced.recorder.seen)


async def test_a_long_operation_name_is_cut(
    http: aiohttp.ClientSession, traced: Traced
) -> None:
    name = "Q" * 5_000
    await client(http, traced).query(f"query {name} {{ __typename }}")
    (operation,) = of_kind(traced.spans, SpanKind.SERVER)
    assert operation.name == f"query {name[:64]}"
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == name[:64]


async def test_upstream_calls_follow_the_http_client_conventions(
    http: aiohttp.ClientSession, traced: Traced
) -> None:
    await client(http, traced).query(FAVORITES, {"language": "fr-FR"})
    calls = [dict(s.attributes or {}) for s in of_kind(traced.spans, SpanKind.CLIENT)]
    api = traced.upstream.url
    assert calls == [
        {
            "http.request.method": "GET",
            "url.full": f"{api}/account",
            "server.address": "127.0.0.1",
            "server.port": traced.upstream.server.port,
            "http.response.status_code": 200,
        },
        {
            "http.request.method": "GET",
            # The account id is left out.
            "url.full": f"{api}/account/{{id}}/favorites/movies"
            "?page=1&language=fr-FR&sort_by=created_at.desc",
            "server.address": "127.0.0.1",
            "server.port": traced.upstream.server.port,
            "http.response.status_code": 200,
        },
    ]


async def test_each_attempt_is_a_span_and_a_stale_page_is_a_lookup(
    http: aiohttp.ClientSession,
) -> None:
    options: dict[str, Any] = {
        "list_ttl": 0.0,  # every list comes from upstream, or from the stale copy
        "stale_ttl": 60.0,
        "upstream_retries": 1,
        "upstream_retry_backoff": 0.0,
        "response_cache_bytes": 0,
    }
    async with traced_gateway(**options) as traced:
        await client(http, traced).query(FAVORITES, {"language": "en-US"})
        traced.exporter.clear()
        traced.upstream.faults.status = 503
        result = await client(http, traced).query(FAVORITES, {"language": "en-US"})
        spans = traced.spans
    assert result.extensions["stale"]
    attempts = [dict(span.attributes or {}) for span in of_kind(spans, SpanKind.CLIENT)]
    assert [(a["http.response.status_code"], a["error.type"]) for a in attempts] == [
        (503, "503"),
        (503, "503"),
    ]
    (stale,) = [span for span in spans if span.name == "cache get stale"]
    assert stale.attributes is not None
    assert stale.attributes["gateway.cache.key_template"] == LIST_KEY
    assert stale.attributes["gateway.cache.hit"] is True


async def test_each_cache_lookup_is_a_span_named_by_its_key_template(
    http: aiohttp.ClientSession, cache_backend: str, cache_url: str | None
) -> None:
    # Without kept responses, the second query executes again, from the cache.
    async with traced_gateway(cache_url, response_cache_bytes=0) as traced:
        for _ in range(2):
            await client(http, traced).query(FAVORITES, {"language": "en-US"})
        spans = traced.spans
    first, second = of_kind(spans, SpanKind.SERVER)
    assert first.name == second.name == "query Favorites"  # validated once

    def lookup(span: ReadableSpan) -> tuple[str, Any, Any, Any]:
        within = first.context.span_id in ancestors(span, spans)
        assert within or second.context.span_id in ancestors(span, spans)
        attributes = span.attributes or {}
        return (
            "first" if within else "second",
            attributes["gateway.cache.key_template"],
            attributes["gateway.cache.hit"],
            attributes["gateway.cache.backend"],
        )

    assert {lookup(span) for span in spans if span.name == "cache get"} == {
        ("first", ACCOUNT_KEY, False, cache_backend),
        ("first", LIST_KEY, False, cache_backend),
        ("second", ACCOUNT_KEY, True, cache_backend),
        ("second", LIST_KEY, True, cache_backend),
    }


async def test_a_persisted_query_lookup_is_named_by_its_template_not_its_hash(
    http: aiohttp.ClientSession, cache_backend: str, cache_url: str | None
) -> None:
    sha256 = "ab" * 32
    body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256}}}
    async with traced_gateway(cache_url) as traced:
        url = f"{traced.gateway.url}/graphql"
        async with http.post(url, json=body, headers=ALICE) as response:
            assert "PersistedQueryNotFound" in await response.text()
        spans = traced.spans
    (lookup,) = [span for span in spans if span.name == "cache get"]
    attributes = lookup.attributes or {}
    assert attributes["gateway.cache.key_template"] == DOCUMENT_KEY
    assert attributes["gateway.cache.backend"] == cache_backend
    assert sha256 not in str([span.attributes for span in spans])


async def test_no_credential_variable_or_account_id_reaches_a_span(
    http: aiohttp.ClientSession, traced: Traced
) -> None:
    by_cookie = {"Authorization": "", "Cookie": "session_id=alice-token"}
    await client(http, traced, traceparent=TRACEPARENT).query(RATE, {"rating": 6.5})
    await client(http, traced, **by_cookie).query(FAVORITES, {"language": "en-US"})
    await client(http, traced, Authorization="Bearer wrong-token").query(
        FAVORITES, {"language": "en-US"}
    )
    # A GET carries its document and variables in the query string; one more
    # variable than the operation declares is ignored, so it reaches no upstream URL.
    variables = '{"language": "en-US", "unused": "in-the-query-string"}'
    query = {"query": FAVORITES, "variables": variables}
    headers = {**ALICE, "apollo-require-preflight": "1"}
    url = f"{traced.gateway.url}/graphql"
    async with http.get(url, params=query, headers=headers) as response:
        assert (await response.json())["data"]["account"]["favorites"]
    assert len(of_kind(traced.spans, SpanKind.SERVER)) == 4
    recorded = " ".join(
        f"{span.name} {span.status.description} {key}={value}"
        for span in traced.spans
        for attributes in (
            span.attributes or {},
            span.resource.attributes,
            *(event.attributes or {} for event in span.events),
        )
        for key, value in attributes.items()
    )
    secrets = [
        "alice-token",
        "wrong-token",
        "Bearer",
        "session_id",
        Credentials((("Authorization", ALICE["Authorization"]),)).fingerprint,
        str(ALICE_ACCOUNT.id),
        "6.5",  # a variable's value
        "in-the-query-string",
        "favorites(mediaType",  # the document
    ]
    assert [secret for secret in secrets if secret in recorded] == []


async def test_an_exception_leaves_only_its_type_on_the_operation_span() -> None:
    async def crash(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("Bearer alice-token")  # a message may hold anything

    exporter = InMemorySpanExporter()
    tracing = Tracing(lambda: SimpleSpanProcessor(exporter))
    scope: Scope = {"type": "http", "method": "POST", "headers": [], "path": ROUTE}
    async with tracing.exporting():
        with pytest.raises(RuntimeError):
            await TracedView(crash, tracing.tracer)(scope, _nothing, _nothing)
    (span,) = exporter.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["error.type"] == "RuntimeError"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description is None
    assert span.events == ()


async def test_a_server_error_status_marks_the_operation_span_failed() -> None:
    async def unavailable(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def sent(message: Message) -> None:
        pass

    exporter = InMemorySpanExporter()
    tracing = Tracing(lambda: SimpleSpanProcessor(exporter))
    scope: Scope = {"type": "http", "method": "POST", "headers": [], "path": ROUTE}
    async with tracing.exporting():
        await TracedView(unavailable, tracing.tracer)(scope, _nothing, sent)
    (span,) = exporter.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == 503
    assert span.attributes["error.type"] == "503"
    assert span.status.status_code is StatusCode.ERROR


async def _nothing(*_: Any) -> Any:
    raise AssertionError("not called")


async def test_the_otlp_endpoint_receives_every_span_by_shutdown(
    http: aiohttp.ClientSession,
) -> None:
    received: list[ExportTraceServiceRequest] = []

    async def collect(request: Request) -> Response:
        received.append(ExportTraceServiceRequest.FromString(await request.body()))
        return Response(b"", media_type="application/x-protobuf")

    collector_app = Starlette(routes=[Route("/v1/traces", collect, methods=["POST"])])
    async with run_server(collector_app) as collector, recording_upstream() as (up, _):
        settings = Settings(upstream_url=up.url, otlp_endpoint=f"{collector.url}/")
        async with run_server(create_app(settings)) as gateway:
            url = f"{gateway.url}/graphql"
            await GraphQLClient(http, url, ALICE).query(
                FAVORITES, {"language": "en-US"}
            )
        # The gateway has shut down: its batch of spans was flushed by then.
    spans = [
        (resource.resource, span)
        for export in received
        for resource in export.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    assert "query Favorites" in {span.name for _, span in spans}
    assert {
        attribute.value.string_value
        for resource, _ in spans
        for attribute in resource.attributes
        if attribute.key == "service.name"
    } == {"gateway"}


async def test_tracing_is_off_by_default(http: aiohttp.ClientSession) -> None:
    async with recording_upstream() as (upstream, recorder):
        app = create_app(Settings(upstream_url=upstream.url))
        async with run_server(app) as gateway:
            url = f"{gateway.url}/graphql"
            headers = {**ALICE, "traceparent": TRACEPARENT}
            result = await GraphQLClient(http, url, headers).query(
                FAVORITES, {"language": "en-US"}
            )
    assert result.errors == []
    assert recorder.seen
    assert not [h for h in recorder.seen if "traceparent" in h or "tracestate" in h]

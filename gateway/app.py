"""`create_app(settings)`: the Starlette application and what it owns for its lifetime.

The lifespan opens one aiohttp session (no cookie jar: nothing of one caller may
stick to the next) and one cache per process, and closes both on shutdown; every
request reads them through the typed `AppState`. The apps mounted beside
`/graphql` have their lifespans run around it, which Starlette does not do for a
`Mount`: the embedded reference API closes its database then.
"""

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence

import aiohttp
from opentelemetry.sdk.trace import SpanProcessor
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from gateway.accounts.service import AccountServices, CachePolicy, key_template
from gateway.accounts.single_flight import SingleFlight
from gateway.cache import (
    BucketPolicy,
    Buckets,
    Cache,
    LookupSpans,
    create_buckets,
    create_cache,
)
from gateway.cache.documents import DOCUMENT_KEY, DOCUMENT_PREFIX, PersistedDocuments
from gateway.edge import csrf
from gateway.edge.access_log import AccessLogMiddleware
from gateway.edge.body_limit import BodySizeLimitMiddleware
from gateway.edge.graphql_route import GraphQLRoute
from gateway.edge.request_id import HEADER as REQUEST_ID_HEADER
from gateway.index import Link, index_route
from gateway.metrics import Metrics
from gateway.schema import SchemaLimits, create_schema
from gateway.settings import SettingError, Settings
from gateway.tracing import Tracing, create_tracing, untraced_upstream
from gateway.transport.exchange import State
from gateway.transport.http_caching import HttpCaching
from gateway.transport.ide import GraphiQLPage, assets_mount
from gateway.transport.manifest import ManifestError, TrustedDocuments
from gateway.transport.persisted import PersistedQueries
from gateway.transport.pipeline import Step
from gateway.transport.rate_limit import RateLimit
from gateway.transport.responses import ResponseCache
from gateway.transport.reuse import KeptResponses, SharedExecutions
from gateway.transport.tracing import TracedView
from gateway.transport.view import GraphQLView
from gateway.upstream.breaker import BreakerPolicy, BreakerState, CircuitBreaker
from gateway.upstream.client import UpstreamClient
from gateway.upstream.errors import (
    UpstreamBroken,
    UpstreamStatusError,
    UpstreamUnavailable,
)
from gateway.upstream.retry import RetryPolicy

GRAPHQL_PATH = "/graphql"


def create_app(
    settings: Settings,
    *,
    routes: Sequence[BaseRoute] = (),
    links: Sequence[Link] = (),
    metrics_dir: str | None = None,
    span_processor: SpanProcessor | None = None,
) -> Starlette:
    """The gateway for `settings`; `routes` are mounted beside `/graphql`, and
    `GET /` lists `links` (what `routes` offer a visitor) after `/graphql`.

    `metrics_dir` is where the worker processes of one `gateway serve --workers N`
    keep their metrics, so that `/metrics` reports them all (`gateway.metrics`).
    Traces go to `settings.otlp_endpoint`, or to `span_processor` where one is
    given (the tests'); with neither, nothing is traced (`gateway.tracing`).
    Raises `ValueError` without an upstream URL: the CLI, which can embed the
    reference API, fills it in.
    """
    if settings.upstream_url is None:
        raise ValueError("create_app needs settings.upstream_url")
    tracing = create_tracing(settings.otlp_endpoint, span_processor)
    buckets = _buckets(settings)
    view = GraphQLView(
        create_schema(
            schema_limits(settings),
            traced=tracing is not None,
            planned=settings.planned_execution,
        ),
        forwarded_headers=settings.upstream_headers,
        ide=GraphiQLPage(settings.graphiql_assets_url),
        steps=_steps(settings, buckets),
    )
    endpoint = _traced(view, tracing)
    mounted = [
        r.app for r in routes if isinstance(r, Mount) and isinstance(r.app, Starlette)
    ]
    return Starlette(
        routes=[
            index_route(links),
            Route(GRAPHQL_PATH, endpoint),  # it answers every method
            assets_mount(),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            *routes,
        ],
        middleware=_middleware(settings, endpoint),
        lifespan=_lifespan(
            settings, settings.upstream_url, metrics_dir, mounted, tracing, buckets
        ),
    )


def schema_limits(settings: Settings) -> SchemaLimits:
    """The request limits that `settings` ask for."""
    return SchemaLimits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_introspection_depth=settings.max_introspection_depth,
        max_upstream_calls=settings.max_upstream_calls,
        introspection=settings.introspection,
    )


class AppState(State):
    """What the lifespan opens once per process and every request shares."""

    client: UpstreamClient
    cache: Cache


def trusted_documents(settings: Settings) -> TrustedDocuments | None:
    """The manifest `settings` name, if any; raises `SettingError` for a file that
    cannot be read or is not one."""
    path = settings.trusted_documents
    if path is None:
        return None
    try:
        return TrustedDocuments.from_file(path)
    except ManifestError as exc:
        accepted = (
            "the path of a JSON file in Apollo's persisted-query manifest format "
            f"(this one: {exc})"
        )
        raise SettingError("trusted_documents", path, accepted) from exc


def _buckets(settings: Settings) -> Buckets | None:
    """Each caller's rate-limit bucket, beside the cache; None with no rate limit."""
    if settings.rate_limit == 0:
        return None
    return create_buckets(
        settings.cache_url,
        BucketPolicy(settings.rate_limit, settings.rate_limit_burst),
        timeout=settings.cache_timeout,
        backoff=settings.cache_backoff,
    )


def _steps(settings: Settings, buckets: Buckets | None) -> list[Step]:
    """The view's steps before execution: those that `settings` switch on.

    A caller over their rate limit is held back first, before it costs anything;
    HTTP caching comes next, so that it sees what every later step answered;
    persisted queries before reuse, which keys a query by the text it stands for.
    """
    steps: list[Step] = [] if buckets is None else [RateLimit(buckets)]
    steps += [
        HttpCaching(settings.upstream_headers),
        PersistedQueries(trusted_documents(settings)),
    ]
    if settings.response_cache_bytes > 0:
        steps.append(KeptResponses(ResponseCache(settings.response_cache_bytes)))
    if settings.single_flight:
        steps.append(SharedExecutions(SingleFlight()))
    return steps


def _middleware(settings: Settings, endpoint: ASGIApp) -> list[Middleware]:
    cors = [_cors(settings.cors_origins)] if settings.cors_origins else []
    return [
        Middleware(AccessLogMiddleware),
        *cors,
        Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
        Middleware(GraphQLRoute, path=GRAPHQL_PATH, endpoint=endpoint),
    ]


def _cors(origins: Sequence[str]) -> Middleware:
    """CORS for `origins`; with none configured there is no middleware to pay for,
    and a browser on another origin gets no `Access-Control-Allow-Origin`."""
    return Middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "Accept",
            REQUEST_ID_HEADER,
            *csrf.PREFLIGHT_HEADERS,
        ],
        # Retry-After is not one of the headers a page may read unless exposed.
        expose_headers=[REQUEST_ID_HEADER, "Retry-After"],
        allow_credentials=True,
    )


def _lifespan(
    settings: Settings,
    upstream_url: str,
    metrics_dir: str | None,
    mounted: Sequence[Starlette],
    tracing: Tracing | None,
    buckets: Buckets | None,
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[AppState]]:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[AppState]:
        metrics = Metrics(metrics_dir)
        cache = create_cache(
            settings.cache_url,
            max_entries=settings.cache_max_entries,
            timeout=settings.cache_timeout,
            backoff=settings.cache_backoff,
            write_timeout=settings.cache_write_timeout,
            on_event=metrics.count_cache_event,
            spans=_lookup_spans(tracing),
        )
        async with (
            _lifespans_of(mounted),
            _exporting(tracing),
            _closing(buckets),
            _session(settings, tracing) as session,
        ):
            client = _client(settings, session, upstream_url, metrics)
            try:
                yield {
                    "client": client,
                    "cache": cache,
                    "accounts": _accounts(settings, client, cache),
                    "documents": _documents(settings, cache, tracing),
                    "metrics": metrics,
                }
            finally:
                await cache.close()

    return lifespan


def _accounts(
    settings: Settings, client: UpstreamClient, cache: Cache
) -> AccountServices:
    policy = CachePolicy(
        list_ttl=settings.list_ttl,
        account_ttl=settings.account_ttl,
        stale_ttl=settings.stale_ttl,
    )
    flights = SingleFlight(enabled=settings.single_flight)
    return AccountServices(client, cache, flights, policy)


def _documents(
    settings: Settings, cache: Cache, tracing: Tracing | None
) -> PersistedDocuments | None:
    """Where automatic persisted queries are registered: the shared cache when it
    is Redis, else a bounded one of their own; None when they are switched off or
    only trusted documents run."""
    if not settings.persisted_queries or settings.trusted_documents is not None:
        return None
    if not settings.shared_cache:
        cache = create_cache(
            None,
            max_entries=settings.persisted_queries_max_entries,
            spans=_lookup_spans(tracing),
        )
    return PersistedDocuments(cache, ttl=settings.persisted_queries_ttl)


@contextlib.asynccontextmanager
async def _lifespans_of(apps: Sequence[Starlette]) -> AsyncIterator[None]:
    """Run the lifespan of each of `apps`, ending them in reverse order."""
    async with contextlib.AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield


def _client(
    settings: Settings,
    session: aiohttp.ClientSession,
    upstream_url: str,
    metrics: Metrics,
) -> UpstreamClient:
    """The upstream client with the retry policy and the one breaker of this process."""

    def show(state: BreakerState) -> None:
        metrics.show_breaker_state(state.value)

    breaker = CircuitBreaker(breaker_policy(settings), on_change=show)
    retry = RetryPolicy(
        retries=settings.upstream_retries,
        backoff=settings.upstream_retry_backoff,
        retry_after_max=settings.upstream_retry_after_max,
        attempt_timeout=settings.upstream_attempt_timeout,
    )
    return UpstreamClient(
        session, base_url=upstream_url, retry=retry, breaker=breaker, metrics=metrics
    )


def breaker_policy(settings: Settings) -> BreakerPolicy:
    """The circuit breaker that `settings` ask for."""
    return BreakerPolicy(
        enabled=settings.upstream_breaker,
        window=settings.upstream_breaker_window,
        min_calls=settings.upstream_breaker_min_calls,
        failure_rate=settings.upstream_breaker_failure_rate,
        probes=settings.upstream_breaker_probes,
        open_time=settings.upstream_breaker_open_time,
        max_open_time=settings.upstream_breaker_max_open_time,
    )


def _traced(view: GraphQLView, tracing: Tracing | None) -> ASGIApp:
    """The view, inside each request's operation span when tracing is on."""
    return view if tracing is None else TracedView(view, tracing.tracer)


def _lookup_spans(tracing: Tracing | None) -> LookupSpans | None:
    """With tracing, each cache lookup is a span named by its key's template."""
    return None if tracing is None else LookupSpans(tracing.tracer, _key_template)


def _key_template(key: str) -> str:
    """The template of any key the gateway stores: a persisted query's, or one of
    the accounts service's."""
    return DOCUMENT_KEY if key.startswith(DOCUMENT_PREFIX) else key_template(key)


def _closing(buckets: Buckets | None) -> contextlib.AbstractAsyncContextManager[object]:
    return contextlib.nullcontext() if buckets is None else contextlib.aclosing(buckets)


def _exporting(tracing: Tracing | None) -> contextlib.AbstractAsyncContextManager[None]:
    return contextlib.nullcontext() if tracing is None else tracing.exporting()


def _session(settings: Settings, tracing: Tracing | None) -> aiohttp.ClientSession:
    """The one upstream session: timeouts and pool size on purpose, no cookie jar;
    with tracing, each attempt is a span that sends its `traceparent`.

    Its total timeout is also the deadline of each whole call, retries included.
    """
    return aiohttp.ClientSession(
        trace_configs=[] if tracing is None else [tracing.upstream_trace_config()],
        connector=aiohttp.TCPConnector(limit=settings.upstream_max_connections),
        timeout=aiohttp.ClientTimeout(
            total=settings.upstream_timeout, connect=settings.upstream_connect_timeout
        ),
        cookie_jar=aiohttp.DummyCookieJar(),
        raise_for_status=False,
    )


async def healthz(_: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def metrics(request: Request[AppState]) -> Response:
    """Prometheus scrape endpoint: this process's counters, or its worker group's."""
    body, content_type = request.state["metrics"].exposition()
    return Response(body, headers={"content-type": content_type})


async def readyz(request: Request[AppState]) -> JSONResponse:
    """Readiness: upstream answers (a 401 counts).

    The cache is reported but does not decide: without it the gateway still serves,
    from upstream, so an unreachable cache is `degraded` and the answer stays 200.
    """
    checks = {
        "upstream": await _upstream_status(request.state["client"]),
        "cache": await _cache_status(request.state["cache"]),
    }
    ready = checks["upstream"] == "ok"
    body = {"status": "ready" if ready else "unavailable", **checks}
    return JSONResponse(body, status_code=200 if ready else 503)


async def _upstream_status(client: UpstreamClient) -> str:
    try:
        with untraced_upstream():
            await client.check_reachable()
    except (UpstreamUnavailable, UpstreamBroken):
        return "unavailable"
    except UpstreamStatusError:  # any other answer proves upstream is there
        pass
    return "ok"


async def _cache_status(cache: Cache) -> str:
    return "ok" if await cache.ping() else "degraded"

"""`Tracing`: one app's OpenTelemetry traces, off unless a collector is configured.

What is traced (each piece only exists when tracing is on, so that off costs
nothing per request):

- each request to `/graphql` is one server span, the operation
  (`gateway.transport.tracing`), which continues the W3C `traceparent` of the
  incoming request (the federation router's) and is named by the operation
  (`gateway.schema.tracing`); never the document, its variables or a header;
- each upstream attempt is a client span with the stable HTTP semantic
  conventions (OpenTelemetry's aiohttp instrumentation, on the one session),
  which sends its `traceparent` upstream; no header is recorded, and the account
  id in the URL's path is replaced by `{id}`;
- each cache lookup is a span naming the key's template and whether it hit
  (`gateway.cache.traced`).

Each app has its own `TracerProvider`, never the process-wide one, so apps in one
process (the tests') never see one another's spans. Spans are exported from the
lifespan's start to its end, which flushes them.
"""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import yarl
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation._semconv import _StabilityMode
from opentelemetry.instrumentation.aiohttp_client import create_trace_config
from opentelemetry.instrumentation.utils import suppress_http_instrumentation
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

#: The service name when neither `OTEL_SERVICE_NAME` nor `OTEL_RESOURCE_ATTRIBUTES`
#: gives one.
DEFAULT_SERVICE_NAME = "gateway"
INSTRUMENTATION_NAME = "gateway"
#: Longer attribute values are cut, whatever a client makes of what it sends.
MAX_ATTRIBUTE_LENGTH = 256
_W3C = TraceContextTextMapPropagator()
_ACCOUNT_PATH = re.compile(r"/account/\d+(?=[/?#]|$)")


class Tracing:
    """The tracer of one app, and the span processor it exports through.

    `processor` is called when the lifespan starts (a batch processor starts a
    thread), and shut down, flushing what it holds, when the lifespan ends.
    """

    def __init__(self, processor: Callable[[], SpanProcessor]) -> None:
        self._processor = processor
        self._provider = TracerProvider(
            resource=_resource(),
            span_limits=SpanLimits(max_span_attribute_length=MAX_ATTRIBUTE_LENGTH),
        )
        self.tracer: Tracer = self._provider.get_tracer(INSTRUMENTATION_NAME)

    @contextlib.asynccontextmanager
    async def exporting(self) -> AsyncIterator[None]:
        """Export the spans ended within, and flush them on the way out.

        The flush runs in a thread: a collector that does not answer holds it up
        to the exporter's timeout, and must not hold up the event loop too.
        """
        self._provider.add_span_processor(self._processor())
        try:
            yield
        finally:
            await asyncio.to_thread(self._provider.shutdown)

    def upstream_trace_config(self) -> aiohttp.TraceConfig:
        """The aiohttp hooks that make each upstream attempt a span and send its
        `traceparent`: for the one upstream session."""
        config: aiohttp.TraceConfig = create_trace_config(
            url_filter=_url_without_account,
            tracer_provider=self._provider,
            # The instrumentation's request-duration histograms are not wanted:
            # `gateway_upstream_request_duration_seconds` is the metric.
            meter_provider=NoOpMeterProvider(),
            sem_conv_opt_in_mode=_StabilityMode.HTTP,
        )
        return config


def create_tracing(
    endpoint: str | None, processor: SpanProcessor | None = None
) -> Tracing | None:
    """Tracing to the OTLP/HTTP collector at `endpoint`, or into `processor` (the
    tests'); None, tracing off, with neither."""
    if processor is not None:
        return Tracing(lambda: processor)
    if endpoint is not None:
        return Tracing(lambda: _otlp_processor(endpoint))
    return None


def incoming_context(headers: Any) -> Context:
    """The trace context of an incoming request's `traceparent` (and `tracestate`);
    an empty context, a new trace, without or with a malformed one."""
    return _W3C.extract(headers)


def untraced_upstream() -> contextlib.AbstractContextManager[None]:
    """Within it, upstream calls make no spans: for the readiness probe, which
    would otherwise start a trace of its own every few seconds."""
    manager: contextlib.AbstractContextManager[None] = suppress_http_instrumentation()
    return manager


def _otlp_processor(endpoint: str) -> SpanProcessor:
    """Batches to the collector; its headers, TLS and timeout come from the standard
    `OTEL_EXPORTER_OTLP_*` variables, which the exporter reads itself."""
    url = endpoint.rstrip("/") + "/v1/traces"
    return BatchSpanProcessor(OTLPSpanExporter(endpoint=url))


def _resource() -> Resource:
    """This service, as `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` name it,
    else `gateway`; each process gets its own `service.instance.id`."""
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return resource


def _url_without_account(url: yarl.URL) -> str:
    """The URL a span records: the account id in its path is personal data, which
    traces (kept longer and read more widely than the cache) must not hold."""
    return _ACCOUNT_PATH.sub("/account/{id}", str(url), count=1)

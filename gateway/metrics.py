"""`Metrics`: what the gateway counts, exposed at `/metrics` in Prometheus' text format.

Each app builds its own registry rather than using prometheus-client's global one,
so that several apps in one process (tests, embedded servers) never share counts.
With `--workers N` each worker process reports its own figures.

Labels are bounded on purpose: operations are named by the client but capped to
their first `MAX_OPERATION_NAME` characters, endpoints are path templates, never
paths with ids, and nothing derived from credentials is ever a label.
"""

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Enum,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

MAX_OPERATION_NAME = 64
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """The counters of one app; every component that counts is handed this object."""

    def __init__(self) -> None:
        # `*_created` series double the output and no dashboard of ours reads them.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gateway_graphql_requests",
            "GraphQL requests by operation name and outcome (ok or an error code).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.upstream_requests = Counter(
            "gateway_upstream_requests",
            "Attempts to call the REST API by endpoint template and outcome: the HTTP"
            " status, 'error', 'timeout', or 'circuit_open' (not sent).",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.upstream_latency = Histogram(
            "gateway_upstream_request_duration_seconds",
            "Time from sending an upstream request to reading its whole body.",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.cache_events = Counter(
            "gateway_cache_events",
            "Cache lookups and failures: hit, miss, stale (served on upstream error),"
            " error (the cache itself failed) and invalidation_pending (a mutation"
            " answered before its list invalidation reached the cache; replayed"
            " later).",
            ["event"],
            registry=self.registry,
        )
        self.responses_reused = Counter(
            "gateway_responses_reused",
            "Queries answered with a kept whole response, skipping execution.",
            registry=self.registry,
        )
        self.responses_shared = Counter(
            "gateway_responses_shared",
            "Queries answered by an identical request's execution in flight.",
            registry=self.registry,
        )
        self.breaker_state = Enum(
            "gateway_upstream_breaker_state",
            "State of the circuit breaker in front of the REST API.",
            states=["closed", "open", "half_open"],
            registry=self.registry,
        )

    def count_request(self, operation: str | None, outcome: str) -> None:
        """One GraphQL request ended with `outcome` (`ok` or an error code)."""
        name = (operation or "anonymous")[:MAX_OPERATION_NAME]
        self.requests.labels(operation=name, outcome=outcome).inc()

    def count_cache_event(self, event: str) -> None:
        """The cache had a `hit`, `miss`, `stale` value served, `error`, or an
        `invalidation_pending`."""
        self.cache_events.labels(event=event).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

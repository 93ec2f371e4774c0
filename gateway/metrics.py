"""`Metrics`: what the gateway counts, exposed at `/metrics` in Prometheus' text format.

Each app builds its own registry rather than using prometheus-client's global one,
so that several apps in one process (tests, embedded servers) never share counts.

With `gateway serve --workers N` each worker is its own process, and a scrape
reaches whichever worker accepts it. So the CLI gives the workers one directory
(`MULTIPROCESS_ENV`, set before they start: prometheus-client picks its storage
when it is imported) where each keeps its values in files, and `/metrics` adds up
the whole process group (prometheus-client's multiprocess mode). Counters of a
worker that ended still count; gauges of live workers only.

Labels are bounded on purpose: operations are named by the client but capped to
their first `MAX_OPERATION_NAME` characters, endpoints are path templates, never
paths with ids, and nothing derived from credentials is ever a label.
"""

import os
import re
from pathlib import Path
from typing import Generic, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

M = TypeVar("M", bound=MetricWrapperBase)

#: The variable that puts prometheus-client in multiprocess mode, naming its directory.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
MAX_OPERATION_NAME = 64
BREAKER_STATES = ("closed", "open", "half_open")
# prometheus-client's files of gauges counted for live processes only.
_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+_(\d+)\.db")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Children(Generic[M]):
    """A labelled metric's children, by their label values.

    prometheus-client's `labels` validates the values and takes a lock on every
    call, and the gateway counts several times per request (a percent of a cold
    request's CPU). The children are the ones `labels` made: nothing of ours
    removes any, so each stays the metric's own.
    """

    def __init__(self, metric: M) -> None:
        self.metric = metric
        self._children: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        """The child of these label values, in the metric's label order."""
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self.metric.labels(*values)
        return child


class Metrics:
    """The counters of one app; every component that counts is handed this object.

    `multiprocess_dir` is the directory of a worker process group (None: this
    process alone); the process must have started with `MULTIPROCESS_ENV` naming it.
    """

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        # `*_created` series double the output and no dashboard of ours reads them.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self._multiprocess_dir = multiprocess_dir
        if multiprocess_dir is not None:
            forget_dead_workers(multiprocess_dir)
        self.registry = CollectorRegistry()
        self.requests = Children(
            Counter(
                "gateway_graphql_requests",
                "GraphQL requests by operation name and outcome (ok or an error code).",
                ["operation", "outcome"],
                registry=self.registry,
            )
        )
        self.upstream_requests = Children(
            Counter(
                "gateway_upstream_requests",
                "Attempts to call the REST API by endpoint template and outcome: the"
                " HTTP status, 'error', 'timeout', or 'circuit_open' (not sent).",
                ["endpoint", "status"],
                registry=self.registry,
            )
        )
        self.upstream_latency = Children(
            Histogram(
                "gateway_upstream_request_duration_seconds",
                "Time from sending an upstream request to reading its whole body.",
                ["endpoint"],
                buckets=_LATENCY_BUCKETS,
                registry=self.registry,
            )
        )
        self.cache_events = Children(
            Counter(
                "gateway_cache_events",
                "Cache lookups and failures: hit, miss, stale (served on upstream"
                " error), error (the cache itself failed) and invalidation_pending (a"
                " mutation answered before its list invalidation reached the cache;"
                " replayed later).",
                ["event"],
                registry=self.registry,
            )
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
        # A gauge per state rather than an Enum, which multiprocess mode cannot
        # add up; the label keeps the Enum's name, so the series stay the same.
        self.breaker_state = Gauge(
            "gateway_upstream_breaker_state",
            "State of the circuit breaker in front of the REST API: 1 for the"
            " current state (with --workers N: how many workers are in it).",
            ["gateway_upstream_breaker_state"],
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        # The breaker opens for fractions of a second: a scrape of its state
        # misses most openings, so they are counted where they happen.
        self.breaker_opened = Counter(
            "gateway_upstream_breaker_opened",
            "Times the circuit breaker opened: from closed, or again after its"
            " half-open probes failed.",
            registry=self.registry,
        )
        self.show_breaker_state("closed")

    def show_breaker_state(self, current: str) -> None:
        """The breaker is now in `current`, one of `BREAKER_STATES`."""
        for state in BREAKER_STATES:
            self.breaker_state.labels(state).set(1 if state == current else 0)
        if current == "open":
            self.breaker_opened.inc()

    def count_request(self, operation: str | None, outcome: str) -> None:
        """One GraphQL request ended with `outcome` (`ok` or an error code)."""
        name = (operation or "anonymous")[:MAX_OPERATION_NAME]
        self.requests(name, outcome).inc()

    def count_cache_event(self, event: str) -> None:
        """The cache had a `hit`, `miss`, `stale` value served, `error`, or an
        `invalidation_pending`."""
        self.cache_events(event).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format (of the whole process group in
        multiprocess mode), and its content type."""
        if self._multiprocess_dir is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        group = CollectorRegistry()
        MultiProcessCollector(group, path=self._multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(group), CONTENT_TYPE_LATEST


def forget_dead_workers(directory: str) -> None:
    """Drop the live gauges of workers that have ended, killed ones included.

    uvicorn starts a new worker in place of each that ends (restarts and reloads
    too), after the old one is gone, so a worker starting up cleans after it; the
    CLI removes the whole directory at exit.
    """
    for path in Path(directory).iterdir():
        match = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if match and not _running(int(match.group(1))):
            mark_process_dead(int(match.group(1)), directory)  # type: ignore[no-untyped-call]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True

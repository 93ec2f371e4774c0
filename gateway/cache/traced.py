"""`TracedCache`: a `Cache` whose every lookup is a span, for tracing only.

A span names its key by the key's template (`LookupSpans.key_template`), never
the key itself: keys hold an account id or a digest of the caller's credentials,
and traces are kept longer and read more widely than the cache, so neither may
reach them. The template also keeps the spans' attributes few in kind, as
trace backends group them.
"""

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiocache.base import BaseCache
from opentelemetry.trace import Span, Tracer

from gateway.cache.store import Aged, Cache

KEY_TEMPLATE = "gateway.cache.key_template"
HIT = "gateway.cache.hit"
BACKEND = "gateway.cache.backend"


@dataclass(frozen=True, slots=True)
class LookupSpans:
    """What a traced cache needs: a tracer, and what a key is built from
    (e.g. `list:{account}:…`), never carrying the key's values."""

    tracer: Tracer
    key_template: Callable[[str], str]


class TracedCache(Cache):
    """`Cache` with a span around each `get` (or `get_aged`) and `get_stale`: its
    key template, backend (`memory` or `redis`) and whether it hit. A backend that
    failed is a miss, as for the caller."""

    def __init__(
        self,
        backend: BaseCache,
        *,
        spans: LookupSpans,
        backend_name: str,
        **options: Any,
    ) -> None:
        super().__init__(backend, **options)
        self._spans = spans
        self._backend_name = backend_name

    async def get_aged(self, key: str, *, max_age: float | None = None) -> Aged | None:
        # `get` reads through here: one span either way.
        with self._span("cache get", key) as span:
            aged = await super().get_aged(key, max_age=max_age)
            span.set_attribute(HIT, aged is not None)
        return aged

    async def get_stale(self, key: str, *, max_age: float) -> Aged | None:
        with self._span("cache get stale", key) as span:
            aged = await super().get_stale(key, max_age=max_age)
            span.set_attribute(HIT, aged is not None)
        return aged

    @contextlib.contextmanager
    def _span(self, name: str, key: str) -> Iterator[Span]:
        attributes = {
            KEY_TEMPLATE: self._spans.key_template(key),
            BACKEND: self._backend_name,
        }
        with self._spans.tracer.start_as_current_span(
            name, attributes=attributes
        ) as span:
            yield span

"""Answers that skip an execution: a kept response, or an identical one in flight.

Two steps of the view's pipeline, each counted at `/metrics`:

- `KeptResponses` answers a query that the same credentials sent before from
  `ResponseCache` (`gateway_responses_reused_total`), while every list in the
  response is still at the generation it was built from;
- `SharedExecutions` lets identical queries in flight at the same moment share
  one execution (`gateway_responses_shared_total`), while no write touches the
  account in between.

Which generations a response depends on, and whether they still hold, is the
accounts service's to say: these steps hold its answers but never see a cache key.
"""

from starlette.responses import Response

from gateway.accounts.single_flight import SingleFlight
from gateway.transport.exchange import Exchange
from gateway.transport.pipeline import Answer
from gateway.transport.responses import ResponseCache


class KeptResponses:
    """Serves kept responses while current, and keeps what executions allow."""

    def __init__(self, responses: ResponseCache) -> None:
        self._responses = responses

    async def __call__(self, exchange: Exchange, call_next: Answer) -> Response:
        key = exchange.key
        if key is None:
            return await call_next(exchange)
        # Served only while every list in it is current.
        kept = self._responses.get(key)
        if kept is not None and await exchange.accounts.is_current(kept.generations):
            exchange.valid = True  # it was kept from a run without errors
            exchange.conclude(key.operation_name, "ok")
            exchange.metrics.responses_reused.inc()
            return Response(kept.body, media_type=exchange.media_type)
        response = await call_next(exchange)
        reusable = exchange.reusable
        if reusable is not None and response.status_code == 200:
            body = bytes(response.body)
            self._responses.put(key, body, reusable.generations, reusable.ttl)
        return response


class SharedExecutions:
    """Runs identical queries by the same credentials in flight at once only once.

    Without it, every identical request in flight (after a write made the kept
    response outdated, or with list caching off) would execute the same query
    again. A flight is keyed by the account's generations as each sharer read
    them, so none is handed data older than a write it came after.
    """

    def __init__(self, flights: SingleFlight) -> None:
        self._flights = flights

    async def __call__(self, exchange: Exchange, call_next: Answer) -> Response:
        key = exchange.key
        if key is None:
            return await call_next(exchange)
        generations = await exchange.accounts.generations_now()
        if generations is None:
            return await call_next(exchange)
        response, leader = await self._flights.run(
            (key, exchange.media_type, generations), lambda: _lead(exchange, call_next)
        )
        if leader is not exchange and leader.outcome is not None:
            exchange.valid = leader.valid
            exchange.conclude(key.operation_name, leader.outcome)
            exchange.metrics.responses_shared.inc()
        return response


async def _lead(exchange: Exchange, call_next: Answer) -> tuple[Response, Exchange]:
    """Execute for every sharer, who end as this exchange did."""
    return await call_next(exchange), exchange

"""`RateLimit`: the pipeline's first step, holding back a caller who sends too much.

Each caller's credentials have a token bucket (`Buckets`, given by the app: in
process, or in Redis shared by the replicas); a request that finds it empty is
answered at once, before any parsing or upstream call, with HTTP 429, a
`Retry-After` header and a GraphQL error:

    {"errors": [{"message": "…",
                 "extensions": {"code": "RATE_LIMITED", "retryAfter": 0.8}}]}

429 rather than 200: the request is refused before it is a GraphQL request at
all, like a body that is too large (413). The GraphQL-over-HTTP specification
leaves such refusals (rate limits among them) to HTTP's own status codes, and
routers and HTTP clients act on 429 and `Retry-After` without reading the body.

Requests without credentials are not limited: nothing identifies their caller,
and they never reach upstream (`MissingCredentialsError`).
"""

import math
from typing import Protocol

import orjson
from starlette.responses import Response

from gateway.transport.exchange import Exchange
from gateway.transport.pipeline import Answer

RATE_LIMITED = "RATE_LIMITED"


class Buckets(Protocol):
    """A token bucket per caller, keyed by their credentials' fingerprint."""

    async def take(self, key: str) -> float:
        """Take a token: 0, or the seconds until the bucket has one."""
        ...


class RateLimit:
    """Answers RATE_LIMITED to a caller whose bucket is empty; passes the rest on."""

    def __init__(self, buckets: Buckets) -> None:
        self._buckets = buckets

    async def __call__(self, exchange: Exchange, call_next: Answer) -> Response:
        credentials = exchange.credentials
        if not credentials.present:
            return await call_next(exchange)
        wait = await self._buckets.take(credentials.fingerprint)
        if wait <= 0:
            return await call_next(exchange)
        exchange.conclude(None, RATE_LIMITED)
        return rate_limited(wait, exchange.media_type)


def rate_limited(wait: float, media_type: str) -> Response:
    """The answer to a request that must wait `wait` seconds before the next one."""
    retry_after = math.ceil(wait * 1000) / 1000  # never less than the wait
    error = {
        "message": (
            f"Too many requests with these credentials; retry in {retry_after:g} s."
        ),
        "extensions": {"code": RATE_LIMITED, "retryAfter": retry_after},
    }
    return Response(
        orjson.dumps({"errors": [error]}),
        status_code=429,
        media_type=media_type,
        # Retry-After takes whole seconds (RFC 9110 §10.2.3).
        headers={"Retry-After": str(math.ceil(retry_after))},
    )

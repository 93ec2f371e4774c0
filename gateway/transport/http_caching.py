"""HTTP caching of GET queries: `Cache-Control`, `Vary`, an `ETag`, and `304`.

A GET query whose response may be served again (the accounts service's
`Reusable`: no error, nothing stale, no write, every generation known) is sent
`Cache-Control: private, max-age=N`, N being what remains (in whole seconds,
rounded down) of the shortest TTL of what it holds (the account mapping's, and
the lists' when it holds any): no browser keeps it longer than the gateway
itself would serve those data. `private`, and `Vary` on `Accept`
and the credential headers, keep it out of shared caches and apart per caller.

Its `ETag` is a SHA-256 of the caller's credential fingerprint, the generations
of the lists it holds and the body. A request whose `If-None-Match` names it is
answered `304 Not Modified` once the query ran again and produced that very tag:
never for another caller (another fingerprint), never after the caller's own
write (that write moved a generation on, even if the body came out the same).
Everything else (POSTs, mutations, errors, stale data) is `no-store`, which the
view sets on every answer that this step left alone.
"""

import hashlib
from collections.abc import Sequence

from starlette.responses import Response

from gateway.accounts.service import Reusable
from gateway.transport.exchange import Exchange
from gateway.transport.pipeline import Answer


class HttpCaching:
    """The step that lets clients keep GET answers, and revalidate them."""

    def __init__(self, credential_headers: Sequence[str]) -> None:
        self._vary = ", ".join(["Accept", *credential_headers])

    async def __call__(self, exchange: Exchange, call_next: Answer) -> Response:
        response = await call_next(exchange)
        reusable = exchange.reusable
        if (
            exchange.request.method != "GET"
            or response.status_code != 200
            or reusable is None
        ):
            return response
        etag = _etag(exchange.credentials.fingerprint, reusable, bytes(response.body))
        headers = {
            "cache-control": f"private, max-age={int(reusable.ttl)}",
            "etag": etag,
            "vary": self._vary,
        }
        if _matches(exchange.request.headers.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=headers)
        response.headers.update(headers)
        return response


def _etag(fingerprint: str, reusable: Reusable, body: bytes) -> str:
    """A strong validator of `body` as this caller got it from these generations."""
    digest = hashlib.sha256(fingerprint.encode())
    digest.update(repr(reusable.generations).encode())
    digest.update(body)
    return f'"{digest.hexdigest()[:32]}"'


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether an `If-None-Match` names `etag` (weakly, as RFC 9110 compares)."""
    tags = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return etag in tags

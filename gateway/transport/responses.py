"""`ResponseCache`: whole responses to repeated identical queries, kept in process.

A warm query from the same credentials with the same document and variables skips
parsing, validation and execution. It stays within DESIGN.md's invariants:

- isolation: an entry is keyed by the SHA-256 fingerprint of the credentials that
  produced it (never the credentials in clear), so it is only ever served to those
  same credentials, and it lives no longer than their account mapping
  (`account_ttl`) nor than the lists in it (`list_ttl`);
- read your writes: an entry records the generation of every list it was built from
  (the accounts service's `Generations`) and is served only while the service
  says each is still current, so a write through any replica makes it unreadable
  at once.

Only responses without errors or extensions are kept (a stale list or an error must
be computed afresh). Entries are bounded in total bytes, least recently used first
out; being per process, they need no serialisation and cost no round trip.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from gateway.accounts.service import Generations


class RequestKey(NamedTuple):
    """What a response depends on besides list generations.

    A named tuple: built, hashed and compared in C, where a frozen dataclass
    does all three in Python, and every request to `/graphql` makes one and
    looks it up.
    """

    fingerprint: str
    query: str
    operation_name: str | None
    variables: bytes  # canonical JSON, keys sorted


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A response body and what must still hold for it to be served."""

    body: bytes
    generations: Generations
    expires: float  # on the cache's clock (monotonic seconds)


class ResponseCache:
    """A bounded, least-recently-used map from `RequestKey` to `CachedResponse`.

    `clock` (monotonic seconds) dates the entries: a test moves it past a TTL.
    """

    def __init__(
        self, max_bytes: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max_bytes = max_bytes
        self._clock = clock
        self._bytes = 0
        self._entries: OrderedDict[RequestKey, CachedResponse] = OrderedDict()

    def get(self, key: RequestKey) -> CachedResponse | None:
        """The unexpired entry under `key`; the caller checks its generations."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= self._clock():
            self.discard(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(
        self, key: RequestKey, body: bytes, generations: Generations, ttl: float
    ) -> None:
        """Keep `body` for `ttl` seconds, evicting the least recently used to fit."""
        if ttl <= 0 or len(body) > self._max_bytes:
            return
        self.discard(key)
        self._entries[key] = CachedResponse(body, generations, self._clock() + ttl)
        self._bytes += len(body)
        while self._bytes > self._max_bytes:
            self.discard(next(iter(self._entries)))

    def discard(self, key: RequestKey) -> None:
        """Forget the entry under `key`, if any."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.body)

    def __len__(self) -> int:
        return len(self._entries)


def json_object(body: bytes) -> dict[str, Any] | None:
    """A request body decoded, if it is a JSON object; None for anything else
    (not JSON, not UTF-8, a batch, a string), which strawberry refuses itself."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) else None


def request_key(
    payload: dict[str, Any] | None, fingerprint: str, document: str | None = None
) -> RequestKey | None:
    """The key of a decoded request body (`json_object`), or None if it is not a
    plain single query; `document` stands for its query (a persisted query's text).

    Anything odd (not JSON, a batch, wrong types) is left to strawberry to refuse.
    """
    if payload is None:
        return None
    query = payload.get("query") if document is None else document
    name = payload.get("operationName")
    variables = payload.get("variables")
    variables = {} if variables is None else variables
    if not isinstance(query, str) or not isinstance(name, str | None):
        return None
    if not isinstance(variables, dict):
        return None
    try:
        canonical = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # e.g. an integer beyond 64 bits: strawberry will refuse it
        return None
    return RequestKey(fingerprint, query, name, canonical)

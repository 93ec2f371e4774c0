"""`PersistedDocuments`: the query texts of automatic persisted queries, by hash.

They live in a `Cache`: the shared one when it is Redis, so that a query
registered through one replica is known to all; else one of their own in process,
bounded in entries (the oldest registration goes first), so that the pages of the
lists are not evicted by them nor they by the pages. A lost entry costs one round
trip: the client sends the text again. Each is one key (`pq:<sha256>`, no hash
tag: it is read alone), which suits a Redis Cluster too.
"""

from gateway.cache.store import Cache

DOCUMENT_PREFIX = "pq:"
#: How a key is laid out, as a trace names it (never the key: a hash is an id).
DOCUMENT_KEY = DOCUMENT_PREFIX + "{sha256}"


class PersistedDocuments:
    """Query texts under their hex SHA-256, each kept `ttl` seconds."""

    def __init__(self, cache: Cache, *, ttl: float) -> None:
        self._cache = cache
        self._ttl = ttl

    async def get(self, sha256: str) -> str | None:
        """The text registered under `sha256`; None if unknown or unreachable."""
        document = await self._cache.get(DOCUMENT_PREFIX + sha256)
        return document if isinstance(document, str) else None

    async def put(self, sha256: str, document: str) -> None:
        """Register `document` under `sha256` (which the caller has checked)."""
        await self._cache.set(DOCUMENT_PREFIX + sha256, document, self._ttl)

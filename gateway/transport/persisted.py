"""Persisted queries: Apollo's automatic persisted queries, or trusted documents only.

Automatic persisted queries (APQ, https://www.apollographql.com/docs/apollo-server/performance/apq):
a client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": …}`
instead of the query's text, over POST or GET. A hash the store knows runs the
text it stands for; an unknown one is answered `PersistedQueryNotFound`
(`PERSISTED_QUERY_NOT_FOUND`), and the client sends the text with its hash,
which registers it once the text parses and validates. A text whose SHA-256 is
not the hash sent is refused, so nobody can register one text under another's
hash. The store is the cache: in process, or the shared Redis.

Trusted documents (`manifest.py`): with a manifest, only its operations run, by
id or by exact text; nothing is registered. An unknown id is
`PERSISTED_QUERY_NOT_FOUND`; a text outside the manifest is `BAD_USER_INPUT`
with the reason `PERSISTED_QUERY_NOT_IN_LIST` (Apollo Router's name for it).
With APQ switched off and no manifest, a hash is `PERSISTED_QUERY_NOT_SUPPORTED`.
"""

import hashlib
from typing import Any, NamedTuple

import orjson
from starlette.requests import Request
from starlette.responses import Response

from gateway.edge.request_errors import request_error
from gateway.transport.exchange import DocumentStore, Exchange
from gateway.transport.manifest import TrustedDocuments
from gateway.transport.pipeline import Answer

VERSION = 1
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
#: Apollo Server's wording, which Apollo clients read.
MISMATCH = "provided sha does not match query"


class Asked(NamedTuple):
    """What a request sent: its query text, and the hash of a persisted query.

    A named tuple, built in C: every operation request makes one.
    """

    query: str | None
    sha256: str | None


class PersistedQueryError(Exception):
    """A request that a persisted-query rule refuses, with the error to answer."""

    def __init__(self, message: str, code: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.reason = message, code, reason


class PersistedQueries:
    """The step that resolves persisted queries, or runs trusted documents only.

    `trusted` is the manifest, when only its operations may run; otherwise the
    process's `DocumentStore` (`State["documents"]`) holds registered queries,
    and there is none when APQ is switched off.
    """

    def __init__(self, trusted: TrustedDocuments | None) -> None:
        self._trusted = trusted

    async def __call__(self, exchange: Exchange, call_next: Answer) -> Response:
        store = exchange.state["documents"]
        try:
            asked = await _asked(exchange)
            # A plain query with no manifest to hold it to has nothing to resolve
            # nor register: most requests, which need neither step's coroutine.
            if asked is not None and (
                asked.sha256 is not None or self._trusted is not None
            ):
                await self._resolve(exchange, asked, store)
        except PersistedQueryError as refused:
            return _refusal(exchange, refused)
        response = await call_next(exchange)
        if asked is not None and asked.sha256 is not None and exchange.valid:
            await self._register(asked, store)
        return response

    async def _resolve(
        self, exchange: Exchange, asked: Asked, store: DocumentStore | None
    ) -> None:
        """Check `asked` against the rules; fill in the text a hash stands for."""
        if asked.sha256 is not None and store is None and self._trusted is None:
            raise PersistedQueryError("PersistedQueryNotSupported", NOT_SUPPORTED)
        if asked.query is not None:
            if asked.sha256 is not None and not self._matches(
                asked.query, asked.sha256
            ):
                raise PersistedQueryError(
                    MISMATCH, "BAD_USER_INPUT", "PERSISTED_QUERY_HASH_MISMATCH"
                )
            if self._trusted is not None and not self._trusted.holds(asked.query):
                raise PersistedQueryError(_NOT_TRUSTED, "BAD_USER_INPUT", NOT_IN_LIST)
            return
        if asked.sha256 is None:
            return  # no query at all: strawberry says so
        exchange.document = await self._document(asked.sha256, store)
        exchange.key = await exchange.reuse_key()

    async def _document(self, sha256: str, store: DocumentStore | None) -> str:
        """The text `sha256` stands for; raises `PersistedQueryError` when unknown."""
        if self._trusted is not None:
            document = self._trusted.by_id(sha256)
        else:
            assert store is not None  # `_resolve` refused it otherwise
            document = await store.get(sha256)
        if document is None:
            raise PersistedQueryError("PersistedQueryNotFound", NOT_FOUND)
        return document

    def _matches(self, query: str, sha256: str) -> bool:
        """Whether the hash sent is the text's: its SHA-256, or the manifest's id
        for that very text (a manifest may name operations by ids of its own)."""
        if self._trusted is not None and self._trusted.by_id(sha256) == query:
            return True
        return hashlib.sha256(query.encode()).hexdigest() == sha256

    async def _register(self, asked: Asked, store: DocumentStore | None) -> None:
        """Keep a valid text sent with its hash (APQ's registration); with a
        manifest, nothing is registered."""
        if store is None or self._trusted is not None:
            return
        if asked.query is not None and asked.sha256 is not None:
            await store.put(asked.sha256, asked.query)


_NOT_TRUSTED = (
    "This operation is not one of the trusted documents the gateway runs "
    "(GATEWAY_TRUSTED_DOCUMENTS): send an operation of the app's manifest, by its "
    "id in extensions.persistedQuery.sha256Hash or by its exact text."
)


async def _asked(exchange: Exchange) -> Asked | None:
    """The query and persisted-query hash of a single operation request; None for
    anything else (the GraphiQL page, a batch, a body that is not JSON), which
    strawberry answers. Raises `PersistedQueryError` for a malformed
    `persistedQuery`."""
    request = exchange.request
    if request.method == "GET":
        payload: dict[str, Any] | None = _parameters(request)
    else:  # a POST's JSON body, decoded once, for the request key too
        payload = await exchange.body_object()
    if payload is None:
        return None
    query = payload.get("query")
    extensions = payload.get("extensions")
    persisted = (
        extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    )
    return Asked(
        query if isinstance(query, str) else None,
        None if persisted is None else _sha256(persisted),
    )


def _parameters(request: Request) -> dict[str, Any]:
    """A GET's parameters as the operation request they spell (`extensions`
    decoded)."""
    params: dict[str, Any] = dict(request.query_params)
    if "extensions" in params:
        params["extensions"] = _decoded(params["extensions"])
    return params


def _decoded(text: str) -> object:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _sha256(persisted: object) -> str:
    """The hash of an `extensions.persistedQuery`; raises `PersistedQueryError`
    unless it is version 1 with a hash, as Apollo's protocol has it."""
    if not isinstance(persisted, dict) or persisted.get("version") != VERSION:
        raise PersistedQueryError(
            f"Unsupported persisted query version: send version {VERSION}.",
            "BAD_USER_INPUT",
            "PERSISTED_QUERY_VERSION",
        )
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not sha256:
        raise PersistedQueryError(
            "extensions.persistedQuery.sha256Hash must be the query's SHA-256, "
            "in hexadecimal.",
            "BAD_USER_INPUT",
            "PERSISTED_QUERY_HASH",
        )
    return sha256


def _refusal(exchange: Exchange, refused: PersistedQueryError) -> Response:
    """The error response to a refused request, counted under its code.

    A request error: 400 in `application/graphql-response+json`, 200 in plain
    JSON (GraphQL over HTTP), as the view answers strawberry's own.
    """
    exchange.conclude(None, refused.code)
    status = 200 if exchange.media_type == "application/json" else 400
    response = request_error(
        status, refused.message, code=refused.code, reason=refused.reason
    )
    response.headers["content-type"] = exchange.media_type
    return response

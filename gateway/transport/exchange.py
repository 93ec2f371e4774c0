"""What a request to `/graphql` carries through the view: the process's `State` and
its own `Exchange`, in place of untyped `request.state` attributes."""

import weakref
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict

from starlette.requests import ClientDisconnect, Request
from starlette.types import Scope

from gateway.accounts.service import AccountService, AccountServices, Reusable
from gateway.metrics import Metrics
from gateway.transport.responses import RequestKey, json_object, request_key
from gateway.upstream.credentials import Credentials


class DocumentStore(Protocol):
    """Persisted queries' texts by the hex SHA-256 of each
    (`gateway.cache.documents`)."""

    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, document: str) -> None: ...


class State(TypedDict):
    """What the view reads of the state the app's lifespan opens once per process."""

    accounts: AccountServices
    documents: DocumentStore | None  # persisted queries; None: APQ is off
    metrics: Metrics


def lifespan_state(scope: Scope) -> State:
    """The lifespan's state as the server hands it to each request.

    Strawberry's view types its requests with Starlette's default state, so
    `Request[State]` cannot reach its hooks; this reads the same mapping that
    `request.state` wraps.
    """
    state: State = scope["state"]
    return state


@dataclass(slots=True, eq=False, weakref_slot=True)
class Exchange:
    """One request to `/graphql` on its way through the view, made once by it.

    What the view's steps and strawberry's hooks share: who asks (`credentials`,
    and the `accounts` service built around them), the media type to answer in,
    what identifies the query for reuse and sharing (`key`; None when nothing may
    be reused), and what became of it: the `operation` and its `outcome` (for
    `/metrics` and the access line) and, after an execution, whether and while
    which generations its response may be served again (`reusable`).

    A persisted query adds the text its hash stands for (`document`, filled in
    by `persisted`), which strawberry executes in place of the absent `query`,
    and whether that text parsed and validated, in this request's run or in the
    one whose response it got (`valid`): only such a text is registered.

    The request key and the persisted-query step both read a POST's body as a
    JSON object (`body_object`): it is decoded once for both, and for the second
    key a persisted query asks for.
    """

    request: Request
    state: State
    credentials: Credentials
    accounts: AccountService
    media_type: str
    key: RequestKey | None = None
    document: str | None = None
    valid: bool = False
    operation: str | None = None
    outcome: str | None = None
    reusable: Reusable | None = None
    _body_object: dict[str, Any] | None = field(default=None, init=False)
    _body_read: bool = field(default=False, init=False)

    @property
    def metrics(self) -> Metrics:
        return self.state["metrics"]

    def conclude(self, operation: str | None, outcome: str) -> None:
        """Say how the request ended (`ok` or an error code), and count it."""
        self.operation, self.outcome = operation, outcome
        self.metrics.count_request(operation, outcome)

    async def reuse_key(self) -> RequestKey | None:
        """What identifies a POSTed query for reuse or sharing; None if nothing can.

        A persisted query counts as the text it stands for (`document`).
        """
        if self.request.method != "POST" or not self.credentials.present:
            return None
        payload = await self.body_object()
        return request_key(payload, self.credentials.fingerprint, self.document)

    async def body_object(self) -> dict[str, Any] | None:
        """The body decoded, if it is a JSON object (`json_object`), at the first
        call only: the one mapping is shared by every reader, so none changes it."""
        if not self._body_read:
            self._body_object = json_object(await self.request.body())
            self._body_read = True
        return self._body_object


class GraphQLRequest(Request):
    """Starlette's request, carrying its `Exchange` to strawberry's hooks.

    It refers to the exchange weakly, since the exchange refers to it: a strong
    reference both ways made every request a reference cycle that outlived it
    until a full pass of the garbage collector, and under load those passes
    (~50 ms each, over every object of the process) came every second or so.
    The view holds the exchange for as long as the request runs.
    """

    _exchange: "weakref.ref[Exchange]"

    @property
    def exchange(self) -> Exchange:
        exchange = self._exchange()
        assert exchange is not None  # the view holds it while strawberry runs
        return exchange

    @exchange.setter
    def exchange(self, exchange: Exchange) -> None:
        self._exchange = weakref.ref(exchange)

    async def body(self) -> bytes:
        """The whole body, read straight from `receive`.

        Starlette's own goes through its `stream()`, an async generator, in an
        `aclosing` block: several objects and frames per request for what is
        nearly always one message. What it keeps (`_body`, and `_is_disconnected`
        when the client went away) is kept alike, so `stream()` and `form()`
        still find it.
        """
        if not hasattr(self, "_body"):
            chunks = []
            more = True
            while more:
                message = await self._receive()
                if message["type"] == "http.disconnect":
                    self._is_disconnected = True
                    raise ClientDisconnect
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            self._body = b"".join(chunks)
        return self._body

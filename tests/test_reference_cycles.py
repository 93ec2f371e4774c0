"""A request leaves no reference cycle behind it in the gateway.

Whatever a request allocates must be freed when it ends, by reference counting:
a request that is a cycle lives on until a full collection finds it, and under
load those full passes over the whole process (50 to 60 ms each) came about once
a second and made most of the bench's p99. Each case runs its requests with the
collector off and every unreachable object kept (`gc.DEBUG_SAVEALL`), then
collects: what is found came from cycles. Every document was sent once before,
since a new one is parsed and validated once (then cached), and graphql-core's
validation does leave cycles; each of those runs once per distinct document, not
per request. A failing request is freed too: during an upstream outage every
request fails, and its errors' tracebacks hold the executor's frames.
Objects of the test's own HTTP client (aiohttp) are left out; the server side is
everything of these packages.
"""

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest

from gateway.settings import Settings
from harness.servers import RunningServer
from tests.conftest import ALICE, Upstream, running_gateway
from tests.cycles import cyclic_garbage
from tests.graphql_client import GraphQLClient

SERVER_PACKAGES = ("gateway", "starlette", "uvicorn", "strawberry", "graphql")
LISTS = """query ($page: Int!) { account { id
  favorites(mediaType: MOVIE, page: $page) { totalResults results { id title } }
  watchlist(mediaType: TV) { results { id title } }
  rated(mediaType: MOVIE) { results { id rating } } } }"""
SET_FAVORITE = """mutation ($id: Int!, $on: Boolean!) {
  setFavorite(mediaType: MOVIE, mediaId: $id, favorite: $on) { favorite } }"""
RATE = """mutation ($rating: Float!) {
  rate(mediaType: MOVIE, mediaId: 550, rating: $rating) { rating } }"""


async def _cyclic_garbage(requests: Callable[[], Awaitable[None]]) -> Counter[str]:
    """The server-side objects that `requests` left in reference cycles, by type."""
    return Counter(await cyclic_garbage(requests, _server_type))


def _server_type(found: object) -> str | None:
    """The type of `found` if it is one of the server's packages."""
    kind = type(found)
    if kind.__module__.split(".")[0] not in SERVER_PACKAGES:
        return None
    return f"{kind.__module__}.{kind.__qualname__}"


CASES = {
    # a page not read before each time: executed, and read from upstream
    "executed": lambda n: (LISTS, {"page": n + 2}),
    "kept": lambda n: (LISTS, {"page": 1}),
    "mutation": lambda n: (SET_FAVORITE, {"id": 550, "on": n % 2 == 0}),
}
#: Failing requests and their error codes: refused by the gateway's own check in
#: a resolver, and a list that upstream fails (the account is cached).
FAILING = {
    "refused": (lambda n: (RATE, {"rating": 10.5 + n}), None, ["BAD_USER_INPUT"]),
    "upstream fails": (lambda n: (LISTS, {"page": n + 2}), 500, ["UPSTREAM_ERROR"]),
}


@pytest.mark.parametrize("case", CASES)
async def test_a_request_is_freed_when_it_ends(alice: GraphQLClient, case: str) -> None:
    await alice.query(LISTS, {"page": 1})  # the account and page 1 are cached
    await alice.query(*CASES[case](0))  # the document is parsed and validated

    async def requests() -> None:
        for n in range(1, 4):
            result = await alice.query(*CASES[case](n))
            assert result.status == 200
            assert result.codes == []

    assert await _cyclic_garbage(requests) == Counter()


@pytest.mark.parametrize("case", FAILING)
async def test_a_failing_request_is_freed_when_it_ends(
    alice: GraphQLClient, upstream: Upstream, case: str
) -> None:
    document, status, codes = FAILING[case]
    await alice.query(LISTS, {"page": 1})  # the account and page 1 are cached
    await alice.query(*document(0))  # the document is parsed and validated
    upstream.faults.status = status

    async def requests() -> None:
        for n in range(1, 4):
            result = await alice.query(*document(n))
            assert result.status == 200
            assert set(result.codes) == set(codes)

    assert await _cyclic_garbage(requests) == Counter()


async def test_a_request_whose_account_fails_is_freed_when_it_ends(
    settings: Settings,
    upstream: Upstream,
    client_for: Callable[[RunningServer, dict[str, str]], GraphQLClient],
) -> None:
    """The account is read from upstream on every request (nothing cached, not
    even to serve stale), and fails: its memo holds the error, whose traceback
    holds the service, until the request ends."""
    document = "{ account { id favorites(mediaType: MOVIE) { totalResults } } }"
    no_account_cache = replace(settings, account_ttl=0, stale_ttl=0)
    async with running_gateway(no_account_cache) as gateway:
        alice = client_for(gateway, ALICE)
        await alice.query(document)  # the document is parsed and validated
        upstream.faults.status = 500

        async def requests() -> None:
            for _ in range(3):
                result = await alice.query(document)
                assert result.status == 200
                assert result.codes == ["UPSTREAM_ERROR"]

        assert await _cyclic_garbage(requests) == Counter()

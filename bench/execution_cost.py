"""CPU time of executing the lists query in-process, planned execution on and off.

    .venv/bin/python -m bench.execution_cost [EXECUTIONS [ROUNDS]]   # 1000 5

`schema.execute` of loadgen's lists query (account + 3 pages, 45 items) against
fixed pages: no HTTP, no upstream, no cache, so the figure is the GraphQL layer
alone (strawberry's request machinery, graphql-core and `gateway.schema`).
Rounds alternate the two schemas, and each one's median round and its quickest
are printed in microseconds of CPU per execution (`time.process_time()`: other
processes' load can only add to a round, so the quickest is the better estimate).
"""

import asyncio
import sys
from typing import Any

import strawberry

from bench.cpu import counts, cpu_per_call, summary
from bench.limit import LISTS_QUERY
from gateway.accounts.service import Served
from gateway.app import schema_limits
from gateway.schema.build import create_schema
from gateway.schema.context import Context
from gateway.settings import Settings
from gateway.upstream import models
from gateway.upstream.models import ListName, MediaKind

LIMITS = schema_limits(Settings())  # the defaults
ACCOUNT = models.Account(
    id=12345,
    name="Alice",
    username="alice",
    include_adult=False,
    iso_639_1="en",
    iso_3166_1="US",
    gravatar_hash=None,
)


def _page(kind: MediaKind, size: int, rated: bool = False) -> models.MediaPage:
    items = tuple(
        models.MediaItem(
            id=500 + n,
            kind=kind,
            title=f"Title {n}",
            overview="An overview.",
            poster_path=None,
            backdrop_path=None,
            release_date="2020-01-01",
            vote_average=7.5,
            vote_count=100,
            rating=8.0 if rated else None,
        )
        for n in range(size)
    )
    return models.MediaPage(page=1, total_pages=1, total_results=size, results=items)


#: The bench's 45 items: 25 favorite movies, 10 watchlist shows, 15 rated movies.
PAGES = {
    ListName.FAVORITES: _page(MediaKind.MOVIE, 25),
    ListName.WATCHLIST: _page(MediaKind.TV, 10),
    ListName.RATED: _page(MediaKind.MOVIE, 15, rated=True),
}


class FixedAccounts:
    """What the resolvers ask of the account service, answered from `PAGES`."""

    async def served_account(self) -> Served[models.Account]:
        return Served(ACCOUNT)

    async def media_list(self, name: ListName, _query: Any) -> Served[models.MediaPage]:
        return Served(PAGES[name])


async def cpu_per_execution(schema: strawberry.Schema, executions: int) -> float:
    """Microseconds of CPU per execution, after a warm-up."""

    async def execution() -> None:
        context = Context(None, None, FixedAccounts())  # type: ignore[arg-type]
        result = await schema.execute(LISTS_QUERY, context_value=context)
        assert not result.errors, result.errors

    return await cpu_per_call(execution, executions)


async def main(executions: int, rounds: int) -> None:
    schemas = {
        "planned": create_schema(LIMITS),
        "graphql-core": create_schema(LIMITS, planned=False),
    }
    costs: dict[str, list[float]] = {name: [] for name in schemas}
    for _ in range(rounds):
        for name, schema in schemas.items():
            costs[name].append(await cpu_per_execution(schema, executions))
    for name, cost in costs.items():
        print(f"{name:12}: {summary(cost, 'execution')}")


if __name__ == "__main__":
    asyncio.run(main(*counts(sys.argv[1:])))

"""The documented REST account API (TMDB-style), served by Starlette over SQLite.

It is the gateway's embedded default upstream (mounted at `/api`), the upstream of
the test suite and the benchmarks, and a docker-compose service. It follows the
documented surface exactly, error bodies included, and adds opt-in test controls
(`Faults`, `Calls`) and a demo sign-in page; `seed` holds the one shared dataset.
"""

from .app import create_app
from .catalogue import CATALOGUE, MOVIES, TV_SHOWS, MediaType, Movie, TvShow
from .control import Calls, Faults
from .demo import demo_routes
from .seed import (
    ACCOUNTS_BY_TOKEN,
    ALICE,
    BOB,
    DEMO_ACCOUNTS,
    INITIAL_ENTRIES,
    Account,
    ListName,
    SeedEntry,
    generated_accounts,
)

__all__ = [
    "ACCOUNTS_BY_TOKEN",
    "ALICE",
    "BOB",
    "CATALOGUE",
    "DEMO_ACCOUNTS",
    "INITIAL_ENTRIES",
    "MOVIES",
    "TV_SHOWS",
    "Account",
    "Calls",
    "Faults",
    "ListName",
    "MediaType",
    "Movie",
    "SeedEntry",
    "TvShow",
    "create_app",
    "demo_routes",
    "generated_accounts",
]

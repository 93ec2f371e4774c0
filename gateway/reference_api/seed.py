"""The one seed dataset: demo accounts and their initial lists.

The reference API, the tests and docker-compose all start from this data, so a test
can name `ALICE.token` or `ALICE.id` instead of repeating literals. Alice starts with
a few entries so that a newcomer sees data at once; Bob starts empty.
"""

from dataclasses import dataclass
from typing import Any, Literal

from .catalogue import MediaType

ListName = Literal["favorites", "watchlist", "rated"]


@dataclass(frozen=True)
class Account:
    """A demo account and the token that signs in as it."""

    id: int
    name: str
    username: str
    token: str
    include_adult: bool
    iso_639_1: str
    iso_3166_1: str
    gravatar_hash: str | None

    def to_json(self) -> dict[str, Any]:
        """The documented `GET /account` body; the token is never part of it."""
        return {
            "id": self.id,
            "name": self.name,
            "username": self.username,
            "include_adult": self.include_adult,
            "iso_639_1": self.iso_639_1,
            "iso_3166_1": self.iso_3166_1,
            "avatar": {"gravatar": {"hash": self.gravatar_hash}},
        }


@dataclass(frozen=True)
class SeedEntry:
    """One list entry present when a database is created; `rating` only if rated."""

    account_id: int
    list_name: ListName
    media_type: MediaType
    media_id: int
    rating: float | None = None


ALICE = Account(
    id=12345,
    name="Alice Example",
    username="alice",
    token="alice-token",
    include_adult=False,
    iso_639_1="en",
    iso_3166_1="US",
    gravatar_hash="c160f8cc69a4f0bf2b0362752353d060",  # md5("alice@example.com")
)
BOB = Account(
    id=67890,
    name="Bob Example",
    username="bob",
    token="bob-token",
    include_adult=True,
    iso_639_1="fr",
    iso_3166_1="FR",
    gravatar_hash=None,
)
DEMO_ACCOUNTS: tuple[Account, ...] = (ALICE, BOB)
ACCOUNTS_BY_TOKEN: dict[str, Account] = {acc.token: acc for acc in DEMO_ACCOUNTS}
GENERATED_ID_BASE = 1_000_000


def generated_accounts(count: int) -> tuple[Account, ...]:
    """`user1` … `user<count>`, tokens `user<n>-token`, ids 1000001 …; lists empty.

    For load and soak runs that need many distinct callers; the demo accounts
    alone cannot show whether one caller ever sees another's data at scale.
    """
    return tuple(
        Account(
            id=GENERATED_ID_BASE + n,
            name=f"User {n}",
            username=f"user{n}",
            token=f"user{n}-token",
            include_adult=False,
            iso_639_1="en",
            iso_3166_1="US",
            gravatar_hash=None,
        )
        for n in range(1, count + 1)
    )


# In creation order: a created_at.desc list shows the last of its entries first.
INITIAL_ENTRIES: tuple[SeedEntry, ...] = (
    SeedEntry(ALICE.id, "favorites", "movie", 550),
    SeedEntry(ALICE.id, "favorites", "movie", 680),
    SeedEntry(ALICE.id, "favorites", "movie", 13),
    SeedEntry(ALICE.id, "favorites", "tv", 1396),
    SeedEntry(ALICE.id, "watchlist", "movie", 157336),
    SeedEntry(ALICE.id, "watchlist", "tv", 1399),
    SeedEntry(ALICE.id, "rated", "movie", 550, 8.5),
    SeedEntry(ALICE.id, "rated", "tv", 1396, 9.5),
)

"""The SQLite store of list entries (favorites, watchlist, rated) per account.

One connection, guarded by a lock, and every query runs in a worker thread, so the
event loop never blocks on SQLite. A file database uses WAL so that several server
processes can share it; it is created and seeded once, so a restart loses nothing.
An entry's position in a list is an AUTOINCREMENT sequence rather than a clock, so
"created_at" order is strict even for entries added within the same millisecond.
"""

import asyncio
import sqlite3
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from .catalogue import MediaType
from .seed import INITIAL_ENTRIES, ListName

Order = Literal["asc", "desc"]
T = TypeVar("T")

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE entry (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    list_name TEXT NOT NULL CHECK (list_name IN ('favorites', 'watchlist', 'rated')),
    media_type TEXT NOT NULL CHECK (media_type IN ('movie', 'tv')),
    media_id INTEGER NOT NULL,
    rating REAL CHECK ((rating IS NULL) = (list_name != 'rated')),
    UNIQUE (account_id, list_name, media_type, media_id)
)
"""
_ADD = """
INSERT INTO entry (account_id, list_name, media_type, media_id, rating)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (account_id, list_name, media_type, media_id)
DO UPDATE SET rating = excluded.rating
"""
_REMOVE = """
DELETE FROM entry
WHERE account_id = ? AND list_name = ? AND media_type = ? AND media_id = ?
"""
_COUNT = """
SELECT COUNT(*) FROM entry WHERE account_id = ? AND list_name = ? AND media_type = ?
"""
_PAGE = """
SELECT media_id, rating FROM entry
WHERE account_id = ? AND list_name = ? AND media_type = ?
ORDER BY seq {order} LIMIT ? OFFSET ?
"""


@dataclass(frozen=True)
class Entry:
    """An item of a list; `rating` is set only in the rated list."""

    media_id: int
    rating: float | None


@dataclass(frozen=True)
class EntryPage:
    """One page of a list and the size of the whole list."""

    entries: list[Entry]
    total: int


class Store:
    """List entries in SQLite at `path` (a filename, or ":memory:")."""

    def __init__(self, path: str = ":memory:") -> None:
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=10.0
        )
        # Closes the connection when the store is collected, for apps nobody closes.
        self._close = weakref.finalize(self, self._conn.close)
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._transaction(self._create, begin="BEGIN IMMEDIATE")

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""
        self._close()

    async def page(
        self,
        account_id: int,
        list_name: ListName,
        media_type: MediaType,
        *,
        order: Order,
        offset: int,
        limit: int,
    ) -> EntryPage:
        """Entries of one list in created_at `order`, from `offset`."""
        key = (account_id, list_name, media_type)
        return await self._run(
            lambda: self._page(key, order, offset, limit), begin="BEGIN"
        )

    async def add(
        self,
        account_id: int,
        list_name: ListName,
        media_type: MediaType,
        media_id: int,
        rating: float | None = None,
    ) -> None:
        """Add an entry, or update its rating; an existing entry keeps its place."""
        params = (account_id, list_name, media_type, media_id, rating)
        await self._run(lambda: self._conn.execute(_ADD, params))

    async def remove(
        self, account_id: int, list_name: ListName, media_type: MediaType, media_id: int
    ) -> None:
        """Remove an entry; removing one that is absent does nothing."""
        params = (account_id, list_name, media_type, media_id)
        await self._run(lambda: self._conn.execute(_REMOVE, params))

    async def _run(self, work: Callable[[], T], begin: str = "BEGIN IMMEDIATE") -> T:
        return await asyncio.to_thread(self._transaction, work, begin)

    def _transaction(self, work: Callable[[], T], begin: str) -> T:
        # Writers BEGIN IMMEDIATE to take the file's write lock up front, so two
        # processes creating the same file cannot both seed it; a reader's
        # transaction is a snapshot, so a page's total matches its rows.
        with self._lock:
            self._conn.execute(begin)
            try:
                result = work()
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

    def _create(self) -> None:
        (version,) = self._conn.execute("PRAGMA user_version").fetchone()
        if version:
            return
        self._conn.execute(_SCHEMA)
        self._conn.executemany(
            _ADD,
            [
                (e.account_id, e.list_name, e.media_type, e.media_id, e.rating)
                for e in INITIAL_ENTRIES
            ],
        )
        self._conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def _page(
        self, key: tuple[int, str, str], order: Order, offset: int, limit: int
    ) -> EntryPage:
        (total,) = self._conn.execute(_COUNT, key).fetchone()
        query = _PAGE.format(order="ASC" if order == "asc" else "DESC")
        rows = self._conn.execute(query, (*key, limit, offset)).fetchall()
        return EntryPage([Entry(media_id, rating) for media_id, rating in rows], total)

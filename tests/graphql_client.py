"""The one GraphQL helper of the tests: POST a query, get `Result(data, errors)`."""

from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Result:
    """One GraphQL response, with its HTTP status."""

    data: Any
    errors: list[dict[str, Any]]
    status: int = 200
    extensions: dict[str, Any] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        """`extensions.code` of every error, in order."""
        return [error.get("extensions", {}).get("code") for error in self.errors]

    def error_at(self, *path: str | int) -> dict[str, Any]:
        """The error whose path is `path`; fails the test when there is none."""
        matching = [error for error in self.errors if error.get("path") == list(path)]
        assert matching, f"no error at {list(path)}: {self.errors}"
        return matching[0]


class GraphQLClient:
    """Talks to one gateway as one caller (its headers, e.g. a bearer token)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._session = session
        self._url = url
        self._headers = headers or {}

    def as_caller(self, headers: dict[str, str]) -> "GraphQLClient":
        """The same gateway, seen by a caller with other headers."""
        return GraphQLClient(self._session, self._url, headers)

    async def query(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> Result:
        """POST `query`; the response must be JSON."""
        payload = {"query": query, "variables": variables or {}}
        async with self._session.post(
            self._url, json=payload, headers=self._headers
        ) as response:
            body = await response.json(content_type=None)
            return Result(
                data=body.get("data"),
                errors=body.get("errors", []),
                status=response.status,
                extensions=body.get("extensions", {}),
            )

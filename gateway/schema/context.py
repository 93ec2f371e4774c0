"""What every resolver gets in `info.context`: the request and the caller's service."""

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.accounts.service import AccountService


@dataclass(slots=True)
class Context:
    """Built once per GraphQL request by the view's `get_context`.

    `stale` collects the fields served from a stale cache because upstream failed,
    as `{"path": [...], "ageSeconds": ...}`: the response's `extensions.stale`.
    `warnings` collects what a client should know about fields that did succeed,
    as `{"code": ..., "message": ..., "path": [...]}`: `extensions.warnings`.
    """

    request: Request
    response: Response
    accounts: AccountService
    stale: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def note_stale(self, path: list[str | int], age: float) -> None:
        """Record that the field at response `path` holds data `age` seconds old."""
        self.stale.append({"path": path, "ageSeconds": round(age, 3)})

    def note_warning(self, code: str, message: str, path: list[str | int]) -> None:
        """Record a warning `code` about the field at response `path`."""
        self.warnings.append({"code": code, "message": message, "path": path})

"""The documented endpoints: who is calling, what they asked for, and the answer.

Each endpoint validates in the order the documentation implies: credentials
(401), then the path (404 for another account or an unknown media id), then the
query or body (400). A failed check raises `ApiError` before anything is written.
"""

import json
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .catalogue import CATALOGUE, MediaType
from .errors import NOT_AUTHENTICATED, NOT_FOUND, ApiError
from .seed import Account, ListName
from .store import Order, Store

Endpoint = Callable[[Request], Awaitable[Response]]
Toggle = Literal["favorite", "watchlist"]

PAGE_SIZE = 20
MAX_PAGE = 500
_PAGE = re.compile(r"[1-9][0-9]{0,2}")
_LANGUAGE = re.compile(r"[a-z]{2}(-[A-Z]{2})?")
_ORDERS: dict[str, Order] = {"created_at.asc": "asc", "created_at.desc": "desc"}
_TOGGLED_LIST: dict[Toggle, ListName] = {
    "favorite": "favorites",
    "watchlist": "watchlist",
}
_MEDIA_TYPES: tuple[MediaType, ...] = ("movie", "tv")


def token_of(request: Request) -> str | None:
    """The bearer token, else the `session_id` cookie, else None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get("session_id") or None


def caller_of(request: Request, accounts: Mapping[str, Account]) -> Account:
    """The account the credentials belong to; raises ApiError 401 otherwise."""
    account = accounts.get(token_of(request) or "")
    if account is None:
        raise ApiError(401, NOT_AUTHENTICATED)
    return account


def owner_of(request: Request, accounts: Mapping[str, Account]) -> Account:
    """The caller, who must own the path's account_id; another id is a 404."""
    account = caller_of(request, accounts)
    if request.path_params["account_id"] != account.id:
        raise ApiError(404, NOT_FOUND)
    return account


def require_known(media_type: MediaType, media_id: int) -> None:
    if (media_type, media_id) not in CATALOGUE:
        raise ApiError(404, NOT_FOUND)


def parse_list_query(query: QueryParams) -> tuple[int, Order]:
    """(page, order) from `page`, `sort_by` and `language`; raises ApiError 400."""
    page = query.get("page", "1")
    if not _PAGE.fullmatch(page) or int(page) > MAX_PAGE:
        raise ApiError(
            400, f"Invalid page: pages are integers from 1 to {MAX_PAGE}, not {page!r}."
        )
    sort_by = query.get("sort_by", "created_at.desc")
    if sort_by not in _ORDERS:
        raise ApiError(400, "Invalid sort_by: use created_at.asc or created_at.desc.")
    if "language" in query and not _LANGUAGE.fullmatch(query["language"]):
        raise ApiError(400, "Invalid language: use an ISO 639-1 code like en or en-US.")
    return int(page), _ORDERS[sort_by]


async def json_object_of(request: Request) -> dict[str, Any]:
    """The body as a JSON object; raises ApiError 400 for anything else."""
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "Invalid body: expected a JSON object.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid body: expected a JSON object.")
    return body


def parse_toggle(body: dict[str, Any], flag: Toggle) -> tuple[MediaType, int, bool]:
    """(media_type, media_id, flag) of a favorite/watchlist body; ApiError 400."""
    media_type, media_id, value = (
        body.get(k) for k in ("media_type", "media_id", flag)
    )
    if media_type not in _MEDIA_TYPES:
        raise ApiError(400, 'Invalid media_type: use "movie" or "tv".')
    if type(media_id) is not int:
        raise ApiError(400, "Invalid media_id: expected an integer.")
    if type(value) is not bool:
        raise ApiError(400, f"Invalid {flag}: expected true or false.")
    return media_type, media_id, value


def parse_rating(body: dict[str, Any]) -> float:
    """The `rating` of a rating body: 0.5 to 10.0 in steps of 0.5; ApiError 400."""
    value = body.get("rating")
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
    ):
        raise ApiError(400, "Invalid rating: expected a number.")
    if value > 10:
        raise ApiError(400, "Value too high: the rating must be at most 10.0.")
    if value < 0.5:
        raise ApiError(400, "Value too low: the rating must be at least 0.5.")
    if not float(value * 2).is_integer():
        raise ApiError(400, "Value invalid: the rating must be a multiple of 0.5.")
    return float(value)


def item_json(
    media_type: MediaType, media_id: int, rating: float | None
) -> dict[str, Any]:
    item = CATALOGUE[media_type, media_id].to_json()
    return item if rating is None else {**item, "rating": rating}


class Endpoints:
    """The documented endpoints over one store, for the accounts `accounts` holds."""

    def __init__(self, store: Store, accounts: Mapping[str, Account]) -> None:
        self.store = store
        self.accounts = accounts

    async def account(self, request: Request) -> Response:
        return JSONResponse(caller_of(request, self.accounts).to_json())

    def list_items(self, list_name: ListName, media_type: MediaType) -> Endpoint:
        """`GET /account/{account_id}/{list_name}/{movies|tv}` for one list."""

        async def endpoint(request: Request) -> Response:
            account = owner_of(request, self.accounts)
            page, order = parse_list_query(request.query_params)
            found = await self.store.page(
                account.id,
                list_name,
                media_type,
                order=order,
                offset=(page - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
            results = [
                item_json(media_type, e.media_id, e.rating) for e in found.entries
            ]
            return JSONResponse(
                {
                    "page": page,
                    "results": results,
                    "total_pages": math.ceil(found.total / PAGE_SIZE),
                    "total_results": found.total,
                }
            )

        return endpoint

    def toggle(self, flag: Toggle) -> Endpoint:
        """`POST /account/{account_id}/{favorite|watchlist}`: add or remove an item."""

        async def endpoint(request: Request) -> Response:
            account = owner_of(request, self.accounts)
            media_type, media_id, value = parse_toggle(
                await json_object_of(request), flag
            )
            require_known(media_type, media_id)
            list_name = _TOGGLED_LIST[flag]
            if value:
                await self.store.add(account.id, list_name, media_type, media_id)
            else:
                await self.store.remove(account.id, list_name, media_type, media_id)
            return JSONResponse({flag: value})

        return endpoint

    def rate(self, media_type: MediaType) -> Endpoint:
        """`POST /{movie|tv}/{media_id}/rating`: rate, or re-rate in place."""

        async def endpoint(request: Request) -> Response:
            account = caller_of(request, self.accounts)
            media_id = request.path_params["media_id"]
            require_known(media_type, media_id)
            value = parse_rating(await json_object_of(request))
            await self.store.add(account.id, "rated", media_type, media_id, value)
            return JSONResponse({"rated": {"value": value}})

        return endpoint

    def unrate(self, media_type: MediaType) -> Endpoint:
        """`DELETE /{movie|tv}/{media_id}/rating`: forget the caller's rating."""

        async def endpoint(request: Request) -> Response:
            account = caller_of(request, self.accounts)
            media_id = request.path_params["media_id"]
            require_known(media_type, media_id)
            await self.store.remove(account.id, "rated", media_type, media_id)
            return JSONResponse({"rated": None})

        return endpoint

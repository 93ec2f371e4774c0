"""`UpstreamClient`: one typed method per documented endpoint of the REST account API.

This is the only place where aiohttp's errors are caught: each becomes one of
`gateway.upstream.errors`, raised `from` the original.
"""

import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from gateway.upstream.credentials import Credentials
from gateway.upstream.errors import (
    UpstreamBadBody,
    UpstreamUnavailable,
    error_from_response,
)
from gateway.upstream.models import (
    Account,
    ListName,
    MediaKind,
    MediaPage,
    Rated,
    SortOrder,
    parse_toggle,
)

_ACCEPT = {"Accept": "application/json"}


class UpstreamClient:
    """Calls the REST API under `base_url` on a session it is given and never owns.

    `base_url` is the API root (`https://host/api`); every path is appended to it.
    Each call forwards the caller's `Credentials` and nothing else, so nothing of
    one caller can reach another's request. Every method raises `UpstreamError`.
    """

    def __init__(self, session: aiohttp.ClientSession, *, base_url: str) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/") + "/"

    async def get_account(self, credentials: Credentials) -> Account:
        """`GET /account`: the account the credentials belong to."""
        return Account.from_json(await self._request("GET", "account", credentials))

    async def list_media(
        self,
        credentials: Credentials,
        account_id: int,
        list_name: ListName,
        kind: MediaKind,
        *,
        page: int,
        language: str,
        sort: SortOrder,
    ) -> MediaPage:
        """`GET /account/{id}/{list}/{movies|tv}`: one page of one of the lists."""
        path = f"account/{account_id}/{list_name.value}/{kind.plural}"
        params = {"page": str(page), "language": language, "sort_by": sort.value}
        body = await self._request("GET", path, credentials, params=params)
        return MediaPage.from_json(body, kind)

    async def set_favorite(
        self,
        credentials: Credentials,
        account_id: int,
        kind: MediaKind,
        media_id: int,
        favorite: bool,
    ) -> bool:
        """`POST /account/{id}/favorite`: the favorite status upstream now holds."""
        return await self._toggle(
            credentials, account_id, "favorite", kind, media_id, favorite
        )

    async def set_watchlist(
        self,
        credentials: Credentials,
        account_id: int,
        kind: MediaKind,
        media_id: int,
        watchlist: bool,
    ) -> bool:
        """`POST /account/{id}/watchlist`: the watchlist status upstream now holds."""
        return await self._toggle(
            credentials, account_id, "watchlist", kind, media_id, watchlist
        )

    async def rate(
        self, credentials: Credentials, kind: MediaKind, media_id: int, rating: float
    ) -> float | None:
        """`POST /{movie|tv}/{id}/rating`: the rating upstream now holds."""
        path = f"{kind.value}/{media_id}/rating"
        body = await self._request(
            "POST", path, credentials, payload={"rating": rating}
        )
        return Rated.from_json(body, requested=rating).value

    async def delete_rating(
        self, credentials: Credentials, kind: MediaKind, media_id: int
    ) -> None:
        """`DELETE /{movie|tv}/{id}/rating`."""
        body = await self._request(
            "DELETE", f"{kind.value}/{media_id}/rating", credentials
        )
        Rated.from_json(body, requested=None)

    async def _toggle(
        self,
        credentials: Credentials,
        account_id: int,
        field: str,
        kind: MediaKind,
        media_id: int,
        flag: bool,
    ) -> bool:
        payload = {"media_type": kind.value, "media_id": media_id, field: flag}
        body = await self._request(
            "POST", f"account/{account_id}/{field}", credentials, payload=payload
        )
        return parse_toggle(body, field, requested=flag)

    async def _request(
        self,
        method: str,
        path: str,
        credentials: Credentials,
        *,
        params: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> object:
        url = self._base_url + path
        headers = {**_ACCEPT, **dict(credentials.headers)}
        try:
            # Redirects are not followed: the credentials must not travel on to
            # wherever upstream points, and the documented API never redirects.
            async with self._session.request(
                method,
                url,
                params=params,
                json=payload,
                headers=headers,
                allow_redirects=False,
            ) as response:
                status, response_headers = response.status, response.headers
                body = await response.read()
        # A total timeout raises plain TimeoutError, not a ClientError (STACK-NOTES.md).
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamUnavailable(method=method, url=url) from exc
        if not 200 <= status < 300:
            raise error_from_response(
                status, response_headers, body, method=method, url=url
            )
        return _decode(body, method=method, url=url)


def _decode(body: bytes, *, method: str, url: str) -> object:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise UpstreamBadBody("the body is not JSON", method=method, url=url) from exc

"""Errors raised by the upstream client: one tree, so callers catch by meaning.

```
UpstreamError                        method, url (without query string)
├── UpstreamUnavailable              could not connect, or timed out; reason
│   └── UpstreamCircuitOpen          not attempted: the breaker is open; retry_in
├── UpstreamBadBody                  a 2xx body not in the documented shape; reason
└── UpstreamStatusError              non-2xx; status, body (decoded, truncated), message
    ├── UpstreamNotFound             404
    ├── UpstreamRejected             any other 4xx (400, 401, 403, 405, 422, ...)
    │   └── UpstreamRateLimited      429; retry_after (seconds, or None)
    └── UpstreamBroken               5xx
```

`UpstreamClient._request` is the one seam that turns aiohttp errors into these;
`error_from_response` is the pure status-to-class mapping it uses. The messages are
for logs and operators: `gateway/schema/errors.py` writes what clients see. Nothing
here ever holds request headers, and URLs lose their query string and user info,
which is where TMDB-style APIs carry `api_key` / `session_id` credentials.
"""

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

#: How much of an error body is kept: enough to diagnose, bounded for logs.
BODY_LIMIT = 500


class UpstreamError(Exception):
    """Base of every error the upstream client raises."""

    def __init__(self, *, method: str, url: str) -> None:
        self.method = method
        self.url = _redact_url(url)
        super().__init__(method, self.url)

    def __str__(self) -> str:
        return f"{self._request()} failed"

    def _request(self) -> str:
        """Name the request as `GET http://…`, or generically when it is unknown."""
        return f"{self.method} {self.url}" if self.method else "upstream request"


class UpstreamUnavailable(UpstreamError):  # noqa: N818 -- named by STYLE E1
    """The upstream could not be reached: connection refused or reset, or a timeout.

    Without a `reason`, the message names the type of the error this was raised
    `from` (`TimeoutError`, `ClientConnectorError`, ...): not its text, which
    aiohttp may fill with the full URL.
    """

    def __init__(self, reason: str = "", *, method: str, url: str) -> None:
        super().__init__(method=method, url=url)
        self.reason = reason

    def __str__(self) -> str:
        cause = self.__cause__
        reason = self.reason or (type(cause).__name__ if cause else "no reason given")
        return f"{self._request()} could not be completed: {reason}"


class UpstreamCircuitOpen(UpstreamUnavailable):
    """Not attempted: upstream failed repeatedly, so the circuit breaker is open.

    `retry_in` is how many seconds remain until the breaker lets a probe through.
    """

    def __init__(self, retry_in: float, *, method: str, url: str) -> None:
        super().__init__("the circuit breaker is open", method=method, url=url)
        self.retry_in = retry_in

    def __str__(self) -> str:
        return (
            f"{self._request()} was not attempted: the circuit breaker is open"
            f" (next probe in {self.retry_in:.1f} s)"
        )


class UpstreamBadBody(UpstreamError):  # noqa: N818 -- named by STYLE E1
    """A 2xx answer whose body does not have the documented shape.

    `models.py` raises it without `method`/`url` because parsing knows no request;
    the client re-raises it with them (`from` the first one) so logs name the call.
    """

    def __init__(self, reason: str, *, method: str = "", url: str = "") -> None:
        super().__init__(method=method, url=url)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self._request()} answered an unexpected body: {self.reason}"


class UpstreamStatusError(UpstreamError):
    """The upstream answered a status other than 2xx.

    `body` is the decoded body cut to `BODY_LIMIT` characters; `message` is what
    the upstream said in it (see `extract_message`), or None.
    """

    def __init__(
        self,
        status: int,
        body: str,
        *,
        method: str,
        url: str,
        message: str | None = None,
    ) -> None:
        super().__init__(method=method, url=url)
        self.status = status
        self.body = _truncate(body)
        self.message = None if message is None else _truncate(message)

    def __str__(self) -> str:
        detail = (
            self.message if self.message is not None else " ".join(self.body.split())
        )
        answer = f"{self._request()} answered {self.status}"
        return f"{answer}: {detail}" if detail else answer


class UpstreamNotFound(UpstreamStatusError):  # noqa: N818 -- named by STYLE E1
    """404: the account, list or media id does not exist upstream."""


class UpstreamRejected(UpstreamStatusError):  # noqa: N818 -- named by STYLE E1
    """A 4xx other than 404: unauthenticated, forbidden, invalid input, bad method."""


class UpstreamRateLimited(UpstreamRejected):
    """429: too many requests; `retry_after` is the wait in seconds, if known."""

    def __init__(
        self,
        status: int,
        body: str,
        *,
        method: str,
        url: str,
        message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, body, method=method, url=url, message=message)
        self.retry_after = retry_after

    def __str__(self) -> str:
        if self.retry_after is None:
            return super().__str__()
        return f"{super().__str__()} (retry after {self.retry_after:g} s)"


class UpstreamBroken(UpstreamStatusError):  # noqa: N818 -- named by STYLE E1
    """5xx: the upstream failed on its side."""


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str,
    url: str,
    now: datetime | None = None,
) -> UpstreamStatusError:
    """Choose the error for a non-2xx answer, without I/O.

    404 → UpstreamNotFound, 429 → UpstreamRateLimited, other 4xx → UpstreamRejected,
    5xx → UpstreamBroken; any other status (a redirect that was not followed) gets
    the plain UpstreamStatusError. `now` pins the clock for an HTTP-date Retry-After.
    """
    text = body.decode("utf-8", errors="replace")
    message = extract_message(body)
    if status == 429:
        retry_after = parse_retry_after(_header(headers, "Retry-After"), now=now)
        return UpstreamRateLimited(
            status,
            text,
            method=method,
            url=url,
            message=message,
            retry_after=retry_after,
        )
    cls = _status_class(status)
    return cls(status, text, method=method, url=url, message=message)


def extract_message(body: bytes | str) -> str | None:
    """Return the upstream's own message from an error body, or None.

    The reference API sends `{"message": …}`, TMDB sends `{"status_message": …}`,
    and 429s carry a bare JSON string; anything else (HTML from a proxy, empty or
    malformed bodies) yields None.
    """
    try:
        data = json.loads(body)
    # RecursionError: deeply nested JSON from a misbehaving upstream.
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict):
        candidates = [data.get("message"), data.get("status_message")]
    else:
        candidates = [data]
    return next((c for c in candidates if isinstance(c, str) and c), None)


def parse_retry_after(
    value: str | None, *, now: datetime | None = None
) -> float | None:
    """Read a Retry-After header as seconds to wait, or None if absent or invalid.

    RFC 9110 §10.2.3 allows delta-seconds or an HTTP-date; a fractional number is
    accepted too, and a date already past means "now" (0). `now` defaults to the
    current UTC time.
    """
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until(value, now or datetime.now(UTC))
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # RFC 5322's "-0000" zone parses naive; HTTP-dates are always GMT.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _status_class(status: int) -> type[UpstreamStatusError]:
    if status == 404:
        return UpstreamNotFound
    if 400 <= status < 500:
        return UpstreamRejected
    if 500 <= status < 600:
        return UpstreamBroken
    return UpstreamStatusError


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Look a header up case-insensitively, whatever kind of mapping holds them."""
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _truncate(text: str) -> str:
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + "…"

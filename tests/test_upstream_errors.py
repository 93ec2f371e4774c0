import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from gateway.upstream.errors import (
    BODY_LIMIT,
    UpstreamBadBody,
    UpstreamBroken,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamStatusError,
    UpstreamUnavailable,
    error_from_response,
    extract_message,
    parse_retry_after,
)

URL = "http://upstream.test/api/account"
NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


def respond(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> UpstreamStatusError:
    return error_from_response(
        status, headers or {}, body, method="GET", url=URL, now=NOW
    )


def test_404_is_not_found_with_the_upstream_message() -> None:
    error = respond(404, b'{"message": "Not found"}')

    assert type(error) is UpstreamNotFound
    assert (error.status, error.message, error.method, error.url) == (
        404,
        "Not found",
        "GET",
        URL,
    )
    assert error.body == '{"message": "Not found"}'
    assert str(error) == f"GET {URL} answered 404: Not found"


@pytest.mark.parametrize("status", [400, 401, 403, 405, 409, 422, 499])
def test_other_4xx_are_rejected(status: int) -> None:
    assert type(respond(status, b'{"message": "no"}')) is UpstreamRejected


def test_429_is_rate_limited_and_still_a_rejection() -> None:
    error = respond(429, b'"Rate Limit Exceeded"', {"Retry-After": "3"})

    assert isinstance(error, UpstreamRateLimited)
    assert isinstance(error, UpstreamRejected)
    assert error.retry_after == 3.0
    assert error.message == "Rate Limit Exceeded"
    assert (
        str(error) == f"GET {URL} answered 429: Rate Limit Exceeded (retry after 3 s)"
    )


def test_429_without_retry_after_has_none() -> None:
    error = respond(429, b'"Rate Limit Exceeded"')

    assert isinstance(error, UpstreamRateLimited)
    assert error.retry_after is None
    assert str(error) == f"GET {URL} answered 429: Rate Limit Exceeded"


def test_retry_after_header_name_is_case_insensitive() -> None:
    error = respond(429, b"", {"retry-after": "7"})

    assert isinstance(error, UpstreamRateLimited)
    assert error.retry_after == 7.0


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599])
def test_5xx_are_broken(status: int) -> None:
    assert type(respond(status)) is UpstreamBroken


@pytest.mark.parametrize("status", [200, 304, 600])
def test_statuses_outside_4xx_and_5xx_get_the_base_status_error(status: int) -> None:
    assert type(respond(status)) is UpstreamStatusError


def test_every_class_is_an_upstream_error() -> None:
    errors: list[UpstreamError] = [
        respond(404),
        respond(401),
        respond(429),
        respond(500),
        UpstreamUnavailable("timed out", method="GET", url=URL),
        UpstreamBadBody("results is not a list"),
    ]

    assert all(isinstance(error, UpstreamError) for error in errors)


def test_html_body_is_kept_as_text_and_shown_on_one_line() -> None:
    error = respond(502, b"<html>\n<body>Bad   Gateway</body>\n</html>")

    assert error.message is None
    assert error.body == "<html>\n<body>Bad   Gateway</body>\n</html>"
    assert (
        str(error) == f"GET {URL} answered 502: <html> <body>Bad Gateway</body> </html>"
    )


def test_empty_body_gives_a_short_message() -> None:
    assert str(respond(503)) == f"GET {URL} answered 503"


def test_body_and_message_are_truncated() -> None:
    long = "x" * (BODY_LIMIT * 3)
    error = respond(500, json.dumps({"message": long}).encode())

    assert len(error.body) == BODY_LIMIT + 1
    assert error.body.endswith("…")
    assert error.message == "x" * BODY_LIMIT + "…"


def test_undecodable_body_is_replaced_not_raised() -> None:
    error = respond(500, b"\xff\xfe oops")

    assert error.body == "\ufffd\ufffd oops"
    assert error.message is None


def test_url_loses_query_fragment_and_user_info() -> None:
    error = UpstreamNotFound(
        404,
        "",
        method="GET",
        url="https://user:secret@api.test/3/account?api_key=secret&page=2#top",
    )

    assert error.url == "https://api.test/3/account"
    assert "secret" not in str(error)
    assert "secret" not in repr(error)


def test_unavailable_says_why() -> None:
    error = UpstreamUnavailable("timed out after 10 s", method="POST", url=URL)

    assert error.reason == "timed out after 10 s"
    assert str(error) == f"POST {URL} could not be completed: timed out after 10 s"


def test_unavailable_without_a_reason_names_its_cause_type() -> None:
    with pytest.raises(UpstreamUnavailable) as caught:
        try:
            raise TimeoutError("http://upstream.test/api/account?api_key=secret")
        except TimeoutError as exc:
            raise UpstreamUnavailable(method="GET", url=URL) from exc

    assert str(caught.value) == f"GET {URL} could not be completed: TimeoutError"


def test_unavailable_without_reason_or_cause_says_so() -> None:
    error = UpstreamUnavailable(method="GET", url=URL)

    assert str(error) == f"GET {URL} could not be completed: no reason given"


def test_bad_body_without_a_request_names_the_upstream_generically() -> None:
    error = UpstreamBadBody("results is not a list")

    assert (error.method, error.url) == ("", "")
    assert str(error) == (
        "upstream request answered an unexpected body: results is not a list"
    )


def test_bad_body_with_a_request_names_it() -> None:
    error = UpstreamBadBody("account is not a JSON object", method="GET", url=URL)

    assert str(error) == (
        f"GET {URL} answered an unexpected body: account is not a JSON object"
    )


def test_base_error_str_names_the_request() -> None:
    assert str(UpstreamError(method="GET", url=URL)) == f"GET {URL} failed"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"message": "You are not authenticated"}', "You are not authenticated"),
        (b'{"status_code": 7, "status_message": "Invalid API key"}', "Invalid API key"),
        (b'{"message": null, "status_message": "Invalid page"}', "Invalid page"),
        (b'"Rate Limit Exceeded"', "Rate Limit Exceeded"),
        ('{"message": "Não encontrado"}'.encode(), "Não encontrado"),
        ('{"message": "text"}', "text"),
    ],
)
def test_extract_message_finds_the_upstream_message(
    body: bytes | str, expected: str
) -> None:
    assert extract_message(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Internal Server Error</body></html>",
        b"not json",
        b"\xff\xfe",
        b'{"message": 42}',
        b'{"message": ""}',
        b'{"error": "elsewhere"}',
        b'["a list"]',
        b"null",
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_extract_message_tolerates_bodies_without_one(body: bytes) -> None:
    assert extract_message(body) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 5 ", 5.0),
        ("1.5", 1.5),
    ],
)
def test_retry_after_delta_seconds(value: str, expected: float) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_retry_after_future_http_date_is_seconds_from_now() -> None:
    date = format_datetime(NOW + timedelta(seconds=90), usegmt=True)

    assert parse_retry_after(date, now=NOW) == 90.0


def test_retry_after_past_http_date_is_zero() -> None:
    date = format_datetime(NOW - timedelta(hours=1), usegmt=True)

    assert parse_retry_after(date, now=NOW) == 0.0


def test_retry_after_date_without_zone_is_read_as_gmt() -> None:
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 -0000", now=NOW) == 30.0


def test_retry_after_date_defaults_to_the_current_time() -> None:
    date = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    seconds = parse_retry_after(date)

    assert seconds is not None
    assert 3500 < seconds <= 3600


@pytest.mark.parametrize(
    "value",
    [None, "", "soon", "-5", "nan", "inf", "Someday, 99 Foo 2025", "1 2 3"],
)
def test_retry_after_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW) is None


def test_error_from_response_reads_an_http_date_retry_after() -> None:
    date = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    error = respond(429, b'"Rate Limit Exceeded"', {"Retry-After": date})

    assert isinstance(error, UpstreamRateLimited)
    assert error.retry_after == 30.0


def test_error_from_response_ignores_garbage_retry_after() -> None:
    error = respond(429, b'"Rate Limit Exceeded"', {"Retry-After": "later"})

    assert isinstance(error, UpstreamRateLimited)
    assert error.retry_after is None

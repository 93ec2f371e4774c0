"""Access logs and request ids: one JSON line per request, no secret in it."""

import datetime
import json
import logging
import os
import re
import socket

import aiohttp
import pytest

from harness.servers import RunningServer
from tests.conftest import ALICE, MEMORY_ONLY, metric

pytestmark = MEMORY_ONLY  # a log line does not depend on the cache

SLACK = datetime.timedelta(seconds=5)  # the request arrives soon after `before`
QUERY = {"query": "query Mine { account { id } }", "operationName": "Mine"}


async def post(
    http: aiohttp.ClientSession, gateway: RunningServer, headers: dict[str, str]
) -> tuple[int, str]:
    async with http.post(
        f"{gateway.url}/graphql", json=QUERY, headers=headers
    ) as response:
        await response.read()
        return response.status, response.headers["X-Request-ID"]


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "gateway.access"
    ]


async def test_each_request_logs_one_json_line_under_the_callers_id(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    before = datetime.datetime.now(datetime.UTC)
    status, echoed = await post(http, gateway, {**ALICE, "X-Request-ID": "abc-123"})
    assert (status, echoed) == (200, "abc-123")
    (line,) = access_lines(caplog)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    arrived = datetime.datetime.fromisoformat(line["time"])
    assert before - datetime.timedelta(milliseconds=1) <= arrived <= before + SLACK
    assert (line["host"], line["pid"]) == (socket.gethostname(), os.getpid())
    assert line["request_id"] == "abc-123"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql", 200)
    assert (line["operation"], line["outcome"]) == ("Mine", "ok")
    assert line["duration_ms"] >= 0


async def test_a_reused_response_is_logged_as_its_operation(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    for _ in range(2):
        assert (await post(http, gateway, ALICE))[0] == 200
    assert await metric(http, gateway, "gateway_responses_reused_total") == 1
    reused = access_lines(caplog)[1]
    assert (reused["operation"], reused["outcome"]) == ("Mine", "ok")


@pytest.mark.parametrize("sent", [None, "", "two words", "x" * 129, "a\u00e9b"])
async def test_an_unacceptable_id_is_replaced_by_a_fresh_one(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    caplog: pytest.LogCaptureFixture,
    sent: str | None,
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    headers = {**ALICE, **({"X-Request-ID": sent} if sent is not None else {})}
    _, echoed = await post(http, gateway, headers)
    assert echoed != sent
    assert re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]+", echoed)
    assert access_lines(caplog)[0]["request_id"] == echoed


async def test_no_credential_reaches_any_log_line(
    http: aiohttp.ClientSession,
    gateway: RunningServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await post(http, gateway, ALICE)
    await post(http, gateway, {"Cookie": "session_id=alice-token"})
    await post(http, gateway, {"Authorization": "Bearer wrong-secret-token"})
    assert access_lines(caplog)[-1]["outcome"] == "UNAUTHENTICATED"
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    for secret in ("alice-token", "wrong-secret-token"):
        assert secret not in logged


async def test_requests_are_counted_by_operation_and_outcome(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    await post(http, gateway, ALICE)
    await post(http, gateway, ALICE)
    await post(http, gateway, {"Authorization": "Bearer nobody"})
    async with http.post(
        f"{gateway.url}/graphql",
        data=b"{",
        headers={"Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
    counts = {
        (operation, outcome): await metric(
            http,
            gateway,
            "gateway_graphql_requests_total",
            operation=operation,
            outcome=outcome,
        )
        for operation, outcome in [
            ("Mine", "ok"),
            ("Mine", "UNAUTHENTICATED"),
            ("anonymous", "BAD_USER_INPUT"),
        ]
    }
    assert list(counts.values()) == [2, 1, 1]

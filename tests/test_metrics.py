"""`/metrics`: Prometheus text of what the gateway counted."""

import aiohttp

from harness.servers import RunningServer


async def test_metrics_are_served_in_prometheus_text_format(
    http: aiohttp.ClientSession, gateway: RunningServer
) -> None:
    async with http.get(f"{gateway.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = await response.text()
    for family in (
        "gateway_graphql_requests",
        "gateway_upstream_requests",
        "gateway_upstream_request_duration_seconds",
        "gateway_cache_events",
        "gateway_upstream_breaker_state",
    ):
        assert f"# TYPE {family}" in text
    assert "_created" not in text

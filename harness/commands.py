"""`python -m gateway ARGS` as a child process, for the tests and bench/soak.

The process is started from the repository root and counts as started once uvicorn
says it is serving and every worker has started up: with `--workers N` uvicorn says
"running" as soon as it has bound the socket, before any worker listens. Both pipes
are read all along, so that a full pipe never blocks it: stderr for the failure
message, stdout (the greeting and the access lines) into `lines` when asked to
keep it.
"""

import asyncio
import contextlib
import os
import sys
from collections import deque
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTED = b"Uvicorn running on"
STARTUP_COMPLETE = b"Application startup complete"
START_TIMEOUT = 60.0


class GatewayCommand:
    """`python -m gateway ARGS` with `env` added; may be stopped and started again."""

    def __init__(
        self,
        *args: str,
        env: Mapping[str, str],
        keep_stdout: bool = False,
        workers: int = 1,
    ) -> None:
        self._args, self._env = args, {**os.environ, **env}
        self._keep_stdout, self._workers = keep_stdout, workers
        self._process: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []
        self._tail: deque[bytes] = deque(maxlen=20)
        self._startups = 0  # workers (or the one process) started up so far
        self._startup = asyncio.Condition()
        #: stdout's lines, with `keep_stdout`.
        self.lines: asyncio.Queue[bytes] = asyncio.Queue()

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def start(self) -> None:
        """Run it; returns once uvicorn serves, raises with its last lines if it
        exits before."""
        stdout = (
            asyncio.subprocess.PIPE if self._keep_stdout else asyncio.subprocess.DEVNULL
        )
        self._process = process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway", *self._args,
            env=self._env, cwd=ROOT, stdout=stdout, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stderr is not None
        await asyncio.wait_for(self._started(process.stderr), START_TIMEOUT)
        self._readers = [asyncio.create_task(self._read_stderr(process.stderr))]
        if process.stdout is not None:
            self._readers.append(asyncio.create_task(self._queue(process.stdout)))

    async def stop(self) -> None:
        """Stop it (SIGTERM: uvicorn finishes the requests in flight) and wait."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await asyncio.gather(*self._readers)

    async def started_up(self, count: int) -> None:
        """Wait until `count` workers have started up since the start, replacements
        for dead ones included (uvicorn starts one in place of each)."""
        async with self._startup:
            await self._startup.wait_for(lambda: self._startups >= count)

    async def _started(self, stderr: asyncio.StreamReader) -> None:
        running = False
        while line := await stderr.readline():
            self._tail.append(line)
            running = running or STARTED in line
            self._startups += STARTUP_COMPLETE in line
            if running and self._startups >= self._workers:
                return
        raise RuntimeError(b"".join(self._tail).decode(errors="replace"))

    async def _read_stderr(self, stderr: asyncio.StreamReader) -> None:
        while line := await stderr.readline():
            self._tail.append(line)
            if STARTUP_COMPLETE in line:
                async with self._startup:
                    self._startups += 1
                    self._startup.notify_all()

    async def _queue(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.put_nowait(line)


@contextlib.asynccontextmanager
async def gateway_command(
    *args: str, env: Mapping[str, str], keep_stdout: bool = False, workers: int = 1
) -> AsyncIterator[GatewayCommand]:
    """`python -m gateway ARGS`, started, until the block exits."""
    command = GatewayCommand(*args, env=env, keep_stdout=keep_stdout, workers=workers)
    await command.start()
    try:
        yield command
    finally:
        await command.stop()

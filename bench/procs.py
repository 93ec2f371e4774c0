"""Processes the harness starts, and what /proc says about them.

Every process starts in its own session, so stopping it by its process-group id
also stops anything it spawned (a node worker, uvicorn's reloader), and nothing
else. `stop_all` runs at exit and on SIGINT/SIGTERM: a run never leaves a server
behind.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_started: list[subprocess.Popen[bytes]] = []


def start(
    argv: Sequence[str],
    *,
    cpu: int,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
) -> subprocess.Popen[bytes]:
    """Start `argv` pinned to `cpu` (taskset), logging to `log`; stopped at exit."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["taskset", "-c", str(cpu), *argv],
            cwd=cwd,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _started.append(proc)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL it after 5 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with contextlib.suppress(ProcessLookupError):  # children left in the group
        os.killpg(proc.pid, signal.SIGKILL)
    if proc in _started:
        _started.remove(proc)


def stop_all() -> None:
    """Stop everything still running that this harness started (newest first)."""
    for proc in reversed(list(_started)):
        stop(proc)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    """Stop all started processes at exit, including on Ctrl-C and SIGTERM."""
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until `url` answers with any HTTP status; fail if `proc` dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # e.g. 400 for a GET without a query: it is listening
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def _stat_fields(pid: int) -> list[str]:
    # Fields after the command name, which may itself hold spaces and ")".
    text = Path(f"/proc/{pid}/stat").read_text()
    return text.rsplit(")", 1)[1].split()


def tree(root: int) -> list[int]:
    """`root` and all its live descendants (node or uvicorn may spawn workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                ppid = int(_stat_fields(int(entry.name))[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU of the tree, plus what its reaped children used."""
    ticks = 0
    for pid in tree(root):
        with contextlib.suppress(OSError):
            fields = _stat_fields(pid)
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
            if pid == root:
                ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / _CLK_TCK


def peak_rss_mb(root: int) -> float:
    """Sum of VmHWM (peak resident set) over the live process tree, in MiB."""
    kib = 0
    for pid in tree(root):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    kib += int(line.split()[1])
    return kib / 1024


def machine_busy_percent(sample_s: float = 0.5) -> float:
    """Machine-wide CPU busy % over `sample_s` (other sessions may share the box)."""

    def snap() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split()[1:11]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    total0, idle0 = snap()
    time.sleep(sample_s)
    total1, idle1 = snap()
    return 100 * (1 - (idle1 - idle0) / max(1, total1 - total0))


def wait_quiet(max_busy: float, max_wait_s: float) -> float:
    """Wait (up to `max_wait_s`) until the machine is at most `max_busy` % busy."""
    deadline = time.monotonic() + max_wait_s
    busy = machine_busy_percent()
    while busy > max_busy and time.monotonic() < deadline:
        time.sleep(2)
        busy = machine_busy_percent()
    return busy

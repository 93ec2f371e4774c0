"""One wrk run, pinned, and its RESULT line (printed by loadgen's common.lua)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Load:
    """How wrk drives a target: script, URL, threads, connections, extra env."""

    script: Path
    url: str
    threads: int
    connections: int
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WrkResult:
    """What common.lua's done() reports; latencies in ms."""

    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    failed: int


def run(load: Load, seconds: float, cpu: int) -> WrkResult:
    """Run wrk for `seconds` on `cpu`; raise if it prints no RESULT line."""
    argv = [
        "taskset",
        "-c",
        str(cpu),
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{max(1, round(seconds))}s",  # wrk takes whole seconds
        "--timeout",
        "5s",
        "-s",
        str(load.script),
        load.url,
    ]
    env = {**os.environ, **dict(load.env)}
    out = subprocess.run(argv, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{out.stdout}{out.stderr}")
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return parse(line)
    raise RuntimeError(f"no RESULT line from wrk:\n{out.stdout}\n{out.stderr}")


def parse(line: str) -> WrkResult:
    """Parse `RESULT key=value ...`; failed = bad bodies + socket errors."""
    fields = dict(item.split("=", 1) for item in line.split()[1:])
    errors = ("connect_err", "read_err", "write_err", "timeout_err")
    return WrkResult(
        requests=int(fields["requests"]),
        duration_s=float(fields["duration_s"]),
        rps=float(fields["rps"]),
        p50_ms=float(fields["p50_ms"]),
        p99_ms=float(fields["p99_ms"]),
        failed=int(fields["bad"]) + sum(int(fields[k]) for k in errors),
    )

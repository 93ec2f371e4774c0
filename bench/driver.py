"""The benchmark, one command: three systems, one stub, seven scenarios, two latencies.

For each stub latency the upstream stub starts once, on the load CPU. For each
scenario and system: the stub is reset and seeded, the server starts fresh (empty
caches, so peak RSS and cache behaviour belong to that scenario alone) on the
server CPU, wrk warms it up and then measures it on the load CPU, and the server
stops. Interleaving the systems inside each scenario spreads any drift of the
machine over all three instead of one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import limit, procs, upstream, wrk
from bench.report import Row, markdown, write
from bench.systems import (
    BENCH,
    DEFAULT_PEERS,
    REPO,
    SCENARIOS,
    SYSTEMS,
    Layout,
    Scenario,
    System,
    peers_dir,
)
from harness.redis_server import RedisServer, redis_binary, run_redis
from harness.servers import free_port

#: The scenario whose gateway response the `limit` row serves, and where it is kept.
LIMIT_SCENARIO = "lists"
LIMIT_BODY = "limit-body.json"
NO_REDIS = "n/a: the gateway's own cache backend"


def _seconds(value: str) -> float:
    return float(value.removesuffix("s"))


@dataclass(frozen=True)
class Config:
    """Settings, all from the environment (see README: Settings)."""

    duration: float = 5
    warmup: float = 2
    repeat: int = 1
    latencies: tuple[int, ...] = (0, 20)
    scenarios: tuple[str, ...] = tuple(s.name for s in SCENARIOS)
    systems: tuple[str, ...] = tuple(s.name for s in SYSTEMS)
    threads: int = 2
    connections: int = 32
    server_cpu: int = 0
    load_cpu: int = 1
    quiet_max_busy: float = 15
    quiet_wait_s: float = 10
    peers_src: Path = DEFAULT_PEERS
    work: Path = BENCH / ".work"
    results: Path = BENCH / "results"

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Config:
        """Read DURATION, WARMUP, REPEAT, LATENCIES, SCENARIOS, SYSTEMS, ..."""
        d = cls()
        return cls(
            duration=_seconds(env.get("DURATION", str(d.duration))),
            warmup=_seconds(env.get("WARMUP", str(d.warmup))),
            repeat=int(env.get("REPEAT", d.repeat)),
            latencies=tuple(int(x) for x in env.get("LATENCIES", "0 20").split()),
            scenarios=tuple(env.get("SCENARIOS", " ".join(d.scenarios)).split()),
            systems=tuple(env.get("SYSTEMS", " ".join(d.systems)).split()),
            threads=int(env.get("THREADS", d.threads)),
            connections=int(env.get("CONNECTIONS", d.connections)),
            server_cpu=int(env.get("SERVER_CPU", d.server_cpu)),
            load_cpu=int(env.get("LOAD_CPU", d.load_cpu)),
            quiet_max_busy=float(env.get("QUIET_MAX_BUSY", d.quiet_max_busy)),
            quiet_wait_s=float(env.get("QUIET_WAIT_S", d.quiet_wait_s)),
            peers_src=peers_dir(env),
            work=Path(env.get("BENCH_WORK", str(d.work))),
            results=Path(env.get("RESULTS_DIR", str(d.results))),
        )


_T0 = time.monotonic()


def log(message: str) -> None:
    """Progress goes to stderr (stdout holds only the table), with elapsed time."""
    print(f"[{time.monotonic() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


def prepare_peers(cfg: Config) -> Layout:
    """Copy the read-only peers to scratch and `npm ci` there once.

    The shared peers are read-only (also in CI), so node_modules cannot live there.
    The files are copied on every run (cheap), node_modules only installed
    when missing: `rm -rf bench/.work` forces a fresh install.
    """
    peers = cfg.work / "peers"
    shutil.copytree(cfg.peers_src, peers, dirs_exist_ok=True)
    for path in [peers, *peers.rglob("*")]:
        if not path.is_symlink() and "node_modules" not in path.parts:
            path.chmod(path.stat().st_mode | 0o200)
    for peer in ("apollo-rest", "mesh-openapi"):
        if not (peers / peer / "node_modules").is_dir():
            log(f"npm ci in {peers / peer}")
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=peers / peer,
                check=True,
                stdout=subprocess.DEVNULL,
            )
    return Layout(peers)


@dataclass(frozen=True)
class Target:
    """What one measurement needs: the load, its warm-up, and the pid to watch."""

    load: wrk.Load
    warm: wrk.Load
    pid: int


def measure(cfg: Config, stub: str, target: Target) -> dict[str, Any]:
    """Warm up, then REPEAT runs; keep the median by req/s and the peak RSS.

    Upstream calls per request come from the stub's counter before and after
    each run; CPU from /proc utime+stime of the watched process tree.
    """
    wrk.run(target.warm, cfg.warmup, cfg.load_cpu)
    runs = []
    for _ in range(cfg.repeat):
        busy = procs.wait_quiet(cfg.quiet_max_busy, cfg.quiet_wait_s)
        calls0, cpu0 = upstream.calls_so_far(stub), procs.cpu_seconds(target.pid)
        result = wrk.run(target.load, cfg.duration, cfg.load_cpu)
        cpu1, calls1 = procs.cpu_seconds(target.pid), upstream.calls_so_far(stub)
        n = max(1, result.requests)
        runs.append((result, (calls1 - calls0) / n, 1000 * (cpu1 - cpu0) / n, busy))
    runs.sort(key=lambda run: run[0].rps)
    result, per_request, cpu_ms, busy = runs[len(runs) // 2]
    return {
        "rps": result.rps,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "upstream_per_request": per_request,
        "cpu_ms_per_request": cpu_ms,
        "peak_rss_mib": procs.peak_rss_mb(target.pid),
        "failed": result.failed,
        "rps_runs": tuple(run[0].rps for run in runs),
        "busy_before": round(busy),
        "requests": result.requests,
    }


def loads(
    cfg: Config, layout: Layout, system: System, scenario: Scenario, url: str
) -> tuple[wrk.Load, wrk.Load]:
    """The measured load and its warm-up load for `scenario` on `system`.

    many-users and first-load warm up with the single-user lists script: it
    warms the server's code paths and connection pools without filling the
    per-user cache, so the measured run starts with `scenario.users` cold users.
    """
    single = scenario.single_connection
    threads, conns = (1, 1) if single else (cfg.threads, cfg.connections)
    lists = system.script(layout, "lists")
    if scenario.script == "many-users":
        env = (("LISTS_SCRIPT", str(lists)), ("USERS", str(scenario.users)))
        load = wrk.Load(BENCH / "many_users.lua", url, threads, conns, env)
        return load, wrk.Load(lists, url, threads, conns)
    load = wrk.Load(system.script(layout, scenario.script), url, threads, conns)
    return load, load


def run_system(
    cfg: Config,
    layout: Layout,
    stub: str,
    latency: int,
    system: System,
    scenario: Scenario,
) -> Row:
    """Start `system` fresh, measure `scenario` on it, stop it."""
    if scenario.cold and system.cache_off is None:
        return Row(latency, scenario.name, system.name, note=system.no_cache_off)
    if scenario.redis and system.name != "gateway":
        return Row(latency, scenario.name, system.name, note=NO_REDIS)
    with contextlib.ExitStack() as stack:
        extra = {}
        if scenario.redis:
            extra["GATEWAY_CACHE_URL"] = stack.enter_context(redis_server()).url
        return _measure_system(cfg, layout, stub, latency, system, scenario, extra)


def _shown(value: object) -> str:
    """A setting as the results record it: a path relative to the repository,
    so that the results name no machine's directories."""
    if isinstance(value, Path):
        return os.path.relpath(value, REPO)
    return str(value)


def redis_server() -> contextlib.AbstractContextManager[RedisServer]:
    """A fresh redis-server (unpinned: the kernel places it) for one cell."""
    binary = redis_binary()
    if binary is None:
        raise RuntimeError("no redis-server: apt-get install redis-server")
    return run_redis(binary)


def _measure_system(
    cfg: Config,
    layout: Layout,
    stub: str,
    latency: int,
    system: System,
    scenario: Scenario,
    extra: dict[str, str],
) -> Row:
    """`run_system`'s cell, with `extra` settings (a Redis URL) in the env."""
    upstream.reset_and_seed(stub, latency)
    port = free_port()
    argv, cwd = system.command(layout)
    env = {**os.environ, **system.env(stub, port, scenario), **extra}
    logfile = cfg.work / "logs" / f"{latency}ms-{scenario.name}-{system.name}.log"
    proc = procs.start(argv, cpu=cfg.server_cpu, env=env, cwd=cwd, log=logfile)
    try:
        url = f"http://127.0.0.1:{port}{system.path}"
        procs.wait_http(url, proc)
        load, warm = loads(cfg, layout, system, scenario, url)
        numbers = measure(cfg, stub, Target(load, warm, proc.pid))
        if scenario.name == LIMIT_SCENARIO and system.name == "gateway":
            limit.capture(url, cfg.work / LIMIT_BODY)
    finally:
        procs.stop(proc)
    note = ""
    if scenario.users and numbers["requests"] > scenario.users:
        note = f"{numbers['requests']} requests, {scenario.users} tokens: some repeat"
    row = Row(latency, scenario.name, system.name, note=note, **numbers)
    log(
        f"  {latency:>2} ms {scenario.name:<10} {system.name:<8} "
        f"{row.rps:8.0f} req/s  p50 {row.p50_ms:7.2f} ms  "
        f"upstream/req {row.upstream_per_request:.2f}  failed {row.failed}"
    )
    return row


def run_upstream(
    cfg: Config, layout: Layout, stub: str, pid: int, latency: int, single: bool
) -> Row:
    """The stub alone: one GET at 32 connections, or the 4 lists GETs at 1."""
    upstream.reset_and_seed(stub, latency)
    env = (("LOADGEN_DIR", str(layout.loadgen)),)
    if single:
        load = wrk.Load(BENCH / "upstream_lists.lua", stub, 1, 1, env)
        scenario, note = "latency", "per REST GET"
    else:
        url = f"{stub}/api/account/{upstream.ALICE_ID}/favorites/movies"
        load = wrk.Load(
            layout.loadgen / "upstream.lua", url, cfg.threads, cfg.connections
        )
        scenario, note = "upstream-alone", "GET favorites/movies"
    numbers = measure(cfg, stub, Target(load, load, pid))
    row = Row(latency, scenario, "upstream", note=note, **numbers)
    log(f"  {latency:>2} ms {scenario:<10} upstream {row.rps:8.0f} req/s")
    return row


def run_limit(cfg: Config, layout: Layout, stub: str, latency: int) -> Row:
    """The `limit` row: `bench/limit.py` serving the body that the gateway's
    `lists` cell of this latency captured, pinned and loaded as that cell was."""
    body = cfg.work / LIMIT_BODY
    if not body.is_file():
        return Row(latency, LIMIT_SCENARIO, "limit", note="n/a: no gateway lists cell")
    size = body.stat().st_size
    port = free_port()
    argv = [sys.executable, str(BENCH / "limit.py"), "--port", str(port)]
    logfile = cfg.work / "logs" / f"{latency}ms-limit.log"
    proc = procs.start(
        [*argv, "--body", str(body)],
        cpu=cfg.server_cpu,
        env=os.environ,
        cwd=BENCH,
        log=logfile,
    )
    try:
        url = f"http://127.0.0.1:{port}/graphql"
        procs.wait_http(url, proc)
        script = layout.loadgen / "lists.lua"
        load = wrk.Load(script, url, cfg.threads, cfg.connections)
        numbers = measure(cfg, stub, Target(load, load, proc.pid))
    finally:
        procs.stop(proc)
        body.unlink()
    note = f"raw ASGI, the gateway's {size} bytes"
    row = Row(latency, LIMIT_SCENARIO, "limit", note=note, **numbers)
    log(f"  {latency:>2} ms {LIMIT_SCENARIO:<10} limit    {row.rps:8.0f} req/s")
    return row


def start_stub(cfg: Config, layout: Layout, latency: int) -> tuple[str, int]:
    """The stub (with the bench users) on the load CPU; returns its URL and pid."""
    port = free_port()
    argv = [
        sys.executable,
        str(BENCH / "stub.py"),
        "--stub",
        str(layout.peers / "upstream_stub.py"),
        "--port",
        str(port),
        "--latency-ms",
        str(latency),
    ]
    logfile = cfg.work / "logs" / f"stub-{latency}ms.log"
    proc = procs.start(argv, cpu=cfg.load_cpu, env=os.environ, cwd=BENCH, log=logfile)
    base = f"http://127.0.0.1:{port}"
    procs.wait_http(f"{base}/__stats", proc)
    return base, proc.pid


def _version(argv: list[str]) -> str:
    out = subprocess.run(argv, capture_output=True, text=True)
    return (out.stdout or out.stderr).splitlines()[0].strip()


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    models = [
        line.split(":", 1)[1].strip()
        for line in Path("/proc/cpuinfo").read_text().splitlines()
        if line.startswith("model name")
    ]
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu_model": models[0] if models else "unknown",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        "wrk": " ".join(_version(["wrk", "--version"]).split()[:2]),
    }


def header(cfg: Config, info: dict[str, Any]) -> list[str]:
    """The lines above the tables: machine, date and settings."""
    return [
        f"Measured {info['date']} on {info['nproc']} CPUs ({info['cpu_model']}), "
        f"Linux {info['kernel']}, Python {info['python']}, Node {info['node']}, "
        f"{info['wrk']}.",
        "",
        f"Server on CPU {cfg.server_cpu}; wrk and the upstream stub on CPU "
        f"{cfg.load_cpu}. wrk -t{cfg.threads} -c{cfg.connections} "
        f"(latency: -t1 -c1), {cfg.duration:g} s runs after a {cfg.warmup:g} s "
        f"warm-up, REPEAT={cfg.repeat} (median by req/s; range in brackets).",
        "CPU ms / req and peak RSS are the server's process tree (for the "
        "upstream rows: the stub's). Ratio = gateway req/s ÷ this system's req/s, "
        "same scenario. busy % = whole machine, just before the run (other "
        f"sessions share it; the harness waits up to {cfg.quiet_wait_s:g} s for "
        f"≤ {cfg.quiet_max_busy:g} %).",
    ]


def main() -> int:
    """Run everything, print the table, write bench/results/latest.{md,json}."""
    cfg = Config.from_env(dict(os.environ))
    procs.install_cleanup()
    if shutil.which("wrk") is None:
        log("wrk not found: apt-get install -y wrk")
        return 1
    layout = prepare_peers(cfg)
    info = machine()
    systems = [s for s in SYSTEMS if s.name in cfg.systems]
    scenarios = [s for s in SCENARIOS if s.name in cfg.scenarios]
    rows: list[Row] = []
    for latency in cfg.latencies:
        log(f"upstream latency {latency} ms")
        stub, stub_pid = start_stub(cfg, layout, latency)
        for scenario in scenarios:
            for system in systems:
                rows.append(run_system(cfg, layout, stub, latency, system, scenario))
            if scenario.name == LIMIT_SCENARIO:
                rows.append(run_limit(cfg, layout, stub, latency))
            if scenario.name == "latency":
                rows.append(run_upstream(cfg, layout, stub, stub_pid, latency, True))
        rows.append(run_upstream(cfg, layout, stub, stub_pid, latency, False))
        procs.stop_all()
    text = markdown(rows, header(cfg, info), list(cfg.latencies))
    print(text)
    meta = {"machine": info, "config": {k: _shown(v) for k, v in vars(cfg).items()}}
    for path in write(cfg.results, text, rows, meta):
        log(f"wrote {path}")
    return 0 if all(r.failed == 0 for r in rows) else 2

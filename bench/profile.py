"""Where the gateway's time goes in one bench scenario: cProfile on the server.

    .venv/bin/python -m bench.profile [SCENARIO [SECONDS]]   # cold-unshared, 10 s
    GATEWAY_PEERS_DIR=/path/to/shared/peers .venv/bin/python -m bench.profile latency

The gateway runs as in `bench/run` (fresh, pinned to SERVER_CPU, the scenario's
settings, against the seeded stub on LOAD_CPU) but under cProfile (this module's
`--serve`); wrk warms it up and loads it for SECONDS with the scenario's script,
then the server is stopped (SIGTERM: uvicorn shuts down, and the profile of the
whole run, warm-up and start-up included, is written). Printed:
the share of the server's own time (tottime) by package (graphql-core,
strawberry, aiohttp, aiocache, uvicorn and starlette, the gateway, the rest),
then the functions with the most own time and the most cumulative time. The
profile is kept in `bench/.work/profile-SCENARIO.prof` for `pstats` or snakeviz.

cProfile rather than py-spy: it is in the standard library, needs no ptrace
rights on a shared box, and counts every call (a lists query is ~1 ms, too
short for a 100 Hz sampler to resolve per field). It times with the process's CPU clock,
not the wall clock, so other sessions' load on the box is not charged to whatever
function was running. It inflates the cost of small calls: read its shares
against each other, and speed only from `bench/run`.
"""

from __future__ import annotations

import contextlib
import cProfile
import os
import pstats
import signal
import sys
import time
from pathlib import Path

from bench import procs, upstream, wrk
from bench.driver import Config, loads, log, prepare_peers, start_stub
from bench.systems import REPO, SCENARIOS, SYSTEMS
from gateway.cli import main as gateway_main
from harness.servers import free_port

#: Packages by the path fragment of their files, in the order they are printed.
PACKAGES = (
    ("graphql-core", "/graphql/"),
    ("strawberry", "/strawberry/"),
    ("aiohttp", "/aiohttp/"),
    ("aiocache", "/aiocache/"),
    ("uvicorn, starlette", "/uvicorn/"),
    ("uvicorn, starlette", "/starlette/"),
    ("gateway", "/gateway/"),
)
TOP = 25


def package_of(filename: str) -> str:
    """The package a profiled function's file belongs to."""
    for name, fragment in PACKAGES:
        if fragment in filename:
            return name
    return "other (stdlib, asyncio, orjson, ...)"


def shares(stats: pstats.Stats) -> dict[str, float]:
    """Own time by package, as a fraction of the whole."""
    by_package: dict[str, float] = {}
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        package = package_of(filename)
        by_package[package] = by_package.get(package, 0.0) + tottime
    total = sum(by_package.values()) or 1.0
    return {name: own / total for name, own in by_package.items()}


def profile(scenario_name: str, seconds: float) -> Path:
    """Run `scenario_name` on the gateway under cProfile; returns the profile file."""
    cfg = Config.from_env(dict(os.environ))
    scenario = next(s for s in SCENARIOS if s.name == scenario_name)
    gateway = next(s for s in SYSTEMS if s.name == "gateway")
    procs.install_cleanup()
    layout = prepare_peers(cfg)
    stub, _ = start_stub(cfg, layout, 0)
    upstream.reset_and_seed(stub, 0)
    out = cfg.work / f"profile-{scenario.name}.prof"
    port = free_port()
    argv = [sys.executable, "-m", "bench.profile", "--serve", str(out)]
    env = {**os.environ, **gateway.env(stub, port, scenario)}
    log_file = cfg.work / "logs" / f"profile-{scenario.name}.log"
    server = procs.start(argv, cpu=cfg.server_cpu, env=env, cwd=REPO, log=log_file)
    try:
        url = f"http://127.0.0.1:{port}{gateway.path}"
        procs.wait_http(url, server)
        load, warm = loads(cfg, layout, gateway, scenario, url)
        wrk.run(warm, cfg.warmup, cfg.load_cpu)
        result = wrk.run(load, seconds, cfg.load_cpu)
        log(f"{scenario.name}: {result.requests} requests, {result.rps:.0f} req/s")
    finally:
        procs.stop(server)
        procs.stop_all()
    return out


def serve_profiled(out: Path) -> None:
    """`gateway serve` under cProfile, its profile written to `out` once it stops.

    uvicorn raises the signal that stopped it again once it has shut down; the
    no-op handler installed first is the one it restores, so the process lives
    on to write the profile.
    """
    signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
    sys.argv = ["gateway", "serve"]
    profiler = cProfile.Profile(time.process_time)
    try:
        with contextlib.suppress(SystemExit):  # click's exit once serve returns
            profiler.runcall(gateway_main)
    finally:
        profiler.dump_stats(out)


def report(path: Path) -> None:
    """Print the package shares and the top functions of the profile at `path`."""
    stats = pstats.Stats(str(path))
    print(f"own time by package ({path}):")
    for name, share in sorted(shares(stats).items(), key=lambda item: -item[1]):
        print(f"  {share:6.1%}  {name}")
    stats.strip_dirs()
    stats.sort_stats("tottime").print_stats(TOP)
    stats.sort_stats("cumulative").print_stats(TOP)


def main() -> None:
    """`SCENARIO` (default cold-unshared) for `SECONDS` (default 10)."""
    given = sys.argv[1:]
    if given[:1] == ["--serve"]:
        serve_profiled(Path(given[1]))
        return
    scenario = given[0] if given else "cold-unshared"
    names = [s.name for s in SCENARIOS]
    if scenario not in names:
        sys.exit(f"usage: python -m bench.profile [SCENARIO [SECONDS]]; {names}")
    seconds = float(given[1]) if len(given) > 1 else 10.0
    report(profile(scenario, seconds))


if __name__ == "__main__":
    main()

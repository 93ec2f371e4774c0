"""Where the gateway's time goes in a bench scenario: cProfile or py-spy on the server.

    .venv/bin/python -m bench.profile [SCENARIO [SECONDS]]   # cold-unshared, 10 s
    PROFILER=py-spy .venv/bin/python -m bench.profile lists 6
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

`PROFILER=py-spy` (`pip install -e '.[bench]'`; root or ptrace rights) samples
the unmodified server instead, 1,000 times a second during the measured run
only: no call is slowed, so its shares are those of the real server, at the
price of resolution (a share under ~1 % is noise). Printed alike: the share of
samples by package of the innermost frame, then the functions most often
innermost and most often on the stack. The samples are kept in
`bench/.work/profile-SCENARIO.txt` (py-spy's collapsed stacks, for a flame
graph).
"""

from __future__ import annotations

import contextlib
import cProfile
import os
import pstats
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from bench import procs, upstream, wrk
from bench.driver import Config, loads, log, prepare_peers, redis_server, start_stub
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
        if fragment in f"/{filename}":
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
    out = cfg.work / f"profile-{scenario_name}.prof"
    argv = [sys.executable, "-m", "bench.profile", "--serve", str(out)]
    _load(cfg, scenario_name, argv, seconds, during=None)
    return out


def sample(scenario_name: str, seconds: float) -> Path:
    """Run `scenario_name` on the unmodified gateway, sampled by py-spy during the
    measured run; returns the file of collapsed stacks."""
    cfg = Config.from_env(dict(os.environ))
    out = cfg.work / f"profile-{scenario_name}.txt"

    @contextlib.contextmanager
    def spy(pid: int) -> Iterator[None]:
        sampler = subprocess.Popen(
            [*SPY, "-p", str(pid), "-d", str(int(seconds)), "-o", str(out)],
            stdout=subprocess.DEVNULL,
        )
        yield
        if sampler.wait() != 0:
            sys.exit(f"py-spy failed ({sampler.returncode}): run as root")

    _load(cfg, scenario_name, None, seconds, during=spy)
    return out


def count(scenario_name: str, seconds: float) -> tuple[int, int]:
    """Run `scenario_name` on the gateway under callgrind, counting only during
    the measured run, at one connection; returns (instructions, requests)."""
    cfg = Config.from_env(dict(os.environ))
    out = cfg.work / f"profile-{scenario_name}.callgrind"
    out.unlink(missing_ok=True)
    prefix = [*CALLGRIND, f"--callgrind-out-file={out}"]

    @contextlib.contextmanager
    def counted(pid: int) -> Iterator[None]:
        _callgrind_control(pid, "on")
        yield
        _callgrind_control(pid, "off")

    requests = _load(
        cfg, scenario_name, None, seconds, during=counted, prefix=prefix, single=True
    )
    return _instructions(out), requests


#: py-spy's sampling: raw collapsed stacks, a function per frame (no line numbers),
#: only of the thread holding the GIL (pycares' resolver thread, blocked on its
#: queue, is otherwise counted as busy), without pausing the server to read it.
SPY = [
    str(Path(sys.executable).with_name("py-spy")),
    "record",
    "-r",
    "1000",
    "-f",
    "raw",
    "--nolineno",
    "--gil",
    "--nonblocking",
]


def _load(
    cfg: Config,
    scenario_name: str,
    argv: list[str] | None,
    seconds: float,
    during: Callable[[int], contextlib.AbstractContextManager[None]] | None,
    prefix: Sequence[str] = (),
    single: bool = False,
) -> int:
    """Start the gateway as `argv` (None: as `bench/run` starts it, after
    `prefix`) with the scenario's settings, warm it up and load it for `seconds`
    (at one connection if `single`), inside `during` (given the server's pid);
    then stop it. Returns the requests of the measured load."""
    scenario = next(s for s in SCENARIOS if s.name == scenario_name)
    gateway = next(s for s in SYSTEMS if s.name == "gateway")
    procs.install_cleanup()
    layout = prepare_peers(cfg)
    if argv is None:
        argv = [*prefix, *gateway.command(layout)[0]]
    stub, _ = start_stub(cfg, layout, 0)
    upstream.reset_and_seed(stub, 0)
    port = free_port()
    env = {**os.environ, **gateway.env(stub, port, scenario)}
    cache = contextlib.ExitStack()
    if scenario.redis:  # as `bench/run` gives the cell: a fresh server of its own
        env["GATEWAY_CACHE_URL"] = cache.enter_context(redis_server()).url
    log_file = cfg.work / "logs" / f"profile-{scenario.name}.log"
    server = procs.start(argv, cpu=cfg.server_cpu, env=env, cwd=REPO, log=log_file)
    try:
        url = f"http://127.0.0.1:{port}{gateway.path}"
        procs.wait_http(url, server)
        load, warm = loads(cfg, layout, gateway, scenario, url)
        if single:
            load, warm = (
                replace(each, threads=1, connections=1) for each in (load, warm)
            )
        wrk.run(warm, cfg.warmup, cfg.load_cpu)
        with during(server.pid) if during is not None else contextlib.nullcontext():
            result = wrk.run(load, seconds, cfg.load_cpu)
        log(f"{scenario.name}: {result.requests} requests, {result.rps:.0f} req/s")
        return result.requests
    finally:
        procs.stop(server)
        procs.stop_all()
        cache.close()


#: callgrind counting nothing until `callgrind_control -i on`: start-up and the
#: warm-up run at valgrind's uninstrumented speed and are not counted. vgdb names
#: the pipes `callgrind_control` reaches it by after `$HOST`, which the bench sets
#: for the servers (as loadgen's run.sh does; the gateway reads `GATEWAY_HOST`),
#: so neither side of the pipes sees one.
CALLGRIND = ["env", "-u", "HOST", "valgrind", "--tool=callgrind", "--instr-atstart=no"]


def _callgrind_control(pid: int, instrumentation: str) -> None:
    """Switch callgrind's counting in the server `pid` on or off.

    callgrind_control exits 0 even when it reached nothing, so its "OK." is
    checked instead.
    """
    done = subprocess.run(
        ["callgrind_control", "-i", instrumentation, str(pid)],
        env={name: value for name, value in os.environ.items() if name != "HOST"},
        capture_output=True,
        text=True,
    )
    if "OK." not in done.stdout:
        sys.exit(f"callgrind_control failed:\n{done.stdout}{done.stderr}")


def _instructions(out: Path) -> int:
    """The instructions callgrind counted: the `totals:` line of the file it
    wrote at exit (its header's `summary:` says 0 when counting started late)."""
    for line in out.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    sys.exit(f"callgrind wrote no totals to {out}")


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


def report_samples(path: Path) -> None:
    """Print the package shares and the top functions of py-spy's samples."""
    own: Counter[str] = Counter()
    on_stack: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f for f in stack.split(";") if f.endswith(")") and " (" in f]
        if not frames:
            continue
        n = int(count)
        own[frames[-1]] += n
        by_package[package_of(frames[-1].rpartition(" (")[2])] += n
        for frame in set(frames):
            on_stack[frame] += n
    total = sum(own.values()) or 1
    print(f"samples by package of the innermost frame ({path}, {total} samples):")
    for name, n in by_package.most_common():
        print(f"  {n / total:6.1%}  {name}")
    for title, counts in (("innermost", own), ("on the stack", on_stack)):
        print(f"\nmost often {title}:")
        for frame, n in counts.most_common(TOP):
            print(f"  {n / total:6.1%}  {frame}")


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
    profiler = os.environ.get("PROFILER", "cprofile")
    if profiler == "callgrind":
        instructions, requests = count(scenario, seconds)
        print(
            f"{scenario}: {instructions / max(requests, 1):,.0f} instructions "
            f"per request ({instructions:,} over {requests} requests)"
        )
    elif profiler == "py-spy":
        report_samples(sample(scenario, seconds))
    else:
        report(profile(scenario, seconds))


if __name__ == "__main__":
    main()

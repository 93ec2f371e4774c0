"""`python -m bench.soak`: run the soak, print its figures, exit 1 if it failed."""

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

import bench.soak
from bench.soak.breakers import watch_breakers
from bench.soak.faults import KINDS, inject_faults
from bench.soak.figures import Figures, summary
from bench.soak.stack import running_stack
from bench.soak.users import make_users, settle, simulate

CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=30)


async def soak(
    duration: float, users: int, seed: int, breaker: bool, kinds: list[str]
) -> Figures:
    async with (
        running_stack(users, breaker=breaker) as stack,
        aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=CLIENT_TIMEOUT,
            connector=aiohttp.TCPConnector(limit=users * 2),
        ) as http,
    ):
        figures = Figures(len(stack.replicas), time.monotonic())
        population = make_users(users)
        deadline = figures.started + duration
        stop = asyncio.Event()
        watch = asyncio.create_task(watch_breakers(http, stack, stop, figures))
        await asyncio.gather(
            inject_faults(stack, http, deadline, kinds, random.Random(seed), figures),
            *(
                simulate(u, stack, http, deadline, seed + u.number + 1, figures)
                for u in population
            ),
        )
        stop.set()
        await watch
        for user in population:
            await settle(user, stack, http, figures)
    return figures


def report(result: dict[str, Any]) -> None:
    """The summary for a reader; `--json` writes all of it."""
    print(f"config: {result['config']}")
    print(f"duration: {result['duration_s']} s, requests: {result['requests']}")
    print(f"errors by code (per field): {result['errors']}")
    print(
        "faults (per replica: ok share during, seconds to first ok after,"
        " slowest answer during):"
    )
    for row in result["faults"]:
        print(
            f"  {row['at_s']:6.1f} s  {row['kind']:<24} {row['length_s']:4.1f} s"
            f"  ok during {row['ok_during']}  first ok after {row['first_ok_after_s']}"
            f"  slowest {row['slowest_during_s']}"
        )
    print("by kind (lowest ok share during, longest to first ok, slowest answer):")
    for kind, row in result["by_kind"].items():
        print(
            f"  {kind:<24} x{row['occurrences']}  ok during {row['ok_during_min']}"
            f"  first ok after {row['first_ok_after_s_max']}"
            f"  slowest {row['slowest_during_s']}"
        )
    between = result["between_faults"]
    print(
        f"ok between faults: {between['ok']} of {between['requests']} requests,"
        f" latency {between['latency_ms']}"
    )
    print(f"stale serves (fields): {result['stale_serves']}")
    print(f"indeterminate writes settled from REST: {result['settled_from_rest']}")
    for name in ("stale_after_write", "leaks", "lost", "breaker_opens"):
        print(f"{name.replace('_', ' ')}: {result[name]}")
    print(f"violations by the fault begun last: {result['violations_after']}")
    for example in result["examples"]:
        print(f"  {example}")
    print("PASSED" if result["passed"] else f"FAILED: {'; '.join(result['failed'])}")


def fault_kinds(text: str) -> list[str]:
    """`--faults`: a comma-separated list of `KINDS`, or `none`."""
    kinds = [] if text == "none" else [k.strip() for k in text.split(",")]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown fault kinds {sorted(unknown)}")
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=(bench.soak.__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--breaker", choices=["on", "off"], default="on")
    parser.add_argument(
        "--faults",
        type=fault_kinds,
        default=sorted(KINDS),
        help=f"comma-separated kinds, or none (default: all of {', '.join(KINDS)})",
    )
    parser.add_argument("--json", type=Path, help="write the summary there as JSON")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    figures = asyncio.run(
        soak(args.duration, args.users, args.seed, args.breaker == "on", args.faults)
    )
    config = {k: v for k, v in vars(args).items() if k != "json"}
    # Other work on the machine slows every answer: say how busy it was.
    config["load_average_1min"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    result = summary(figures, config)
    report(result)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""How long each pathological document takes to be answered, before and after.

    .venv/bin/python -m bench.hostile [--before TREE] [--repeat N] [--timeout S]

For each tree (`--before`, a checkout of main, run with `PYTHONPATH=TREE`; then this
one), `gateway serve` starts on the embedded reference API, pinned to CPU 0, and
answers each document of `harness/hostile_documents.py` `--repeat` times (each
time under another operation name, so neither the parser's nor the validation's
cache hides the work). Meanwhile another client sends `{ __typename }`
5 ms after each document: its time is how long the worker stalls everyone else.
A document not answered within `--timeout` seconds is cut off and the server
restarted (a worker validating it would stay busy). Prints one table, in
milliseconds (median over the repeats), with each answer's reason.
"""

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench import procs
from harness import hostile_documents as hostile

ROOT = Path(__file__).parent.parent
HEADERS = {"Authorization": "Bearer alice-token"}
TYPENAME_DELAY = 0.005
BIG_TOKENS = {"GATEWAY_MAX_TOKENS": "40000"}


@dataclass(frozen=True)
class Document:
    name: str
    query: str
    env: tuple[tuple[str, str], ...] = ()  # settings beyond the defaults


DOCUMENTS = (
    Document("nested fragments, n=20", hostile.nested_fragments(20)),
    Document("nested fragments, n=190", hostile.nested_fragments(190)),
    Document(
        "nested fragments, n=190, closed schema",
        hostile.nested_fragments(190),
        (("GATEWAY_INTROSPECTION", "false"),),
    ),
    Document("wide fragments, 20^8", hostile.wide_fragments(8, 20)),
    Document("fragment cycle, 150", hostile.fragment_cycle(150)),
    Document("1,990 same fields", hostile.many_same_fields(1_990)),
    Document("10,000 aliases (default tokens)", hostile.many_aliases(10_000)),
    Document(
        "10,000 aliases (40,000 tokens)",
        hostile.many_aliases(10_000),
        tuple(BIG_TOKENS.items()),
    ),
    Document("list of lists, 190 deep", hostile.deep_list_type(190)),
    Document("selection 150 deep", hostile.deep_selection(150)),
    Document("ofType chain 150 deep", hostile.deep_of_type(150)),
    Document("{ __typename } alone", "{ __typename }"),
)


@dataclass
class Timing:
    answer_ms: list[float]
    typename_ms: list[float]
    reason: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gateway(tree: Path, env: dict[str, str], workdir: Path) -> Iterator[str]:
    """`gateway serve` from `tree` on a free port; its URL."""
    port = free_port()
    environ = {
        **os.environ,
        **env,
        "PYTHONPATH": str(tree),
        "GATEWAY_PORT": str(port),
        "GATEWAY_LOG_LEVEL": "warning",
        "GATEWAY_REFERENCE_DB": str(workdir / f"reference-{port}.sqlite3"),
    }
    argv = [sys.executable, "-m", "gateway", "serve"]
    log = workdir / f"gateway-{port}.log"
    proc = procs.start(argv, cpu=0, env=environ, cwd=workdir, log=log)
    try:
        url = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{url}/healthz", proc)
        yield url
    finally:
        procs.stop(proc)


async def timed(
    http: aiohttp.ClientSession, url: str, query: str, seconds: float
) -> tuple[float, str]:
    """Milliseconds to the answer of `query`, and its reason (or data / timeout)."""
    start = time.perf_counter()
    try:
        async with http.post(
            f"{url}/graphql",
            json={"query": query},
            headers=HEADERS,
            timeout=aiohttp.ClientTimeout(total=seconds),
        ) as response:
            body: dict[str, Any] = await response.json()
    except TimeoutError:
        return seconds * 1000, f"no answer in {seconds:g} s"
    elapsed = (time.perf_counter() - start) * 1000
    errors = body.get("errors") or [{}]
    reason = errors[0].get("extensions", {}).get("reason") or str(body)[:60]
    return elapsed, "data" if "errors" not in body else str(reason)


def variant(query: str, n: int) -> str:
    """`query` under an operation name of its own: a text that parses unlike the
    others (a comment would not do: main's cache keys on the parsed document)."""
    if query.startswith("{"):
        return f"query Bench{n} {query}"
    return query.replace("query ", f"query Bench{n}", 1)


async def measure(url: str, document: Document, repeat: int, seconds: float) -> Timing:
    """`repeat` timings of `document`, each with a `{ __typename }` beside it; the
    first that times out ends them (the worker is still busy with it)."""
    timing = Timing([], [], "")
    async with aiohttp.ClientSession() as http:
        await timed(http, url, "{ __typename }", seconds)  # warm-up
        for n in range(repeat):
            query = variant(document.query, n)
            hostile_task = asyncio.create_task(timed(http, url, query, seconds))
            await asyncio.sleep(TYPENAME_DELAY)
            typename_ms, _ = await timed(http, url, "{ __typename }", seconds)
            answer_ms, timing.reason = await hostile_task
            timing.answer_ms.append(answer_ms)
            timing.typename_ms.append(typename_ms)
            if answer_ms >= seconds * 1000:
                break
    return timing


def run_tree(tree: Path, repeat: int, timeout: float) -> dict[str, Timing]:
    """Each document's timing against `gateway serve` from `tree`."""
    results: dict[str, Timing] = {}
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as scratch:
        for document in DOCUMENTS:
            with gateway(tree, dict(document.env), Path(scratch)) as url:
                results[document.name] = asyncio.run(
                    measure(url, document, repeat, timeout)
                )
            print(f"{tree}: {document.name} done", file=sys.stderr)
    return results


def cell(timing: Timing | None) -> str:
    if timing is None:
        return "-"
    answer = statistics.median(timing.answer_ms)
    typename = statistics.median(timing.typename_ms)
    return f"{answer:,.1f} / {typename:,.1f} ({timing.reason})"


def table(before: dict[str, Timing] | None, after: dict[str, Timing]) -> str:
    rows = [
        "| document | bytes | before: answer / concurrent `{ __typename }` ms "
        "| after: answer / concurrent `{ __typename }` ms |",
        "|---|---|---|---|",
    ]
    for document in DOCUMENTS:
        earlier = before.get(document.name) if before else None
        rows.append(
            f"| {document.name} | {len(document.query):,} | {cell(earlier)} "
            f"| {cell(after[document.name])} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a tree to compare with")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=10.0)
    options = parser.parse_args()
    procs.install_cleanup()
    before = None
    if options.before:
        before = run_tree(options.before, options.repeat, options.timeout)
    after = run_tree(ROOT, options.repeat, options.timeout)
    print(table(before, after))
    return 0


if __name__ == "__main__":
    sys.exit(main())

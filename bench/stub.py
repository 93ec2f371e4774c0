"""loadgen's upstream stub, plus the bearer tokens of the many-users and first-load
scenarios (10,000: first-load needs one per request).

The stub (`upstream_stub.py`, read-only among the shared peers) knows only
`alice-token` and `bob-token`, and has no endpoint to add accounts. This wrapper
imports it unchanged, registers `user0001-token` .. `user10000-token` as accounts
100001 .. 110000 (each its own account, so no gateway can share one user's cached
lists with another), and adds one control route:

  POST /__bench_clone {"from": 12345}   copy that account's lists to every bench user

so the harness seeds alice through the documented REST API once and gives every
user the same 45 items without 50,000 seeding requests.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from aiohttp import web

USERS = 10_000
FIRST_ACCOUNT_ID = 100_000


def user_token(n: int) -> str:
    """The bearer token of bench user `n` (1-based); many_users.lua builds the same."""
    return f"user{n:04d}-token"


def load_stub(path: Path) -> ModuleType:
    """Import upstream_stub.py from its file, without copying or editing it."""
    spec = importlib.util.spec_from_file_location("upstream_stub", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def add_users(stub: ModuleType, count: int) -> list[int]:
    """Register `count` bench accounts in the stub's token table; returns their ids."""
    template: dict[str, Any] = stub.ACCOUNTS["alice-token"]
    ids = []
    for n in range(1, count + 1):
        account_id = FIRST_ACCOUNT_ID + n
        stub.ACCOUNTS[user_token(n)] = {
            **template,
            "id": account_id,
            "name": f"User {n}",
            "username": f"user{n:04d}",
        }
        ids.append(account_id)
    return ids


def clone_route(ids: list[int]) -> Any:
    """The /__bench_clone handler: alice's lists become every bench user's lists."""

    async def clone(request: web.Request) -> web.Response:
        source = int((await request.json())["from"])
        lists = request.app["state"].lists
        for account_id in ids:
            for section, kinds in lists[source].items():
                for kind, entries in kinds.items():
                    lists[account_id][section][kind] = dict(entries)
        return web.json_response({"cloned": len(ids)})

    return clone


def main() -> None:
    """Parse the stub's own flags plus --stub and --users, and serve."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--stub", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--users", type=int, default=USERS)
    args = parser.parse_args()
    stub = load_stub(args.stub)
    ids = add_users(stub, args.users)
    app = stub.make_app()
    app["state"].config["latency_ms"] = args.latency_ms
    app.router.add_post("/__bench_clone", clone_route(ids))
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()

"""The three systems under test and the scenarios, as data.

A system knows how to start itself (argv, cwd, env) and which wrk scripts speak
its schema: the gateway and the Apollo peer serve our contract and use loadgen's
scripts; Mesh serves its generated schema and uses its own `lua/mesh-*.lua`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
#: The shared peers (read-only) sit beside the repository; `PEERS_ENV` overrides.
DEFAULT_PEERS = REPO.parent / "shared" / "peers"
PEERS_ENV = "GATEWAY_PEERS_DIR"


def peers_dir(env: Mapping[str, str]) -> Path:
    """Where the shared peers are: `PEERS_ENV` if set, else `DEFAULT_PEERS`."""
    return Path(env.get(PEERS_ENV) or DEFAULT_PEERS)


@dataclass(frozen=True)
class Layout:
    """Where things are: the scratch copy of the peers, and this repository."""

    peers: Path  # scratch copy of the shared peers, with node_modules

    @property
    def loadgen(self) -> Path:
        return self.peers / "loadgen"

    @property
    def mesh_lua(self) -> Path:
        return self.peers / "mesh-openapi" / "lua"


@dataclass(frozen=True)
class System:
    """A GraphQL server under test."""

    name: str
    path: str  # GraphQL endpoint path
    mesh_schema: bool  # speaks Mesh's generated schema, not our contract
    cache_off: tuple[tuple[str, str], ...] | None  # env turning list caching off
    no_cache_off: str = ""  # why there is no switch, shown in the table

    def command(self, layout: Layout) -> tuple[list[str], Path]:
        """The argv and working directory that start this server."""
        if self.name == "gateway":
            return [sys.executable, "-m", "gateway", "serve"], REPO
        if self.name == "apollo":
            return ["node", "server.mjs"], layout.peers / "apollo-rest"
        return ["./serve.sh"], layout.peers / "mesh-openapi"

    def env(self, upstream: str, port: int, scenario: Scenario) -> dict[str, str]:
        """run.sh's variables, the gateway's own names, the scenario's switches."""
        env = {
            "UPSTREAM_URL": upstream,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "NODE_ENV": "production",
            "GATEWAY_UPSTREAM_URL": f"{upstream}/api",  # the stub serves under /api
            "GATEWAY_PORT": str(port),
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_LOG_LEVEL": "warning",
        }
        if scenario.cold and self.cache_off:
            env.update(self.cache_off)
        if self.name == "gateway":
            env.update(scenario.gateway_env)
        return env

    def script(self, layout: Layout, name: str) -> Path:
        """The wrk script of scenario script `name` (account, lists, mixed)."""
        if self.mesh_schema:
            return layout.mesh_lua / f"mesh-{name}.lua"
        return layout.loadgen / f"{name}.lua"


SYSTEMS = (
    System("gateway", "/graphql", False, (("GATEWAY_LIST_TTL", "0"),)),
    System("apollo", "/", False, (("LIST_CACHE_TTL_S", "0"),)),
    System(
        "mesh",
        "/graphql",
        True,
        None,
        "n/a: no cache-off switch (response cache fixed in gateway.config.ts)",
    ),
)


@dataclass(frozen=True)
class Scenario:
    """One load shape; `cold` starts the server with list caching off."""

    name: str
    script: str  # account | lists | mixed | many-users
    cold: bool = False
    single_connection: bool = False
    summary: str = ""
    gateway_env: tuple[tuple[str, str], ...] = ()  # extra settings, gateway only
    users: int = 0  # many-users / first-load: round-robin over this many tokens
    redis: bool = False  # the gateway on a fresh redis-server's cache (gateway only)


SCENARIOS = (
    Scenario("account", "account", summary="{ account { id name username } }"),
    Scenario("lists", "lists", summary="account + 3 lists, 45 items"),
    Scenario(
        "lists-redis",
        "lists",
        summary="lists, the gateway's cache on Redis",
        redis=True,
    ),
    Scenario("mixed", "mixed", summary="90% lists, 10% setFavorite"),
    Scenario("cold", "lists", cold=True, summary="lists, list caching off"),
    Scenario(
        "cold-unshared",
        "lists",
        cold=True,
        summary="cold, and the gateway's single-flight off too",
        gateway_env=(("GATEWAY_SINGLE_FLIGHT", "false"),),
    ),
    Scenario(
        "many-users",
        "many-users",
        summary="lists, 1,000 tokens round-robin",
        users=1000,
    ),
    Scenario(
        "first-load",
        "many-users",
        summary="lists, 10,000 tokens, each its first request",
        users=10_000,
    ),
    Scenario(
        "latency",
        "lists",
        cold=True,
        single_connection=True,
        summary="lists, caching off, 1 connection",
    ),
)

"""docker-compose.yml and the Dockerfile agree with the settings and the CLI.

Docker need not run: the files are parsed, every `GATEWAY_*` variable goes through
`Settings.from_environ`, the reference API's arguments through its click command,
the python health checks run against real servers on loopback, and which services
a command starts follows compose's profile rules (`started`).
"""

import asyncio
import dataclasses
import json
import re
import socket
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import yaml  # type: ignore[import-untyped]  # types-PyYAML is not a test dependency

from gateway.app import create_app
from gateway.cli import cli
from gateway.settings import DEFAULT_PORT, Settings
from harness.servers import RunningServer, run_server
from tests.conftest import MEMORY_ONLY, Upstream

ROOT = Path(__file__).parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
REPLICAS = ("gateway-1", "gateway-2")
GATEWAYS = ("gateway", *REPLICAS)
PROJECT_IMAGE = ("reference-api", *GATEWAYS)
SETTING_FIELDS = {field.name for field in dataclasses.fields(Settings)}
DOTENV = dict(
    line.split("=", 1)
    for line in (ROOT / ".env").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)
HEALTH_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/[\w/]*")


def environment(name: str) -> dict[str, str]:
    env = SERVICES[name].get("environment", {})
    if isinstance(env, list):  # compose also allows ["KEY=value", ...]
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def settings_of(name: str) -> Settings:
    return Settings.from_environ(environment(name))


def reference_api_params() -> dict[str, Any]:
    """The reference API's command, parsed by the real click command."""
    command = SERVICES["reference-api"]["command"]
    assert command[0] == "reference-api"
    context = cli.commands["reference-api"].make_context("reference-api", command[1:])
    return context.params


def started(*flags: str) -> set[str]:
    """The services `docker compose [--profile FLAG]... up` starts.

    Compose's rules: a service without `profiles` always runs, one with them when
    one is active; the active profiles are the `--profile` flags, or else
    COMPOSE_PROFILES (here: from ./.env, as a shell without it would have).
    """
    active = set(flags) or set(DOTENV.get("COMPOSE_PROFILES", "").split(",")) - {""}
    return {
        name
        for name, service in SERVICES.items()
        if not service.get("profiles") or active & set(service["profiles"])
    }


def gateways_in(names: set[str]) -> set[str]:
    return {name for name in names if SERVICES[name].get("command") == ["serve"]}


def ports(name: str) -> list[tuple[int, int]]:
    """(published, container) pairs of short-syntax `[ip:]published:container`."""
    pairs = []
    for spec in SERVICES[name].get("ports", []):
        *_, published, target = str(spec).split(":")
        pairs.append((int(published), int(target)))
    return pairs


def python_check(name: str) -> str:
    test = SERVICES[name]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return str(test[3])


def health_url(name: str) -> SplitResult:
    (url,) = (match.group() for match in HEALTH_URL.finditer(python_check(name)))
    return urlsplit(url)


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = (line.strip() for line in text.splitlines())
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def instructions(name: str) -> list[str]:
    return [args for instruction, args in dockerfile() if instruction == name]


def dockerfile_env() -> dict[str, str]:
    pairs = " ".join(instructions("ENV")).split()
    return dict(pair.split("=", 1) for pair in pairs)


def dockerignore() -> set[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and line[0] != "#"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_check(snippet: str, port: int) -> int:
    """Run a health check's python snippet against `port` instead of its own."""
    snippet = HEALTH_URL.sub(
        lambda match: match.group().replace(f":{match.group(1)}/", f":{port}/"),
        snippet,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", snippet, stderr=asyncio.subprocess.PIPE
    )
    await process.communicate()
    assert process.returncode is not None
    return process.returncode


def test_services_are_the_reference_api_redis_and_gateways() -> None:
    assert set(SERVICES) == {"reference-api", "redis", *GATEWAYS}
    assert "version" not in COMPOSE  # obsolete in the compose specification


def test_one_project_image_built_from_the_dockerfile() -> None:
    builders = [name for name in SERVICES if "build" in SERVICES[name]]
    assert builders == ["reference-api"]
    assert SERVICES["reference-api"]["build"] in (".", {"context": "."})
    image = SERVICES["reference-api"]["image"]
    assert {SERVICES[name]["image"] for name in PROJECT_IMAGE} == {image}
    assert {SERVICES[name]["pull_policy"] for name in PROJECT_IMAGE} == {"never"}
    assert SERVICES["redis"]["image"] == "redis:7-alpine"


def test_services_run_the_cli_commands() -> None:
    for name in GATEWAYS:
        assert SERVICES[name]["command"] == ["serve"]
    assert "serve" in cli.commands
    assert SERVICES["reference-api"]["command"][0] == "reference-api"
    assert not [name for name in SERVICES if "entrypoint" in SERVICES[name]]


def test_reference_api_arguments_parse() -> None:
    params = reference_api_params()
    assert params["host"] == "0.0.0.0"
    assert params["db"].startswith("/data/")
    assert "reference-api-data:/data" in SERVICES["reference-api"]["volumes"]
    assert "reference-api-data" in COMPOSE["volumes"]


def test_environment_is_only_gateway_settings() -> None:
    for name in SERVICES:
        for key in environment(name):
            assert key.startswith("GATEWAY_"), (name, key)
            assert key.removeprefix("GATEWAY_").lower() in SETTING_FIELDS, (name, key)


def test_gateways_settings_parse() -> None:
    upstream = f"http://reference-api:{reference_api_params()['port']}/api"
    for name in GATEWAYS:
        settings = settings_of(name)
        assert settings.host == "0.0.0.0"
        assert settings.port == DEFAULT_PORT
        assert settings.upstream_url == upstream
    assert settings_of("gateway").cache_url == "memory://"


def test_replicas_share_the_redis_cache() -> None:
    cache_urls = {settings_of(name).cache_url for name in REPLICAS}
    assert len(cache_urls) == 1
    cache = urlsplit(cache_urls.pop())
    assert (cache.scheme, cache.hostname, cache.port) == ("redis", "redis", 6379)
    assert [target for _, target in ports("redis")] == [6379]


def test_published_ports_match_the_listening_ports() -> None:
    assert [target for _, target in ports("reference-api")] == [
        reference_api_params()["port"]
    ]
    for name in GATEWAYS:
        assert [target for _, target in ports(name)] == [settings_of(name).port]
    published = [host for name in SERVICES for host, _ in ports(name)]
    assert len(published) == len(set(published))


def test_up_starts_one_gateway_on_the_reference_api() -> None:
    services = started()
    assert gateways_in(services) == {"gateway"}
    assert services == {"reference-api", "gateway"}
    assert settings_of("gateway").cache_url == "memory://"


def test_profile_replicas_starts_only_gateways_sharing_redis() -> None:
    services = started("replicas")
    gateways = gateways_in(services)
    assert gateways == set(REPLICAS)
    cache_urls = {settings_of(name).cache_url for name in gateways}
    assert len(cache_urls) == 1 and urlsplit(cache_urls.pop()).scheme == "redis"
    assert "redis" in services
    published = [host for name in gateways for host, _ in ports(name)]
    assert len(published) == len(gateways) == len(set(published))


def test_every_started_service_has_its_dependencies_started() -> None:
    for flags in [(), ("replicas",), ("single", "replicas")]:
        services = started(*flags)
        for name in services:
            assert set(SERVICES[name].get("depends_on", {})) <= services, (flags, name)


def test_dotenv_holds_only_the_default_profile() -> None:
    assert DOTENV == {"COMPOSE_PROFILES": "single"}
    assert ".env" in dockerignore()


def test_every_service_has_a_healthcheck() -> None:
    for name in SERVICES:
        assert SERVICES[name]["healthcheck"]["test"][0] == "CMD", name
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    for name in PROJECT_IMAGE:
        compile(python_check(name), f"{name} healthcheck", "exec")


def test_healthchecks_probe_the_listening_ports() -> None:
    reference = health_url("reference-api")
    assert reference.port == reference_api_params()["port"]
    assert reference.path.startswith("/api/")
    for name in GATEWAYS:
        url = health_url(name)
        assert (url.port, url.path) == (settings_of(name).port, "/readyz")


def test_gateways_wait_for_healthy_dependencies() -> None:
    for name in GATEWAYS:
        depends_on = SERVICES[name]["depends_on"]
        needed = {"reference-api", "redis"} if name in REPLICAS else {"reference-api"}
        assert set(depends_on) == needed
        conditions = {value["condition"] for value in depends_on.values()}
        assert conditions == {"service_healthy"}


async def test_reference_api_check_passes_on_401_fails_when_refused(
    upstream: Upstream,
) -> None:
    snippet = python_check("reference-api")
    assert await run_check(snippet, upstream.server.port) == 0
    assert await run_check(snippet, closed_port()) == 1


@MEMORY_ONLY
async def test_gateway_check_follows_readyz(gateway: RunningServer) -> None:
    snippet = python_check("gateway")
    assert await run_check(snippet, gateway.port) == 0
    nowhere = Settings(upstream_url=f"http://127.0.0.1:{closed_port()}/api")
    async with run_server(create_app(nowhere)) as unready:
        assert await run_check(snippet, unready.port) == 1


def test_dockerfile_runs_the_gateway_script() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (entrypoint,) = instructions("ENTRYPOINT")
    assert json.loads(entrypoint) == ["gateway"]
    assert "gateway" in project["scripts"]
    (command,) = instructions("CMD")
    assert json.loads(command) == ["serve"]
    (base,) = instructions("FROM")
    assert base == "python:3.11-slim"
    assert instructions("USER") and instructions("USER")[-1] != "root"


def test_dockerfile_copies_what_the_build_needs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    sources = {path for args in instructions("COPY") for path in args.split()[:-1]}
    assert {"pyproject.toml", project["readme"], "gateway/"} <= sources
    ignored = {pattern.rstrip("/") for pattern in dockerignore()}
    assert not {source.rstrip("/") for source in sources} & ignored
    assert {".venv", ".git", "**/*.sqlite3"} <= ignored


def test_dockerfile_settings_and_port() -> None:
    env = {k: v for k, v in dockerfile_env().items() if k.startswith("GATEWAY_")}
    for key in env:
        assert key.removeprefix("GATEWAY_").lower() in SETTING_FIELDS, key
    settings = Settings.from_environ(env)
    assert settings.host == "0.0.0.0"
    # The embedded reference API's SQLite file goes where the non-root user may write.
    assert settings.reference_db.startswith("/data/")
    assert instructions("EXPOSE") == [str(DEFAULT_PORT)]

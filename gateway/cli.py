"""The `gateway` command: the composition root, sole importer of the reference API.

`gateway serve` hands `build_app` to uvicorn as a factory, so every worker process
builds its own app from the same `GATEWAY_*` environment (flags are written into
it first). Without an upstream URL, the reference API is served under `/api` of
the same server and used as the upstream, with a demo sign-in for browsers.
"""

import contextlib
import copy
import os
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import click
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from strawberry.printer import print_schema

from gateway import reference_api
from gateway.app import create_app, schema_limits, trusted_documents
from gateway.collector import settle_collector
from gateway.metrics import MULTIPROCESS_ENV
from gateway.schema import create_schema
from gateway.settings import (
    DEFAULT_REFERENCE_DB,
    SettingError,
    Settings,
    help_for,
    settings_table,
    variable,
)

_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}
_EMBEDDED_LINKS = (
    ("/demo", "sign in as a demo account in the browser, then land in GraphiQL"),
    ("/api/account", "the embedded reference REST API (a bearer token or cookie)"),
)


def build_app() -> Starlette:
    """The app for this process, from the environment (uvicorn's factory)."""
    settings = Settings.from_environ(os.environ)
    # Set by `serve` for its workers (`_worker_metrics`).
    metrics_dir = os.environ.get(MULTIPROCESS_ENV) if settings.workers > 1 else None
    app = app_for(settings, metrics_dir=metrics_dir)
    settle_collector()
    return app


def app_for(settings: Settings, *, metrics_dir: str | None = None) -> Starlette:
    """The gateway for `settings`; without an upstream URL, over the reference API
    served under `/api` of the same server, with the demo sign-in at `/demo`."""
    if settings.upstream_url is not None:
        return create_app(settings, metrics_dir=metrics_dir)
    host = _LOOPBACK.get(settings.host, settings.host)
    embedded = replace(settings, upstream_url=f"http://{host}:{settings.port}/api")
    api = reference_api.create_app(db_path=settings.reference_db)
    return create_app(
        embedded,
        routes=[Mount("/api", api), *reference_api.demo_routes()],
        links=_EMBEDDED_LINKS,
        metrics_dir=metrics_dir,
    )


@click.group()
def cli() -> None:
    """A GraphQL gateway (an Apollo Federation v2 subgraph) over a REST account API."""


@cli.command()
@click.option("--host", default=None, help=help_for("host"))
@click.option("--port", type=int, default=None, help=help_for("port"))
@click.option("--upstream-url", default=None, help=help_for("upstream_url"))
@click.option("--cache-url", default=None, help=help_for("cache_url"))
@click.option("--workers", type=int, default=None, help=help_for("workers"))
def serve(
    host: str | None,
    port: int | None,
    upstream_url: str | None,
    cache_url: str | None,
    workers: int | None,
) -> None:
    """Run the gateway under uvicorn; each flag overrides its `GATEWAY_*` variable."""
    flags = {
        variable("host"): host,
        variable("port"): port,
        variable("upstream_url"): upstream_url,
        variable("cache_url"): cache_url,
        variable("workers"): workers,
    }
    # Flags win over the environment; written into it, they reach every worker.
    os.environ.update(
        {key: str(value) for key, value in flags.items() if value is not None}
    )
    settings = _settings()  # fail here, once, on a bad value
    _greet(settings)
    with _worker_metrics(settings.workers):
        uvicorn.run(
            "gateway.cli:build_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            log_config=_log_config(settings.log_level),
            access_log=False,  # gateway.edge.access_log writes one line per request
        )


@contextlib.contextmanager
def _worker_metrics(workers: int) -> Iterator[None]:
    """With several workers, a fresh directory for their metrics while they run.

    It goes into the environment before uvicorn spawns the workers, which is what
    prometheus-client reads when they import it; it is removed at exit, so no
    count of an earlier run is ever added in.
    """
    if workers == 1:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="gateway-metrics-") as directory:
        os.environ[MULTIPROCESS_ENV] = directory
        yield


@cli.command("settings")
def settings_command() -> None:
    """Print every setting with its variable, default and meaning (README's table)."""
    click.echo(settings_table(), nl=False)


@cli.command("export-schema")
def export_schema() -> None:
    """Print the schema's SDL (what schema.graphql holds)."""
    click.echo(print_schema(create_schema(schema_limits(Settings()))))


@cli.command("reference-api")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8001, show_default=True)
@click.option(
    "--db", default=DEFAULT_REFERENCE_DB, show_default=True, help="SQLite file."
)
@click.option(
    "--rate-limit", type=int, default=None, help="Requests per second per token."
)
@click.option(
    "--users",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Extra accounts user1..userN, tokens user<N>-token (load and soak runs).",
)
@click.option(
    "--control",
    is_flag=True,
    help="Add the test routes PUT|DELETE /__faults, GET|DELETE /__calls.",
)
def reference_api_command(
    host: str, port: int, db: str, rate_limit: int | None, users: int, control: bool
) -> None:
    """Run the reference REST API alone, under /api."""
    api = reference_api.create_app(
        db_path=db, rate_limit=rate_limit, users=users, control=control
    )
    app = Starlette(routes=[Mount("/api", api)])
    click.echo(f"Reference API on http://{host}:{port}/api")
    uvicorn.run(app, host=host, port=port)


class BadSettingError(click.ClickException):
    """A bad setting: its message, no traceback, and exit status 2 (a usage error)."""

    exit_code = 2


def _settings() -> Settings:
    try:
        settings = Settings.from_environ(os.environ)
        trusted_documents(settings)  # read the manifest here, before any worker
    except SettingError as exc:
        raise BadSettingError(str(exc)) from exc
    return settings


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging plus the gateway's loggers; access lines are bare JSON."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["json_lines"] = {"format": "%(message)s"}
    config["handlers"]["json_lines"] = {
        "class": "logging.StreamHandler",
        "formatter": "json_lines",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["gateway"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    config["loggers"]["gateway.access"] = {
        "handlers": ["json_lines"],
        "level": level.upper(),
        "propagate": False,
    }
    return dict(config)


def _greet(settings: Settings) -> None:
    base = f"http://{_LOOPBACK.get(settings.host, settings.host)}:{settings.port}"
    click.echo(f"GraphiQL: {base}/graphql")
    if settings.upstream_url is None:
        alice = reference_api.DEMO_ACCOUNTS[0]
        click.echo(f"Upstream: the embedded reference API at {base}/api")
        click.echo(f"Demo sign-in for the browser: {base}/demo")
        click.echo(f"Demo token: Authorization: Bearer {alice.token}")
    else:
        click.echo(f"Upstream: {settings.upstream_url}")


def main() -> None:
    """Entry point of the `gateway` script."""
    cli()

"""The gateway's configuration: one frozen value, read from `GATEWAY_*` variables once.

Nothing else in the package reads the environment; `create_app(settings)` and the
CLI pass these values down. A malformed variable fails at start-up and names its key.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.config import Config
from starlette.datastructures import CommaSeparatedStrings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_WORKERS = 1
DEFAULT_UPSTREAM_TIMEOUT = 10.0
DEFAULT_UPSTREAM_CONNECT_TIMEOUT = 3.0
DEFAULT_UPSTREAM_MAX_CONNECTIONS = 100
DEFAULT_UPSTREAM_ATTEMPT_TIMEOUT = 0.0
DEFAULT_UPSTREAM_RETRIES = 2
DEFAULT_UPSTREAM_RETRY_BACKOFF = 0.05
DEFAULT_UPSTREAM_RETRY_AFTER_MAX = 1.0
DEFAULT_UPSTREAM_BREAKER_FAILURES = 5
DEFAULT_UPSTREAM_BREAKER_COOLDOWN = 5.0
DEFAULT_LIST_TTL = 60.0
DEFAULT_ACCOUNT_TTL = 30.0
DEFAULT_STALE_TTL = 300.0
DEFAULT_CACHE_MAX_ENTRIES = 10_000
DEFAULT_RESPONSE_CACHE_BYTES = 32 * 1024 * 1024
DEFAULT_CACHE_TIMEOUT = 0.5
DEFAULT_CACHE_BACKOFF = 5.0
DEFAULT_MAX_BODY_BYTES = 100_000
DEFAULT_MAX_DEPTH = 15
DEFAULT_MAX_ALIASES = 30
DEFAULT_MAX_TOKENS = 2_000
DEFAULT_REFERENCE_DB = "reference-api.sqlite3"
DEFAULT_LOG_LEVEL = "info"

# Values below these are refused at start-up; a TTL of 0 turns that cache off, as
# 0 retries or 0 breaker failures turn those off.
_LOWER_BOUNDS: dict[str, float] = {
    "port": 0,
    "workers": 1,
    "upstream_timeout": 0.001,
    "upstream_connect_timeout": 0.001,
    "upstream_max_connections": 1,
    "upstream_attempt_timeout": 0,
    "upstream_retries": 0,
    "upstream_retry_backoff": 0,
    "upstream_retry_after_max": 0,
    "upstream_breaker_failures": 0,
    "upstream_breaker_cooldown": 0.001,
    "list_ttl": 0,
    "account_ttl": 0,
    "stale_ttl": 0,
    "cache_max_entries": 1,
    "response_cache_bytes": 0,
    "cache_timeout": 0.001,
    "cache_backoff": 0,
    "max_body_bytes": 1,
    "max_depth": 1,
    "max_aliases": 1,
    "max_tokens": 1,
}

#: Headers of the incoming request that are always sent upstream: the credentials.
CREDENTIAL_HEADERS = ("Authorization", "Cookie")


@dataclass(frozen=True)
class Settings:
    """Every setting of the gateway; the README's table lists them with their variables.

    `upstream_url` is the REST API root (e.g. `http://127.0.0.1:8001/api`); `None`
    means the embedded reference API, served under `/api` of the gateway itself.
    `cache_url` is `None` (or `memory://`) for the in-process cache, `redis://…`
    for a cache shared by several replicas. `upstream_timeout` bounds a whole
    upstream call, retries included; `upstream_attempt_timeout` (0: none) bounds
    one attempt that a retry may follow.

    A list page is kept for the longer of `list_ttl` and `stale_ttl`: it is served
    while younger than `list_ttl`, and, when upstream fails, while younger than
    `stale_ttl` (so a `stale_ttl` at or below `list_ttl` serves nothing stale).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = DEFAULT_WORKERS
    upstream_url: str | None = None
    upstream_timeout: float = DEFAULT_UPSTREAM_TIMEOUT
    upstream_connect_timeout: float = DEFAULT_UPSTREAM_CONNECT_TIMEOUT
    upstream_max_connections: int = DEFAULT_UPSTREAM_MAX_CONNECTIONS
    upstream_attempt_timeout: float = DEFAULT_UPSTREAM_ATTEMPT_TIMEOUT
    upstream_retries: int = DEFAULT_UPSTREAM_RETRIES
    upstream_retry_backoff: float = DEFAULT_UPSTREAM_RETRY_BACKOFF
    upstream_retry_after_max: float = DEFAULT_UPSTREAM_RETRY_AFTER_MAX
    upstream_breaker_failures: int = DEFAULT_UPSTREAM_BREAKER_FAILURES
    upstream_breaker_cooldown: float = DEFAULT_UPSTREAM_BREAKER_COOLDOWN
    forward_headers: tuple[str, ...] = ()
    cache_url: str | None = None
    list_ttl: float = DEFAULT_LIST_TTL
    account_ttl: float = DEFAULT_ACCOUNT_TTL
    stale_ttl: float = DEFAULT_STALE_TTL
    cache_max_entries: int = DEFAULT_CACHE_MAX_ENTRIES
    response_cache_bytes: int = DEFAULT_RESPONSE_CACHE_BYTES
    single_flight: bool = True
    cache_timeout: float = DEFAULT_CACHE_TIMEOUT
    cache_backoff: float = DEFAULT_CACHE_BACKOFF
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_aliases: int = DEFAULT_MAX_ALIASES
    max_tokens: int = DEFAULT_MAX_TOKENS
    introspection: bool = True
    reference_db: str = DEFAULT_REFERENCE_DB
    log_level: str = DEFAULT_LOG_LEVEL

    def __post_init__(self) -> None:
        for name, low in _LOWER_BOUNDS.items():
            if getattr(self, name) < low:
                raise ValueError(f"setting {name} must be at least {low}")
        if self.workers > 1 and not self.shared_cache:
            # Each worker would invalidate only its own memory: another worker
            # could then serve a list older than the caller's own write.
            raise ValueError(
                "setting workers above 1 needs a shared cache: set cache_url to redis://"
            )

    @property
    def shared_cache(self) -> bool:
        """Whether the cache is shared between processes (Redis), not per process."""
        return (self.cache_url or "").startswith(("redis://", "rediss://"))

    @property
    def upstream_headers(self) -> tuple[str, ...]:
        """The incoming headers forwarded upstream: credentials plus configured ones."""
        return CREDENTIAL_HEADERS + self.forward_headers

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "Settings":
        """Read `GATEWAY_*` variables; raises `ValueError` naming a malformed one."""
        config = Config(environ=environ, env_prefix="GATEWAY_")
        return cls(
            host=config("HOST", default=DEFAULT_HOST),
            port=config("PORT", cast=int, default=DEFAULT_PORT),
            workers=config("WORKERS", cast=int, default=DEFAULT_WORKERS),
            upstream_url=config("UPSTREAM_URL", default=None) or None,
            upstream_timeout=config(
                "UPSTREAM_TIMEOUT", cast=float, default=DEFAULT_UPSTREAM_TIMEOUT
            ),
            upstream_connect_timeout=config(
                "UPSTREAM_CONNECT_TIMEOUT",
                cast=float,
                default=DEFAULT_UPSTREAM_CONNECT_TIMEOUT,
            ),
            upstream_max_connections=config(
                "UPSTREAM_MAX_CONNECTIONS",
                cast=int,
                default=DEFAULT_UPSTREAM_MAX_CONNECTIONS,
            ),
            upstream_attempt_timeout=config(
                "UPSTREAM_ATTEMPT_TIMEOUT",
                cast=float,
                default=DEFAULT_UPSTREAM_ATTEMPT_TIMEOUT,
            ),
            upstream_retries=config(
                "UPSTREAM_RETRIES", cast=int, default=DEFAULT_UPSTREAM_RETRIES
            ),
            upstream_retry_backoff=config(
                "UPSTREAM_RETRY_BACKOFF",
                cast=float,
                default=DEFAULT_UPSTREAM_RETRY_BACKOFF,
            ),
            upstream_retry_after_max=config(
                "UPSTREAM_RETRY_AFTER_MAX",
                cast=float,
                default=DEFAULT_UPSTREAM_RETRY_AFTER_MAX,
            ),
            upstream_breaker_failures=config(
                "UPSTREAM_BREAKER_FAILURES",
                cast=int,
                default=DEFAULT_UPSTREAM_BREAKER_FAILURES,
            ),
            upstream_breaker_cooldown=config(
                "UPSTREAM_BREAKER_COOLDOWN",
                cast=float,
                default=DEFAULT_UPSTREAM_BREAKER_COOLDOWN,
            ),
            forward_headers=_names(config("FORWARD_HEADERS", default="")),
            cache_url=config("CACHE_URL", default=None) or None,
            list_ttl=config("LIST_TTL", cast=float, default=DEFAULT_LIST_TTL),
            account_ttl=config("ACCOUNT_TTL", cast=float, default=DEFAULT_ACCOUNT_TTL),
            stale_ttl=config("STALE_TTL", cast=float, default=DEFAULT_STALE_TTL),
            cache_max_entries=config(
                "CACHE_MAX_ENTRIES", cast=int, default=DEFAULT_CACHE_MAX_ENTRIES
            ),
            response_cache_bytes=config(
                "RESPONSE_CACHE_BYTES", cast=int, default=DEFAULT_RESPONSE_CACHE_BYTES
            ),
            single_flight=config("SINGLE_FLIGHT", cast=bool, default=True),
            cache_timeout=config(
                "CACHE_TIMEOUT", cast=float, default=DEFAULT_CACHE_TIMEOUT
            ),
            cache_backoff=config(
                "CACHE_BACKOFF", cast=float, default=DEFAULT_CACHE_BACKOFF
            ),
            cors_origins=_names(config("CORS_ORIGINS", default="")),
            max_body_bytes=config(
                "MAX_BODY_BYTES", cast=int, default=DEFAULT_MAX_BODY_BYTES
            ),
            max_depth=config("MAX_DEPTH", cast=int, default=DEFAULT_MAX_DEPTH),
            max_aliases=config("MAX_ALIASES", cast=int, default=DEFAULT_MAX_ALIASES),
            max_tokens=config("MAX_TOKENS", cast=int, default=DEFAULT_MAX_TOKENS),
            introspection=config("INTROSPECTION", cast=bool, default=True),
            reference_db=config("REFERENCE_DB", default=DEFAULT_REFERENCE_DB),
            log_level=config("LOG_LEVEL", default=DEFAULT_LOG_LEVEL),
        )


def _names(value: str) -> tuple[str, ...]:
    return tuple(name for name in CommaSeparatedStrings(value) if name)

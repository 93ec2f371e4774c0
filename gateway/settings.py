"""The gateway's configuration: one frozen value, read from `GATEWAY_*` variables once.

Each setting is declared once, as a field of `Settings` with its type, default,
bounds and help (`_setting`); the environment reading, the CLI flags' help, the
README's table (`settings_table`) and the settings tests are all derived from
those fields. Nothing else in the package reads the environment: `create_app` and
the CLI pass these values down. A bad value fails at start-up with a
`SettingError` that names its variable and the values it accepts.
"""

import dataclasses
import math
import types
from collections.abc import Callable, Mapping
from typing import Any, Union, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

DEFAULT_PORT = 8000
DEFAULT_REFERENCE_DB = "reference-api.sqlite3"
ENV_PREFIX = "GATEWAY_"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
CACHE_SCHEMES = ("memory", "redis", "rediss")
OTLP_SCHEMES = ("http", "https")
#: Nesting within `__schema`/`__type` that the standard introspection queries need.
INTROSPECTION_DEPTH = 14
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")

#: Headers of the incoming request that are always sent upstream: the credentials.
CREDENTIAL_HEADERS = ("Authorization", "Cookie")


class SettingError(ValueError):
    """A setting's value is malformed or out of bounds; names its variable."""

    def __init__(self, name: str, value: object, accepted: str) -> None:
        self.variable = variable(name)
        self.value = value
        self.accepted = accepted
        super().__init__(f"{self.variable}={value!s}: accepted values are {accepted}")


@dataclasses.dataclass(frozen=True, slots=True)
class Spec:
    """What a setting's field declares besides its type and default."""

    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ()  # a URL's accepted schemes
    shown_default: str | None = None  # the README's default, where repr misleads


def _setting(
    default: Any,
    help: str,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] = (),
    schemes: tuple[str, ...] = (),
    shown_default: str | None = None,
) -> Any:
    """Declare a `Settings` field: its default and the `Spec` it is read by."""
    spec = Spec(help, low, high, choices, schemes, shown_default)
    return dataclasses.field(default=default, metadata={"spec": spec})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every setting of the gateway; the README's table lists them with their variables.

    A list page is kept for the longer of `list_ttl` and `stale_ttl`: it is served
    while younger than `list_ttl`, and, when upstream fails, while younger than
    `stale_ttl` (so a `stale_ttl` at or below `list_ttl` serves nothing stale).
    """

    host: str = _setting("127.0.0.1", "interface to listen on")
    port: int = _setting(DEFAULT_PORT, "port to listen on", low=0)
    workers: int = _setting(
        1,
        "uvicorn worker processes; above 1 needs a Redis `GATEWAY_CACHE_URL`, so "
        "that a write on one worker invalidates the lists of all",
        low=1,
    )
    upstream_url: str | None = _setting(
        None,
        "REST API root, e.g. `http://127.0.0.1:8001/api`; unset: the reference API "
        "served under `/api` of the gateway itself",
        shown_default="embedded",
    )
    upstream_timeout: float = _setting(
        1.0,
        "seconds an upstream call may take in all, retries and the waits between "
        "them included. A query makes at most two calls one after the other (its "
        "account, then its lists): with this default every query is answered "
        "within 2.5 s, even while upstream hangs",
        low=0.001,
    )
    upstream_connect_timeout: float = _setting(
        3.0,
        "seconds to connect to upstream (each attempt is also bounded by "
        "`GATEWAY_UPSTREAM_ATTEMPT_TIMEOUT` and the call by "
        "`GATEWAY_UPSTREAM_TIMEOUT`)",
        low=0.001,
    )
    upstream_max_connections: int = _setting(
        100, "upstream connection pool size", low=1
    )
    upstream_attempt_timeout: float = _setting(
        0.5,
        "seconds one attempt may take when a retry may follow it (the last one gets "
        "all that remains of `GATEWAY_UPSTREAM_TIMEOUT`): an answer stuck in the "
        "tail is retried, and a hanging upstream shows as timeouts, which the "
        "breaker counts, halfway to the deadline; `0`: each attempt may use all "
        "that remains",
        low=0,
    )
    upstream_retries: int = _setting(
        2,
        "extra attempts of a GET after a refused or reset connection, a timeout, or "
        "a 502/503/504; `0` turns retries off. POST and DELETE are never retried",
        low=0,
    )
    upstream_retry_backoff: float = _setting(
        0.05,
        "seconds: before retry n (from 0) a GET waits a random time up to this "
        "times 2ⁿ (full jitter)",
        low=0,
    )
    upstream_retry_after_max: float = _setting(
        1.0,
        "a GET answered 429 with a Retry-After of at most this many seconds waits "
        "it out and is retried once; longer ones are `RATE_LIMITED` at once",
        low=0,
    )
    upstream_breaker: bool = _setting(
        True,
        "`false` turns the circuit breaker off: every attempt goes upstream. While "
        "open, the breaker answers at once, with the caller's own stale data where "
        "`GATEWAY_STALE_TTL` allows, else `UPSTREAM_UNAVAILABLE`",
    )
    upstream_breaker_window: float = _setting(
        10.0,
        "seconds of recent upstream attempts whose failure rate opens the breaker "
        "(failed: unreachable, timed out, or 5xx; any other answer, 4xx and 429 "
        "included, proves upstream alive)",
        low=0.001,
    )
    upstream_breaker_min_calls: int = _setting(
        10,
        "attempts within the window before their failure rate may open the "
        "breaker, so that a few failures at low traffic do not",
        low=1,
    )
    upstream_breaker_failure_rate: int = _setting(
        50,
        "percentage of failed attempts within the window that opens the breaker; "
        "half-open, the same share of failed probes opens it again",
        low=1,
        high=100,
    )
    upstream_breaker_probes: int = _setting(
        3,
        "attempts a half-open breaker lets through once its open time is over; it "
        "closes as soon as enough are answered to keep their failure rate under "
        "the threshold",
        low=1,
    )
    upstream_breaker_open_time: float = _setting(
        0.2,
        "seconds the breaker stays open the first time; opened n times in a row "
        "(its probes failed), n times this, up to the max open time below. The "
        "count starts again once the breaker stayed closed for a whole window",
        low=0.001,
    )
    upstream_breaker_max_open_time: float = _setting(
        0.5,
        "longest the breaker stays open at a time: short, so that the first answer "
        "after an outage comes within a second (this, then a probe's round trip), "
        "while a dead upstream still gets only `GATEWAY_UPSTREAM_BREAKER_PROBES` "
        "attempts per open time from each process",
        low=0.001,
    )
    forward_headers: tuple[str, ...] = _setting(
        (),
        "comma-separated request headers forwarded upstream besides `Authorization` "
        "and `Cookie` (they become part of the account cache key)",
    )
    cache_url: str | None = _setting(
        None,
        "`memory://`, or `redis://host:port/db` to share the cache between replicas",
        schemes=CACHE_SCHEMES,
        shown_default="memory://",
    )
    list_ttl: float = _setting(
        60.0, "seconds a list page is served from cache; `0` turns that off", low=0
    )
    account_ttl: float = _setting(
        30.0,
        "seconds credentials → account is cached (under a SHA-256 of the credentials)",
        low=0,
    )
    stale_ttl: float = _setting(
        300.0,
        "when upstream fails (unreachable, timeout, 5xx, 429), an account's own list "
        "page fetched at most this many seconds ago is served instead of an error, "
        "named in the response's `extensions.stale`; `0` turns that off. Pages are "
        "kept for the longer of this and `GATEWAY_LIST_TTL`, so it only matters "
        "above `GATEWAY_LIST_TTL`",
        low=0,
    )
    cache_max_entries: int = _setting(
        10_000,
        "entries the in-memory cache holds before it evicts the oldest (pages kept "
        "for `GATEWAY_STALE_TTL` count too; a 20-item page takes 12 to 16 KB)",
        low=1,
    )
    response_cache_bytes: int = _setting(
        32 * 1024 * 1024,
        "bytes of whole responses each process keeps for repeated identical queries "
        "by the same credentials, served only while the lists they hold are current "
        "(0 turns it off)",
        low=0,
    )
    single_flight: bool = _setting(
        True,
        "identical upstream loads, and identical queries by the same credentials, "
        "in flight at the same moment share one run (`false`: each runs its own)",
    )
    planned_execution: bool = _setting(
        True,
        "complete plain scalar and enum fields from plans compiled once per schema "
        "(list items by code compiled once per selection) instead of graphql-core's "
        "per-field walk, call resolvers without strawberry's wrapper where it "
        "changes nothing, and run an operation strawberry has already parsed and "
        "validated without its extension machinery (`false`: graphql-core and "
        "strawberry alone)",
    )
    persisted_queries: bool = _setting(
        True,
        "automatic persisted queries (Apollo's protocol, over POST and GET); "
        "`false` answers a query hash `PERSISTED_QUERY_NOT_SUPPORTED`",
    )
    persisted_queries_ttl: float = _setting(
        24 * 60 * 60,
        "seconds a registered persisted query is kept (in Redis when "
        "`GATEWAY_CACHE_URL` is Redis, shared by replicas; else in process)",
        low=1,
    )
    persisted_queries_max_entries: int = _setting(
        1_000,
        "persisted queries each process keeps on the memory cache before it evicts "
        "the oldest registration",
        low=1,
    )
    trusted_documents: str | None = _setting(
        None,
        "path of a manifest in Apollo's persisted-query manifest format "
        "(`@apollo/generate-persisted-query-manifest`): only its operations run, "
        "by id or by exact text; unset: any operation runs",
        shown_default="none",
    )
    cache_timeout: float = _setting(
        0.5,
        "seconds one attempt of a Redis command may take (to connect, then to be "
        "answered); a failed attempt is retried once on a fresh connection before "
        "Redis counts as failed",
        low=0.001,
    )
    cache_backoff: float = _setting(
        5.0,
        "seconds the gateway skips a failed Redis (serving from upstream) before "
        "trying it again",
        low=0,
    )
    cache_write_timeout: float = _setting(
        1.0,
        "seconds a mutation keeps trying to record its list invalidation in Redis "
        "(back-off or not) before it answers with an `INVALIDATION_PENDING` warning "
        "and leaves the invalidation to be replayed",
        low=0.001,
    )
    otlp_endpoint: str | None = _setting(
        None,
        "OpenTelemetry collector (OTLP over HTTP) to send traces to, e.g. "
        "`http://127.0.0.1:4318` (spans go to its `/v1/traces`); unset: no tracing",
        schemes=OTLP_SCHEMES,
        shown_default="off",
    )
    cors_origins: tuple[str, ...] = _setting(
        (), "comma-separated origins allowed by CORS"
    )
    max_body_bytes: int = _setting(100_000, "largest request body (413 beyond)", low=1)
    max_depth: int = _setting(
        15,
        "deepest query accepted: fields with subfields nested in one another, "
        "introspection left out (see the next)",
        low=1,
    )
    max_introspection_depth: int = _setting(
        INTROSPECTION_DEPTH,
        "deepest nesting of fields within `__schema` or `__type` (`ofType` chains "
        "included); GraphiQL's and graphql-core's introspection queries need 14. "
        "Besides, the schema's lists (`fields`, `interfaces`, `possibleTypes`, "
        "`inputFields`) may nest 2 deep, as graphql-js and Apollo Router allow",
        low=1,
    )
    max_aliases: int = _setting(30, "most aliases in one query", low=1)
    max_upstream_calls: int = _setting(
        50,
        "most calls to the account service one operation may make, by an estimate "
        "made before any: the account 1, a list page 1, a connection of `first` or "
        "`last` n items ⌈n/20⌉ + 2 (7 for 100), each aliased copy again; beyond it, "
        "`BAD_USER_INPUT` with `reason: COST_LIMIT`",
        low=1,
    )
    max_tokens: int = _setting(2_000, "most tokens in one query", low=1)
    introspection: bool = _setting(True, "`false` refuses introspection queries")
    rate_limit: float = _setting(
        0.0,
        "requests per second that one caller's credentials may send on average "
        "(a token bucket, shared by the replicas through a Redis "
        "`GATEWAY_CACHE_URL`); beyond it, `RATE_LIMITED` with HTTP 429 before "
        "upstream is asked. `0` turns rate limiting off",
        low=0,
    )
    rate_limit_burst: int = _setting(
        20,
        "requests one caller may send at once, above `GATEWAY_RATE_LIMIT`: the "
        "size of its bucket",
        low=1,
    )
    graphiql_assets_url: str | None = _setting(
        None,
        "where GraphiQL's page loads its pinned scripts and styles from, a CDN laid "
        "out as `<package>@<version>/<file>` such as `https://unpkg.com`; unset: the "
        "gateway's own copies under `/graphiql/assets`, which need no internet",
        schemes=("http", "https"),
        shown_default="own copies",
    )
    reference_db: str = _setting(
        DEFAULT_REFERENCE_DB, "SQLite file of the embedded reference API"
    )
    log_level: str = _setting(
        "info",
        "level of uvicorn's and the gateway's logs; at `warning` and above there "
        "are no access lines",
        choices=LOG_LEVELS,
    )

    def __post_init__(self) -> None:
        for declared in dataclasses.fields(self):
            _check(declared.name, getattr(self, declared.name), _spec(declared))
        if self.workers > 1 and not self.shared_cache:
            # Each worker would invalidate only its own memory: another worker
            # could then serve a list older than the caller's own write.
            raise SettingError(
                "workers",
                self.workers,
                "1 unless GATEWAY_CACHE_URL is a shared redis:// cache",
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
        """Read every `GATEWAY_*` variable that is set; raises `SettingError`."""
        hints = get_type_hints(cls)
        values = {
            declared.name: _parse(declared.name, environ[key], hints[declared.name])
            for declared in dataclasses.fields(cls)
            if (key := variable(declared.name)) in environ
        }
        return cls(**values)


def variable(name: str) -> str:
    """The environment variable of the setting `name`."""
    return ENV_PREFIX + name.upper()


def help_for(name: str) -> str:
    """The help text of the setting `name` (for the CLI's flags)."""
    declared = {field.name: field for field in dataclasses.fields(Settings)}[name]
    return f"{_spec(declared).help} ({variable(name)})"


def settings_table() -> str:
    """The README's table of settings, as Markdown rows."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for declared in dataclasses.fields(Settings):
        spec = _spec(declared)
        default = spec.shown_default or _shown(declared.default)
        rows.append(f"| `{variable(declared.name)}` | `{default}` | {spec.help} |")
    return "\n".join(rows) + "\n"


def _spec(declared: dataclasses.Field[Any]) -> Spec:
    spec: Spec = declared.metadata["spec"]
    return spec


def _shown(default: object) -> str:
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    if default == ():
        return "none"
    return str(default)


def _parse(name: str, text: str, kind: Any) -> Any:
    """`text` as a value of the field's annotated type."""
    if kind is bool:
        return _parse_bool(name, text)
    if kind in (int, float):
        return _parse_number(name, text, kind)
    if kind == tuple[str, ...]:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if _optional(kind):
        return text.strip() or None
    return text


def _parse_bool(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in _TRUE + _FALSE:
        raise SettingError(name, text, "true or false")
    return lowered in _TRUE


def _parse_number(name: str, text: str, kind: Callable[[str], Any]) -> Any:
    try:
        value = kind(text.strip())
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise SettingError(name, text, noun) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise SettingError(name, text, "a finite number")
    return value


def _optional(kind: Any) -> bool:
    return get_origin(kind) in (Union, types.UnionType) and type(None) in get_args(kind)


def _check(name: str, value: Any, spec: Spec) -> None:
    """Refuse a value outside the field's bounds or choices, or a URL of another
    scheme."""
    if spec.high is not None and spec.low is not None:
        if not spec.low <= value <= spec.high:
            accepted = f"numbers from {_shown(spec.low)} to {_shown(spec.high)}"
            raise SettingError(name, value, accepted)
    elif spec.low is not None and value < spec.low:
        raise SettingError(name, value, f"numbers from {_shown(spec.low)} up")
    if spec.choices and value not in spec.choices:
        raise SettingError(name, value, ", ".join(spec.choices))
    if (
        spec.schemes
        and value is not None
        and urlsplit(value).scheme not in spec.schemes
    ):
        raise SettingError(name, value, ", ".join(f"{s}://…" for s in spec.schemes))

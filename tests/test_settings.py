"""Settings: read once from `GATEWAY_*`, refusing bad values by name."""

import dataclasses
import re
from pathlib import Path

import pytest

from gateway.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_environ({})
    assert settings == Settings()
    assert settings.upstream_url is None and settings.cache_url is None
    assert settings.upstream_headers == ("Authorization", "Cookie")


def test_every_setting_is_read_from_its_variable() -> None:
    environ = {
        "GATEWAY_UPSTREAM_URL": "http://api.example/api",
        "GATEWAY_CACHE_URL": "redis://cache:6379/1",
        "GATEWAY_LIST_TTL": "0",
        "GATEWAY_FORWARD_HEADERS": "Accept-Language, X-Tenant",
        "GATEWAY_CORS_ORIGINS": "https://a.example,https://b.example",
        "GATEWAY_INTROSPECTION": "false",
        "GATEWAY_WORKERS": "4",
        "GATEWAY_STALE_TTL": "0",
        "GATEWAY_CACHE_TIMEOUT": "0.25",
        "GATEWAY_CACHE_BACKOFF": "1.5",
        "GATEWAY_UPSTREAM_RETRIES": "0",
        "GATEWAY_UPSTREAM_BREAKER_FAILURES": "0",
        "GATEWAY_UPSTREAM_BREAKER_COOLDOWN": "0.5",
        "GATEWAY_UPSTREAM_RETRY_BACKOFF": "0.2",
        "GATEWAY_UPSTREAM_RETRY_AFTER_MAX": "3",
        "GATEWAY_UPSTREAM_ATTEMPT_TIMEOUT": "1.5",
        "GATEWAY_RESPONSE_CACHE_BYTES": "0",
        "GATEWAY_SINGLE_FLIGHT": "false",
    }
    settings = Settings.from_environ(environ)
    assert settings.upstream_url == "http://api.example/api"
    assert settings.cache_url == "redis://cache:6379/1"
    assert settings.list_ttl == 0
    assert settings.upstream_headers == (
        "Authorization",
        "Cookie",
        "Accept-Language",
        "X-Tenant",
    )
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.introspection is False
    assert settings.workers == 4
    assert (settings.stale_ttl, settings.cache_timeout, settings.cache_backoff) == (
        0,
        0.25,
        1.5,
    )
    assert (settings.upstream_retries, settings.upstream_breaker_failures) == (0, 0)
    assert settings.upstream_breaker_cooldown == 0.5
    assert settings.upstream_retry_backoff == 0.2
    assert settings.upstream_retry_after_max == 3
    assert settings.upstream_attempt_timeout == 1.5
    assert settings.response_cache_bytes == 0
    assert settings.single_flight is False


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GATEWAY_PORT", "eighty"),
        ("GATEWAY_UPSTREAM_TIMEOUT", "0"),
        ("GATEWAY_WORKERS", "0"),
        ("GATEWAY_CACHE_MAX_ENTRIES", "-1"),
        ("GATEWAY_RESPONSE_CACHE_BYTES", "-1"),
        ("GATEWAY_INTROSPECTION", "maybe"),
        ("GATEWAY_STALE_TTL", "-1"),
        ("GATEWAY_CACHE_TIMEOUT", "0"),
        ("GATEWAY_CACHE_BACKOFF", "-1"),
        ("GATEWAY_UPSTREAM_RETRIES", "-1"),
        ("GATEWAY_UPSTREAM_BREAKER_COOLDOWN", "0"),
    ],
)
def test_bad_values_fail_naming_the_setting(variable: str, value: str) -> None:
    name = variable.removeprefix("GATEWAY_")
    with pytest.raises(ValueError, match=f"({variable}|{name.lower()})"):
        Settings.from_environ({variable: value})


def test_the_readme_documents_every_setting() -> None:
    documented = set(re.findall(r"`GATEWAY_([A-Z_]+)`", README.read_text()))
    fields = {field.name.upper() for field in dataclasses.fields(Settings)}
    assert documented == fields


def test_several_workers_need_a_shared_cache() -> None:
    with pytest.raises(ValueError, match="workers above 1 needs a shared cache"):
        Settings(workers=2)
    with pytest.raises(ValueError, match="shared cache"):
        Settings(workers=2, cache_url="memory://")
    assert Settings(workers=2, cache_url="redis://cache:6379/0").workers == 2

"""Settings: each declared once, read from its `GATEWAY_*` variable, refused by name.

The cases are derived from the declaration itself (`dataclasses.fields(Settings)`),
so a setting added there is read, bounded and documented by these tests at once.
"""

import dataclasses
import math
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.settings import SettingError, Settings, settings_table, variable

README = Path(__file__).resolve().parent.parent / "README.md"
FIELDS = dataclasses.fields(Settings)
HINTS = get_type_hints(Settings)


def _other_value(declared: dataclasses.Field[Any]) -> tuple[str, Any]:
    """A valid value unlike the default, as the variable's text and as parsed."""
    spec, kind, default = (
        declared.metadata["spec"],
        HINTS[declared.name],
        declared.default,
    )
    if spec.choices:
        choice = next(c for c in spec.choices if c != default)
        return choice, choice
    if spec.schemes:
        url = f"{spec.schemes[-1]}://cache.example:6380/2"
        return url, url
    if kind is bool:
        return str(not default).lower(), not default
    if kind is int:
        return str(default + 3), default + 3
    if kind is float:
        return str(default + 0.25), default + 0.25
    if kind == tuple[str, ...]:
        return " X-One, X-Two ,", ("X-One", "X-Two")
    return "some-value", "some-value"


def _bad_values(declared: dataclasses.Field[Any]) -> list[str]:
    """Texts the setting must refuse."""
    spec, kind = declared.metadata["spec"], HINTS[declared.name]
    bad = []
    if kind in (int, float):
        bad += ["eleven", "nan" if kind is float else "1.5"]
    if kind is bool:
        bad.append("maybe")
    if spec.low is not None:
        below = spec.low - 1 if kind is int else spec.low / 2 if spec.low else -0.5
        bad.append(str(math.floor(below) if kind is int else below))
    if spec.high is not None:
        bad.append(str(spec.high + 1))
    if spec.choices:
        bad.append("bogus")
    if spec.schemes:
        bad += ["foo://x", "localhost:6379"]
    return bad


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_environ({})
    assert settings == Settings()
    assert settings.upstream_url is None and settings.cache_url is None
    assert settings.upstream_headers == ("Authorization", "Cookie")


@pytest.mark.parametrize("declared", FIELDS, ids=lambda field: variable(field.name))
def test_every_setting_is_read_from_its_variable(
    declared: dataclasses.Field[Any],
) -> None:
    text, expected = _other_value(declared)
    assert getattr(Settings(), declared.name) != expected
    environ = {variable(declared.name): text}
    if declared.name == "workers":
        environ[variable("cache_url")] = "redis://cache:6379/0"
    assert getattr(Settings.from_environ(environ), declared.name) == expected


BAD = [
    (variable(declared.name), text)
    for declared in FIELDS
    for text in _bad_values(declared)
]


@pytest.mark.parametrize(("name", "text"), BAD)
def test_bad_values_fail_naming_the_variable_and_what_it_accepts(
    name: str, text: str
) -> None:
    with pytest.raises(SettingError) as raised:
        Settings.from_environ({name: text})
    assert raised.value.variable == name
    assert str(raised.value).startswith(f"{name}=")
    assert "accepted values are" in str(raised.value)


def test_every_numeric_or_choice_setting_has_a_bad_value_tested() -> None:
    tested = {name for name, _ in BAD}
    bounded = {
        variable(field.name)
        for field in FIELDS
        if HINTS[field.name] in (int, float, bool)
        or field.metadata["spec"].choices
        or field.metadata["spec"].schemes
    }
    assert bounded <= tested


def test_the_readme_table_is_the_declaration() -> None:
    assert settings_table() in README.read_text()


def test_the_cli_prints_the_table() -> None:
    result = CliRunner().invoke(cli, ["settings"])
    assert result.exit_code == 0
    assert result.output == settings_table()


def test_list_values_are_comma_separated_names() -> None:
    environ = {variable("forward_headers"): "Accept-Language, X-Tenant"}
    settings = Settings.from_environ(environ)
    assert settings.upstream_headers == (
        "Authorization",
        "Cookie",
        "Accept-Language",
        "X-Tenant",
    )


def test_several_workers_need_a_shared_cache() -> None:
    for cache_url in (None, "memory://"):
        with pytest.raises(SettingError, match="GATEWAY_CACHE_URL") as raised:
            Settings(workers=2, cache_url=cache_url)
        assert raised.value.variable == "GATEWAY_WORKERS"
    assert Settings(workers=2, cache_url="redis://cache:6379/0").workers == 2


@pytest.mark.parametrize(
    "environ",
    [
        {"GATEWAY_LIST_TTL": "soon"},
        {"GATEWAY_CACHE_URL": "foo://x"},
        {"GATEWAY_LOG_LEVEL": "bogus"},
        {"GATEWAY_WORKERS": "2"},
    ],
)
def test_a_bad_setting_stops_serve_with_status_2_and_no_traceback(
    environ: dict[str, str],
) -> None:
    result = CliRunner().invoke(cli, ["serve"], env=environ)
    assert result.exit_code == 2, result.output
    (name,) = environ if "WORKERS" not in str(environ) else ("GATEWAY_WORKERS",)
    assert f"Error: {name}=" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)

"""The code stays typed, linted and formatted: mypy --strict and ruff, as configured."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_mypy_strict() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout


def test_ruff_lint() -> None:
    result = run("ruff", "check", "gateway", "harness", "tests", "scripts")
    assert result.returncode == 0, result.stdout


def test_ruff_format() -> None:
    result = run("ruff", "format", "--check", "gateway", "harness", "tests", "scripts")
    assert result.returncode == 0, result.stdout

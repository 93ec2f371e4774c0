"""The code stays typed, linted and formatted: mypy --strict and ruff, as configured.

bench/ is held to the same standard as the product: typed, linted, formatted, no
import from tests/ and no path of one machine.
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("gateway", "harness", "bench", "tests", "scripts")
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|root|home|Users)/")
TEST_IMPORT = re.compile(r"^\s*(?:from|import) tests\b", re.MULTILINE)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_mypy_strict() -> None:
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert set(mypy["files"]) == {
        "gateway",
        "harness",
        "bench",
        "scripts/vendor-graphiql",
    }
    result = run("mypy")
    assert result.returncode == 0, result.stdout


def test_ruff_lint() -> None:
    result = run("ruff", "check", *CHECKED)
    assert result.returncode == 0, result.stdout


def test_ruff_format() -> None:
    result = run("ruff", "format", "--check", *CHECKED)
    assert result.returncode == 0, result.stdout


def test_bench_imports_no_test_module_and_names_no_machine_path() -> None:
    files = [
        path
        for path in (ROOT / "bench").rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".md", ".lua", ""}
        and not {".work", "results"} & set(path.relative_to(ROOT / "bench").parts)
    ]
    assert ROOT / "bench" / "run" in files
    for path in files:
        text = path.read_text()
        assert not MACHINE_PATH.search(text), path
        assert not TEST_IMPORT.search(text), path

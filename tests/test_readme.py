"""What the README tells a newcomer holds: the Python it needs, how to reset data."""

import asyncio
import os
import shutil
import tomllib
from pathlib import Path

from gateway.reference_api import ALICE, INITIAL_ENTRIES
from gateway.reference_api.store import Store
from gateway.settings import DEFAULT_REFERENCE_DB

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
FAVORITES = (ALICE.id, "favorites", "movie")


def test_the_python_it_names_is_the_one_pyproject_requires() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    required = pyproject["project"]["requires-python"]
    assert required.startswith(">=")
    assert f"Python ≥ {required.removeprefix('>=')}" in README


async def alice_favorites(folder: Path) -> list[int]:
    store = Store(str(folder / DEFAULT_REFERENCE_DB))
    page = await store.page(*FAVORITES, order="asc", offset=0, limit=100)
    store.close()
    return [entry.media_id for entry in page.entries]


async def test_its_reset_command_brings_the_demo_data_back_after_a_crash(
    tmp_path: Path,
) -> None:
    (command,) = [
        line for line in README.splitlines() if line.startswith("rm -f reference-api")
    ]
    live, left = tmp_path / "live", tmp_path / "left"
    live.mkdir()
    store = Store(str(live / DEFAULT_REFERENCE_DB))
    await store.add(*FAVORITES, 603)
    # What a killed gateway leaves: the write is still in the write-ahead log.
    shutil.copytree(live, left)
    store.close()
    assert f"{DEFAULT_REFERENCE_DB}-wal" in os.listdir(left)

    reset = await asyncio.create_subprocess_exec("sh", "-c", command, cwd=left)
    assert await reset.wait() == 0
    assert os.listdir(left) == []
    seeded = [
        e.media_id
        for e in INITIAL_ENTRIES
        if (e.account_id, e.list_name, e.media_type) == FAVORITES
    ]
    assert await alice_favorites(left) == seeded

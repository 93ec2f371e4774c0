"""Node.js checks of the gateway: npm packages per folder, and node subprocesses.

Each folder under tests/ with a package.json and package-lock.json pins the
JavaScript tools its tests run (Apollo Federation, Apollo Client).
"""

import asyncio
import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

NPM_CI_TIMEOUT = 300.0
STOP_TIMEOUT = 10.0


def node_with_packages(folder: Path) -> str:
    """The `node` executable, with `folder`'s npm dependencies installed.

    Without node/npm the test skips, except on CI (`CI=true`), where it fails.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        message = f"node and npm are needed for the tests of {folder.name}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # npm writes node_modules/.package-lock.json last: without it (or when the
    # lockfile changed since) the install is missing, partial or stale.
    installed = folder / "node_modules" / ".package-lock.json"
    lockfile = folder / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lockfile.stat().st_mtime:
        try:
            done = subprocess.run(
                [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=NPM_CI_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"npm ci in {folder} took over {NPM_CI_TIMEOUT}s")
        if done.returncode != 0:
            pytest.fail(f"npm ci in {folder} failed:\n{done.stdout}\n{done.stderr}")
    return node


def node_env() -> dict[str, str]:
    """The environment for node subprocesses: loopback only, no Apollo telemetry."""
    no_proxy = ",".join(
        filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"])
    )
    return {
        **os.environ,
        "NO_PROXY": no_proxy,
        "no_proxy": no_proxy,
        "APOLLO_TELEMETRY_DISABLED": "true",
    }


async def run_node(
    node: str, script: Path, *args: str, limit: float
) -> tuple[int, bytes, bytes]:
    """Run `script` with `args` in its folder to its end, within `limit` seconds:
    its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        node,
        str(script),
        *args,
        cwd=script.parent,
        env=node_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), limit)
    finally:
        await stop(process)
    assert process.returncode is not None
    return process.returncode, out, err


async def stop(process: asyncio.subprocess.Process) -> None:
    """End `process`: close its stdin, SIGTERM it, and SIGKILL it if it lingers."""
    if process.stdin is not None:
        process.stdin.close()
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()

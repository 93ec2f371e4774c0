"""clairvoyance, a tool no one here wrote, rebuilds nothing of a closed schema.

It brute-forces a wordlist of field and argument names and reads graphql-core's
errors: their suggestions, the types they name, and which words draw no error.
Run against the live gateway with introspection off, anonymously and with a
token, what it recovers must be the root types alone (which `__typename` tells
anyone). On an open schema's errors it rebuilds most of the schema (README).
"""

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

from gateway.settings import Settings
from tests.conftest import ALICE, Upstream, running_gateway

#: What any client learns from `{ __typename }` and `mutation { __typename }`.
ROOT_TYPES = {"Query", "Mutation"}
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}
#: clairvoyance's own starting document.
ROOT = "query { FUZZ }"
#: Only a guard against a hang: on the closed schema it gives up within seconds.
RUN_LIMIT = 600


async def clairvoyance(
    url: str, headers: dict[str, str], document: str, output: Path
) -> None:
    """Run the clairvoyance CLI at `url` from `document` (FUZZ marks where its
    words go); the schema it rebuilt, if any, lands in `output`."""
    executable = shutil.which("clairvoyance", path=str(Path(sys.executable).parent))
    assert executable, "clairvoyance is in the test extras"
    options = [
        arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")
    ]
    process = await asyncio.create_subprocess_exec(
        executable,
        url,
        *options,
        "-d",
        document,
        "-o",
        str(output),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.wait_for(process.wait(), RUN_LIMIT)


def recovered_types(output: Path) -> dict[str, set[str]]:
    """Each type clairvoyance wrote, with its fields; none if it wrote nothing."""
    if not output.exists():
        return {}
    schema = json.loads(output.read_text())["data"]["__schema"]
    return {
        kind["name"]: {field["name"] for field in kind.get("fields") or ()}
        for kind in schema["types"]
        if kind["name"] not in BUILT_IN and not kind["name"].startswith("__")
    }


@pytest.mark.parametrize(
    ("headers", "document"),
    [
        ({}, ROOT),
        (ALICE, ROOT),
        # Told where the data is, it learns no more of what lies there.
        (ALICE, "query { account { FUZZ } }"),
    ],
    ids=["anonymous", "token", "token-from-account"],
)
async def test_clairvoyance_recovers_nothing_but_the_root_types(
    headers: dict[str, str], document: str, upstream: Upstream, tmp_path: Path
) -> None:
    settings = Settings(upstream_url=upstream.url, introspection=False)
    output = tmp_path / "schema.json"
    async with running_gateway(settings) as server:
        await clairvoyance(f"{server.url}/graphql", headers, document, output)
    recovered = recovered_types(output)
    assert set(recovered) <= ROOT_TYPES
    assert all(fields == set() for fields in recovered.values())

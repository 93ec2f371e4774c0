"""The `limit` row: a raw ASGI app answering every request with the same bytes.

It serves the gateway's own warm `lists` response (captured from the gateway's
`lists` cell of the same run) under the gateway's uvicorn configuration (uvloop,
httptools, no access log), so the row is what this server stack can do for a
response of that size at all, and gateway ÷ limit is the share of it the gateway
reaches.

    python bench/limit.py --port PORT --body FILE
"""

from __future__ import annotations

import argparse
import json
import urllib.request
from pathlib import Path
from typing import Any

import uvicorn

#: loadgen's lists.lua query, as one line (the body the `lists` scenario POSTs).
LISTS_QUERY = (
    "{ account { id"
    " favorites(mediaType: MOVIE) { page totalResults results "
    "{ id title releaseDate rating } }"
    " watchlist(mediaType: TV) { page totalResults results "
    "{ id title releaseDate rating } }"
    " rated(mediaType: MOVIE) { page totalResults results "
    "{ id title releaseDate rating } }"
    " } }"
)


def capture(url: str, path: Path) -> None:
    """POST the lists query to the running gateway at `url`; keep its body."""
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": LISTS_QUERY}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": "Bearer alice-token",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        path.write_bytes(response.read())


def app_for(body: bytes) -> Any:
    """An ASGI app that reads the request body and answers `body`, nothing else."""
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    """Serve the body in `--body` on 127.0.0.1:`--port`, as `gateway serve` would."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True)
    args = parser.parse_args()
    app = app_for(args.body.read_bytes())
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        lifespan="off",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()

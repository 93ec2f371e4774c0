"""Opt-in test controls: injected faults and a count of calls per route.

Tests in the same process hold the `Faults` and `Calls` objects given to
`create_app` and change them directly; out-of-process tests use the JSON routes
from `control_routes` (mounted only with `create_app(control=True)`). Neither is
part of the documented API.
"""

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .errors import error_response


@dataclass
class Faults:
    """Faults applied to every documented route until cleared.

    `delay` waits that many seconds before answering (cut short if the client
    disconnects). `status` forces that status with its documented error body
    (e.g. `{"message": "Not found"}` for 404, the bare string for 429);
    `body` replaces the body with raw text, with `status` or 200. `headers` are
    added to every documented response, e.g. `{"Retry-After": "7"}`. `times`
    limits them all to the next that many requests, after which the API answers
    normally again (a burst of 503s, one slow answer); None means until cleared.
    """

    delay: float = 0.0
    status: int | None = None
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None

    @classmethod
    def from_json(cls, data: object) -> "Faults":
        """Faults from a JSON object of these fields; raises ValueError if malformed."""
        if not isinstance(data, dict) or not set(data) <= {*cls.__dataclass_fields__}:
            raise ValueError(
                "expected an object with delay, status, body, headers, times"
            )
        faults = cls(**data)
        if not faults._well_typed():
            raise ValueError(
                "expected delay >= 0, status 100-599, body and headers text, times >= 0"
            )
        return faults

    def assign(self, other: "Faults") -> None:
        """Take every field of `other`, keeping this (shared) object."""
        self.delay, self.status, self.body = other.delay, other.status, other.body
        self.headers = dict(other.headers)
        self.times = other.times

    def clear(self) -> None:
        """Back to no faults at all."""
        self.assign(Faults())

    def take(self) -> bool:
        """Whether the faults apply to this request; counts it against `times`."""
        if self.times is None:
            return True
        if self.times == 0:
            return False
        self.times -= 1
        return True

    def forced_response(self) -> Response | None:
        """The response that `status`/`body` force, or None to answer normally."""
        if self.body is not None:
            return Response(
                self.body, self.status or 200, media_type="application/json"
            )
        if self.status is not None:
            return error_response(self.status)
        return None

    def _well_typed(self) -> bool:
        delay, status, headers = self.delay, self.status, self.headers
        return (
            isinstance(delay, int | float)
            and not isinstance(delay, bool)
            and delay >= 0
            and (status is None or (type(status) is int and 100 <= status <= 599))
            and (self.body is None or isinstance(self.body, str))
            and isinstance(headers, dict)
            and all(isinstance(v, str) for v in (*headers, *headers.values()))
            and (self.times is None or (type(self.times) is int and self.times >= 0))
        )


class Calls:
    """How many requests each documented route received, by "METHOD template".

    Keys are e.g. "GET /account", "GET /account/{account_id}/{list}/{media}",
    "POST /account/{account_id}/favorite", "POST /{media_type}/{media_id}/rating".
    Every request reaching a documented route counts, faulted or rate-limited too.
    """

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def record(self, key: str) -> None:
        self._counts[key] += 1

    def count(self, key: str) -> int:
        """Requests to `key` since the last reset."""
        return self._counts[key]

    def total(self) -> int:
        """Requests to every documented route since the last reset."""
        return sum(self._counts.values())

    def to_json(self) -> dict[str, int]:
        return dict(self._counts)

    def reset(self) -> None:
        self._counts.clear()


def control_routes(faults: Faults, calls: Calls) -> list[BaseRoute]:
    """`PUT|DELETE /__faults` and `GET|DELETE /__calls` over the live objects."""

    async def put_faults(request: Request) -> Response:
        try:
            faults.assign(Faults.from_json(json.loads(await request.body())))
        except (ValueError, TypeError) as exc:
            return error_response(400, f"Invalid faults: {exc}")
        return JSONResponse(asdict(faults))

    async def delete_faults(request: Request) -> Response:
        faults.clear()
        return JSONResponse(asdict(faults))

    async def get_calls(request: Request) -> Response:
        return JSONResponse(calls.to_json())

    async def delete_calls(request: Request) -> Response:
        calls.reset()
        return JSONResponse({})

    return [
        Route("/__faults", put_faults, methods=["PUT"]),
        Route("/__faults", delete_faults, methods=["DELETE"]),
        Route("/__calls", get_calls, methods=["GET"]),
        Route("/__calls", delete_calls, methods=["DELETE"]),
    ]

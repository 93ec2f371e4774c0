"""The id of the request being served, for log lines and the upstream `X-Request-ID`.

A context variable carries it from the access-log middleware down to the upstream
client without threading it through every signature. A load shared by
single-flight runs under the id of the request that started it.
"""

import itertools
import re
import secrets
from contextvars import ContextVar

HEADER = "X-Request-ID"
# An incoming id is kept only if it is short and plain, so that nothing a client
# sends can forge log lines or headers.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)
# Fresh ids are a random per-process prefix and a counter: unique across replicas
# and restarts, and far cheaper per request than a uuid4.
_PREFIX = secrets.token_hex(8)
_serial = itertools.count(1)


def accept_request_id(incoming: str | None) -> str:
    """The caller's id when it is acceptable, else a fresh one; it becomes current."""
    if incoming is None or not _ACCEPTABLE.fullmatch(incoming):
        incoming = f"{_PREFIX}-{next(_serial):x}"
    _current.set(incoming)
    return incoming


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _current.get()

"""A request's headers as the view reads them: each name's first value, by name.

Starlette's `Headers.get` lowers and encodes the name and scans the whole list on
every call, and raises and catches a KeyError for each name that is absent. The
view asks for six or seven names per request (the credentials, `Accept`, the CSRF
checks), most of them absent; one dict, built in C, answers them all.
"""

from collections.abc import Mapping, Sequence

#: Header values by name, the name lowercased as ASGI servers pass it.
RawHeaders = Mapping[bytes, bytes]


def first_values(headers: Sequence[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """The ASGI scope's `headers` by name; of a repeated name, its first value
    wins, as `Headers.get` picks it."""
    return dict(reversed(headers))


def text(headers: RawHeaders, name: bytes) -> str | None:
    """The value of header `name` as text (Latin-1, as Starlette decodes it)."""
    value = headers.get(name)
    return None if value is None else value.decode("latin-1")

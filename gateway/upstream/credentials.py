"""The caller's credentials, as they travel from the incoming request to upstream."""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Credentials:
    """The allow-listed headers of one incoming request, forwarded upstream as is.

    The values are secrets: `repr` hides them, and only `fingerprint` (a SHA-256)
    may be used as a cache key or appear anywhere outside the upstream request.
    """

    headers: tuple[tuple[str, str], ...]
    #: A SHA-256 of the headers: a cache key that never holds them in clear.
    #: Computed once, since every cache key of a request derives from it.
    fingerprint: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # One digest of all the headers at once: the same as one update per
        # header, for a call fewer per header.
        text = "".join([f"{name.lower()}\0{value}\0" for name, value in self.headers])
        digest = hashlib.sha256(text.encode()).hexdigest()
        object.__setattr__(self, "fingerprint", digest)

    @classmethod
    def from_headers(
        cls, incoming: Mapping[bytes, bytes], names: Iterable[tuple[str, bytes]]
    ) -> "Credentials":
        """Pick `names` out of the incoming headers, keyed as the ASGI scope spells
        them: each name is given as it goes upstream and as the scope spells it
        (lowercased bytes); a header sent empty is not a credential."""
        picked = []
        for name, raw_name in names:
            if value := incoming.get(raw_name):
                picked.append((name, value.decode("latin-1")))
        return cls(tuple(picked))

    @property
    def present(self) -> bool:
        """Whether any credential header was sent at all."""
        return bool(self.headers)

    def __repr__(self) -> str:
        return f"Credentials(<{len(self.headers)} headers hidden>)"

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
        cls, incoming: Mapping[str, str], names: Iterable[str]
    ) -> "Credentials":
        """Pick `names` (case-insensitively) out of the incoming headers."""
        picked = ((name, incoming.get(name)) for name in names)
        return cls(tuple((name, value) for name, value in picked if value))

    @property
    def present(self) -> bool:
        """Whether any credential header was sent at all."""
        return bool(self.headers)

    def __repr__(self) -> str:
        return f"Credentials(<{len(self.headers)} headers hidden>)"

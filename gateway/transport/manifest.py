"""Trusted documents: the operations an app was built with, from its manifest.

The manifest is the file that Apollo's `@apollo/generate-persisted-query-manifest`
writes (https://www.apollographql.com/docs/graphos/routing/security/persisted-queries):

    {"format": "apollo-persisted-query-manifest", "version": 1,
     "operations": [{"id": "<sha256 of body>", "name": "…", "type": "query",
                     "body": "query … { … }"}]}

With one configured, only its operations run: by `id` (sent as
`extensions.persistedQuery.sha256Hash`, as Apollo Client's persisted-query link
does) or by their exact `body` text.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

FORMAT = "apollo-persisted-query-manifest"
VERSION = 1


class ManifestError(ValueError):
    """A manifest that cannot be read, or is not in Apollo's format; says why."""


@dataclass(frozen=True, slots=True)
class TrustedDocuments:
    """The operations of one manifest: body by id, and the set of bodies."""

    bodies: Mapping[str, str]
    texts: frozenset[str]

    @classmethod
    def from_file(cls, path: str) -> "TrustedDocuments":
        """The manifest at `path`; raises `ManifestError`."""
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise ManifestError(f"cannot read it ({exc.strerror})") from exc
        try:
            manifest = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ManifestError(f"it is not JSON ({exc})") from exc
        return cls.from_json(manifest)

    @classmethod
    def from_json(cls, manifest: object) -> "TrustedDocuments":
        """The operations of a decoded manifest; raises `ManifestError`."""
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ManifestError(f'its "format" is not "{FORMAT}"')
        if manifest.get("version") != VERSION:
            raise ManifestError(f'its "version" is not {VERSION}')
        operations = manifest.get("operations")
        if not isinstance(operations, list):
            raise ManifestError('its "operations" is not a list')
        bodies = dict(_operation(entry) for entry in operations)
        return cls(bodies, frozenset(bodies.values()))

    def by_id(self, operation_id: str) -> str | None:
        """The body of the operation `operation_id`, if the manifest has it."""
        return self.bodies.get(operation_id)

    def holds(self, body: str) -> bool:
        """Whether `body` is, to the character, one of the manifest's operations."""
        return body in self.texts


def _operation(entry: object) -> tuple[str, str]:
    """An operation's id and body; raises `ManifestError` for anything else."""
    if not isinstance(entry, dict):
        raise ManifestError("an operation is not an object")
    operation_id, body = entry.get("id"), entry.get("body")
    if not isinstance(operation_id, str) or not isinstance(body, str):
        raise ManifestError(
            f'operation {entry.get("name")!r} lacks a string "id" and "body"'
        )
    return operation_id, body

"""Federation references, checked before strawberry resolves them.

Strawberry's `_entities` resolver takes each representation to be an object with
a known `__typename` and the key's fields: anything else (a number, a list, a
list of lists, an unknown type, a missing or non-integer id) raised inside it and
was masked as INTERNAL_SERVER_ERROR. Refused here, it is the client's error.
"""

from collections.abc import Sequence

from gateway.accounts.arguments import InvalidArgumentError

#: The types with `@key(fields: "id")`, all keyed by an integer id.
ENTITY_TYPES = ("Account", "Movie", "TvShow")


def check_representations(representations: Sequence[object]) -> None:
    """Raise `InvalidArgumentError` unless each names an `ENTITY_TYPES` type and id."""
    for index, representation in enumerate(representations):
        if not (
            isinstance(representation, dict)
            and representation.get("__typename") in ENTITY_TYPES
            and _is_id(representation.get("id"))
        ):
            raise InvalidArgumentError(
                "representations",
                f"representations[{index}] is not a reference to an Account, Movie "
                "or TvShow by its integer id.",
            )


def _is_id(value: object) -> bool:
    if isinstance(value, str):
        return value.removeprefix("-").isdigit()
    return isinstance(value, int) and not isinstance(value, bool)

"""List items completed by a function compiled once per selection, as graphql-jit does.

A list item whose selection is all planned leaves (`planned.LeafPlan`) still cost
a walk per item: a call per field to read it, another to coerce it, and checks
around both. `compile_item` writes one selection's plans out as the source of one
function, compiled the first time the process meets that selection, that
completes an item in straight-line code:

- one `attrgetter` reads every attribute the selection reads, in one call;
- each value is kept as it is under the check for which graphql-core's own
  coercion would return it unchanged (a `str` for String and ID, a `bool` for
  Boolean, an `int` in 32 bits for Int, a finite `float` for Float; None for a
  nullable field), and goes through the field's plan only where that check fails;
- `__typename` is a constant of the object type.

Whatever the plan would hand back to graphql-core (`GENERIC`: an attribute that
raises, a null in a non-null field, a value its coercion refuses) makes the
function return `GENERIC` for the whole item, and the caller lets graphql-core
complete the list instead: its errors, paths and null propagation stay its own.

Only names the generated source gives itself and `repr`s of response names (which
a validated document spells as GraphQL names) are written into it; every value
it uses comes from its namespace.
"""

import functools
from collections.abc import Callable
from math import isfinite
from operator import attrgetter
from typing import Any, Protocol

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLResolveInfo,
    GraphQLString,
)

#: How many compiled selections the process keeps.
COMPILED_SELECTIONS = 512
#: Completes one list item: its response dict, or the caller's `GENERIC`.
ItemCompleter = Callable[[Any, GraphQLResolveInfo[Any]], Any]

#: The check, on a value spelled `{0}`, under which each scalar's output coercion
#: returns the value unchanged (graphql-core's `serialize_*`).
_UNCHANGED: dict[GraphQLNamedType, str] = {
    GraphQLString: "type({0}) is str",
    GraphQLID: "type({0}) is str",
    GraphQLBoolean: "type({0}) is bool",
    GraphQLInt: "type({0}) is int and "
    f"{GRAPHQL_MIN_INT} <= {{0}} <= {GRAPHQL_MAX_INT}",
    GraphQLFloat: "type({0}) is float and isfinite({0})",
}


class PlannedLeaf(Protocol):
    """What `compile_item` needs of a leaf field's plan (`planned.LeafPlan`)."""

    @property
    def attribute(self) -> str | None:
        """The source attribute it reads; None for `__typename`."""

    @property
    def output(self) -> GraphQLNamedType | None:
        """Its leaf type; None for `__typename`."""

    @property
    def non_null(self) -> bool:
        """Whether the field is non-null."""

    def complete_value(self, value: Any) -> Any:
        """The completion of a value read, for values the check refuses."""


#: A compiled selection's fields: each response name (an alias, or the field's
#: name) and its plan.
Selection = tuple[tuple[str, PlannedLeaf], ...]


@functools.lru_cache(maxsize=COMPILED_SELECTIONS)
def compile_item(
    fields: Selection,
    *,
    typename: str,
    is_type_of: Callable[[Any, GraphQLResolveInfo[Any]], Any] | None,
    generic: object,
) -> ItemCompleter:
    """The function completing an item of the object type `typename`, whose
    `is_type_of` and selection `fields` are given; it returns `generic` where
    graphql-core must complete the item.

    Compiling costs about as much as executing a lists query once, so each
    selection is compiled once per process; the most recently used ones are
    kept, since documents (and so selections) are the caller's to vary.
    """
    namespace: dict[str, Any] = {
        "GENERIC": generic,
        "isfinite": isfinite,
        "typename": typename,
    }
    attributes = [f.attribute for _, f in fields if f.attribute is not None]
    lines = ["def complete(item, info):", "    try:"]
    if is_type_of is not None:
        namespace["is_type_of"] = is_type_of
        lines += [
            "        if is_type_of(item, info) is not True:",
            "            return GENERIC",
        ]
    if attributes:
        namespace["read"] = attrgetter(*attributes)
        # attrgetter of one attribute returns its value, of several a tuple.
        read = ", ".join(f"v{i}" for i in range(len(attributes)))
        lines.append(f"        {read} = read(item)")
    else:
        lines.append("        pass")
    lines += ["    except Exception:", "        return GENERIC"]
    entries, read_index = [], 0
    for position, (name, field) in enumerate(fields):
        if field.attribute is None:
            entries.append(f"{name!r}: typename")
            continue
        value = f"v{read_index}"
        read_index += 1
        lines += _checked(value, field, f"leaf{position}")
        namespace[f"leaf{position}"] = field.complete_value
        entries.append(f"{name!r}: {value}")
    lines.append(f"    return {{{', '.join(entries)}}}")
    source = "\n".join(lines)
    exec(compile(source, "<compiled list item>", "exec"), namespace)
    complete: ItemCompleter = namespace["complete"]
    return complete


def _checked(value: str, field: PlannedLeaf, leaf: str) -> list[str]:
    """The lines keeping `value` unchanged where its check holds, else passing it
    through `leaf` (the field's plan)."""
    check = None if field.output is None else _UNCHANGED.get(field.output)
    kept = "False" if check is None else check.format(value)
    if not field.non_null:
        kept = f"{value} is None or {kept}"
    return [
        f"    if not ({kept}):",
        f"        {value} = {leaf}({value})",
        f"        if {value} is GENERIC:",
        "            return GENERIC",
    ]

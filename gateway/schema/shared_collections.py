"""Field collection shared by every run of one prepared operation.

graphql-core collects the fields of each selection set again for every request:
`Executor.collect_subfields` walks the selections, fragments and @skip/@include
of every object field, and `PlannedExecutor` compiles each list's item selection
from that collection. Its memo is the executor's, so it lasts one request. What
it computes depends only on the schema, the runtime type, the field nodes and the
variable values that directives read; so for a document in which no directive
reads a variable, it is the same for every run of the document.

`SharedCollections` keeps those results for one prepared operation
(`gateway.schema.prepared`), which keeps its document alive. Keys are the parent
type and the identities of the field nodes (`node_ids`): the nodes belong to
that document, so no other object can take their identities while the memo
lives. Collection also records each field's @defer usage and fragment variable
values, which the keys leave out; a document with a @defer or fragment variables
gets no memo either.

Arguments likewise: graphql-core coerces a field's arguments again for every run
(`get_argument_values`: each literal through its type, the defaults filled in),
though a field whose arguments read no variable is given the same values every
time. `calls` keeps them by parent type and field node, wherever each value is
immutable (a builtin scalar, None or an enum member); a field that reads a
variable, or whose coercion fails, is coerced per run as before.
"""

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLDeferDirective,
    GraphQLField,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList
from graphql.language.visitor import BREAK, VisitorAction

from gateway.schema.compiled_items import ItemCompleter

#: A memo key: a type (or type name) and then the ids of the field nodes.
Key = tuple[Any, ...]
_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


@dataclass(frozen=True, slots=True)
class SharedCollections:
    """One prepared operation's collected subfields, compiled list items and
    fields' coerced arguments (`calls`: None where they are coerced per run)."""

    subfields: dict[Key, CollectedFields] = field(default_factory=dict)
    items: dict[Key, ItemCompleter | None] = field(default_factory=dict)
    calls: dict[Key, "FieldCall | None"] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FieldCall:
    """A field of a prepared operation and the arguments its resolver is called
    with on every run: coerced from literals and defaults alone, and immutable,
    so that no run can change what the next is given."""

    definition: GraphQLField
    arguments: dict[str, Any]


def shared_collections(document: DocumentNode) -> SharedCollections | None:
    """An empty memo for `document`, or None if its field collection may differ
    from one request to the next (a directive reads a variable, or something
    the memo's keys leave out is there)."""
    finder = _VariableCollection()
    visit(document, finder)
    return None if finder.found else SharedCollections()


def reads_variables(node: FieldNode) -> bool:
    """Whether any argument of the field `node` reads a variable."""
    return any(_reads_variable(argument.value) for argument in node.arguments or ())


def immutable(value: object) -> bool:
    """Whether an argument's coerced value is one no resolver can change: a
    builtin scalar, None or an enum member."""
    return type(value) in _IMMUTABLE or isinstance(value, Enum)


def node_ids(field_details_list: FieldDetailsList) -> list[int]:
    """The identities of the field nodes, in order, to unpack into a memo key."""
    return [id(details.node) for details in field_details_list]


class _VariableCollection(Visitor):
    """Finds what makes a document's field collection depend on the request."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_directive(self, node: DirectiveNode, *_: Any) -> VisitorAction:
        if node.name.value == GraphQLDeferDirective.name or any(
            _reads_variable(argument.value) for argument in node.arguments or ()
        ):
            return self._found()
        return None

    def enter_fragment_definition(
        self, node: FragmentDefinitionNode, *_: Any
    ) -> VisitorAction:
        return self._found() if node.variable_definitions else None

    def _found(self) -> VisitorAction:
        self.found = True
        return BREAK


def _reads_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_reads_variable(item) for item in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_reads_variable(item.value) for item in value.fields)
    return False

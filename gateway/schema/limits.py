"""The per-operation limits, measured in one walk of the document.

Each definition (operation or fragment) is walked once by graphql-core's visitor,
which notes its own fields and where it spreads fragments. Then each fragment's
totals are worked out once, from its own figures and those of the fragments it
spreads, and each operation's from its own and its fragments'. So the time is
linear in the document's size, however often a fragment is spread: strawberry's
depth and alias limiters walk every path through the fragments instead, which
doubles per level when a fragment spreads the one below it twice (an 830-byte
document kept a worker busy for seconds).

A spread of a fragment that is unknown, or on a cycle back to itself, adds
nothing here: graphql-core's own rules report both.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    OperationDefinitionNode,
    ValidationContext,
    get_named_type,
)
from graphql.validation import (
    ASTValidationRule,
    MaxIntrospectionDepthRule,
    NoFragmentCyclesRule,
    ValidationRule,
)

from gateway.schema.cost import field_cost

#: Where counts stop: an operation beyond it is refused whatever the exact figure.
CEILING = 10**9
INTROSPECTION_ROOTS = ("__schema", "__type")
#: Most fields of one response name (or spreads of one fragment) in one selection
#: set: far more than any client writes (inline fragments on Movie and TvShow
#: repeat `id` twice), few enough that comparing them pairwise stays cheap
#: (graphql-core compares every pair: 2,000 repeated `id`s took 0.1-0.2 s).
MAX_REPEATS = 50


@dataclass(frozen=True, slots=True)
class SchemaLimits:
    """Bounds on the work one request may ask for (DESIGN.md invariant 5)."""

    max_depth: int
    max_aliases: int
    max_tokens: int
    max_introspection_depth: int
    max_upstream_calls: int
    introspection: bool = True


@dataclass(frozen=True, slots=True)
class Measure:
    """What a definition asks for, its fragments included.

    `depth` counts nested fields with subfields, leaving out introspection (as
    strawberry's depth limiter did); `nesting` counts every field, and is what a
    fragment adds to the introspection depth where it is spread within
    `__schema`/`__type`; `introspection` is the deepest nesting within one of them;
    `repeats` is the most fields of one response name, or spreads of one fragment,
    in one selection set (inline fragments' included), which graphql-core's
    OverlappingFieldsCanBeMergedRule compares pairwise.
    """

    depth: int = 0
    nesting: int = 0
    introspection: int = 0
    aliases: int = 0
    cost: int = 0
    repeats: int = 0


@dataclass(frozen=True, slots=True)
class Spread:
    """A fragment spread, and where it stands in its definition."""

    name: str
    depth: int | None  # `Measure.depth` around it; None within introspection
    nesting: int
    introspection: int | None  # fields around it within `__schema`/`__type`


@dataclass(frozen=True, slots=True)
class Part:
    """One definition's own figures, and its spreads."""

    own: Measure
    spreads: list[Spread]

    def total(self, fragments: dict[str, Measure]) -> Measure:
        """The definition's measure with its spreads' `fragments` added."""
        spread = [(s, fragments[s.name]) for s in self.spreads if s.name in fragments]
        own = self.own
        return Measure(
            depth=max(
                [own.depth]
                + [s.depth + f.depth for s, f in spread if s.depth is not None]
            ),
            nesting=max([own.nesting] + [s.nesting + f.nesting for s, f in spread]),
            introspection=max(
                [own.introspection]
                + [f.introspection for _, f in spread]
                + [
                    s.introspection + f.nesting
                    for s, f in spread
                    if s.introspection is not None
                ]
            ),
            aliases=_capped(own.aliases, (f.aliases for _, f in spread)),
            repeats=max([own.repeats] + [f.repeats for _, f in spread]),
            cost=_capped(own.cost, (f.cost for _, f in spread)),
        )


def _capped(own: int, added: Iterable[int]) -> int:
    return min(own + sum(added), CEILING)


def fragment_totals(parts: dict[str, Part]) -> dict[str, Measure]:
    """Each fragment's measure, each worked out once (depth first, no recursion).

    A spread back to a fragment still being worked out (a cycle) is left out.
    """
    totals: dict[str, Measure] = {}
    for root in parts:
        if root in totals:
            continue
        path = [(root, iter(parts[root].spreads))]
        entered = {root}
        while path:
            name, spreads = path[-1]
            below = next(
                (
                    s.name
                    for s in spreads
                    if s.name in parts
                    and s.name not in totals
                    and s.name not in entered
                ),
                None,
            )
            if below is not None:
                entered.add(below)
                path.append((below, iter(parts[below].spreads)))
                continue
            path.pop()
            totals[name] = parts[name].total(totals)
    return totals


class Walk:
    """The visitor's state within one definition: where it is, and what it saw."""

    def __init__(self) -> None:
        self.spreads: list[Spread] = []
        self.depth = self.nesting = self.ignored = 0
        self.introspection_base: int | None = None  # `nesting` of its root
        # The most (or, for aliases and cost, the sum) seen so far: `Measure`'s.
        self.max_depth = self.max_nesting = self.max_introspection = 0
        self.aliases = self.cost = self.repeats = 0
        # Response names counted in each selection set around here.
        self.names: list[Counter[str]] = [Counter()]

    def enter(self, node: FieldNode, parent: str | None) -> None:
        self.nesting += 1
        names = self.names[-1]
        response_name = (node.alias or node.name).value
        names[response_name] += 1
        self.repeats = max(self.repeats, names[response_name])
        self.max_nesting = max(self.max_nesting, self.nesting)
        if self.introspection_base is not None:
            introspection = self.nesting - self.introspection_base
            self.max_introspection = max(self.max_introspection, introspection)
        elif node.name.value in INTROSPECTION_ROOTS:
            self.introspection_base = self.nesting
        if node.selection_set:
            if node.name.value.startswith("__"):
                self.ignored += 1  # strawberry's depth left out introspection
            elif not self.ignored:
                self.depth += 1
                self.max_depth = max(self.max_depth, self.depth)
            self.names.append(Counter())
        self.aliases = min(self.aliases + (node.alias is not None), CEILING)
        if parent is not None:
            self.cost = min(self.cost + field_cost(parent, node), CEILING)

    def leave(self, node: FieldNode) -> None:
        if self.introspection_base == self.nesting:
            self.introspection_base = None
        self.nesting -= 1
        if node.selection_set:
            self.names.pop()
            if node.name.value.startswith("__"):
                self.ignored -= 1
            elif not self.ignored:
                self.depth -= 1

    def spread(self, node: FragmentSpreadNode) -> None:
        base = self.introspection_base
        names = self.names[-1]
        names["..." + node.name.value] += 1
        self.repeats = max(self.repeats, names["..." + node.name.value])
        self.spreads.append(
            Spread(
                node.name.value,
                depth=None if self.ignored else self.depth,
                nesting=self.nesting,
                introspection=None if base is None else self.nesting - base,
            )
        )

    def done(self) -> Part:
        seen = Measure(
            depth=self.max_depth,
            nesting=self.max_nesting,
            introspection=self.max_introspection,
            aliases=self.aliases,
            cost=self.cost,
            repeats=self.repeats,
        )
        return Part(seen, self.spreads)


Rules = tuple[type[ASTValidationRule], ...]
Refusals = Callable[
    [OperationDefinitionNode, Measure, SchemaLimits], list[GraphQLError]
]


def limits_rule(limits: SchemaLimits) -> type[ASTValidationRule]:
    """A validation rule refusing each operation beyond `limits`."""
    return _measuring_rule(limits, (shape_refusals, cost_refusals))


def first_rules(limits: SchemaLimits) -> Rules:
    """The rules to validate with before graphql-core's spec rules: ours, and
    graphql-core's fragment-cycle and introspection-list rules (both linear).

    On a closed schema the cost limit's refusal would tell real fields (which
    cost calls) from made-up ones, as clairvoyance probes; there it is answered
    as every other refusal is (`errors.contract_errors`), so it may still come
    first.
    """
    return (limits_rule(limits), MaxIntrospectionDepthRule, NoFragmentCyclesRule)


def _measuring_rule(
    limits: SchemaLimits, refusals: tuple[Refusals, ...]
) -> type[ASTValidationRule]:
    class LimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.walk = Walk()
            self.fragments: dict[str, Part] = {}
            self.operations: list[tuple[OperationDefinitionNode, Part]] = []

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = self.context.get_parent_type()
            self.walk.enter(node, get_named_type(parent).name if parent else None)

        def leave_field(self, node: FieldNode, *_: Any) -> None:
            self.walk.leave(node)

        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            self.walk.spread(node)

        def leave_operation_definition(
            self, node: OperationDefinitionNode, *_: Any
        ) -> None:
            self.operations.append((node, self.walk.done()))
            self.walk = Walk()

        def leave_fragment_definition(
            self, node: FragmentDefinitionNode, *_: Any
        ) -> None:
            self.fragments.setdefault(node.name.value, self.walk.done())
            self.walk = Walk()

        def leave_document(self, *_: Any) -> None:
            totals = fragment_totals(self.fragments)
            for operation, part in self.operations:
                measure = part.total(totals)
                for refused in refusals:
                    for error in refused(operation, measure, limits):
                        self.report_error(error)

    return LimitsRule


def shape_refusals(
    operation: OperationDefinitionNode, measure: Measure, limits: SchemaLimits
) -> list[GraphQLError]:
    """An error for each limit but the cost's that `measure` goes beyond."""
    name = _name(operation)
    checks = [
        (measure.depth, limits.max_depth, "nests fields {} deep"),
        (measure.aliases, limits.max_aliases, "has {} aliases"),
        (
            measure.repeats,
            MAX_REPEATS,
            "repeats one field or fragment spread {} times in one selection set",
        ),
        (
            measure.introspection,
            limits.max_introspection_depth,
            "nests introspection fields {} deep",
        ),
    ]
    return [
        GraphQLError(
            f"{name} {says.format(_shown(value))}; the gateway accepts {limit}"
            " at most.",
            operation,
        )
        for value, limit, says in checks
        if value > limit
    ]


def cost_refusals(
    operation: OperationDefinitionNode, measure: Measure, limits: SchemaLimits
) -> list[GraphQLError]:
    """The cost limit's error, if `measure` goes beyond it."""
    estimate, limit = measure.cost, limits.max_upstream_calls
    if estimate <= limit:
        return []
    message = (
        f"{_name(operation)} may make {_shown(estimate)} calls to the account "
        f"service; the gateway makes {limit} at most for one operation."
    )
    extensions = {"reason": "COST_LIMIT", "estimate": estimate, "limit": limit}
    return [GraphQLError(message, operation, extensions=extensions)]


def _name(operation: OperationDefinitionNode) -> str:
    return f"Operation '{operation.name.value}'" if operation.name else "The operation"


def _shown(value: int) -> str:
    return f"more than {CEILING - 1:,}" if value >= CEILING else f"{value:,}"

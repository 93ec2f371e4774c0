"""An executor that completes plain leaf fields from a plan compiled once per schema.

graphql-core completes every field the same generic way: a `Path`, a resolve
info, strawberry's basic resolver, then `complete_value`'s type dispatch and the
leaf's coercion, about 6 µs a field; a lists query has 45 items of 4 fields
each. Most of that work depends only on the schema, so `LeafPlans` does it once:
for every object field that strawberry resolves as a plain attribute (no resolver,
no extension) and whose type is a scalar or an enum, the attribute to read and
the coercion to apply. `PlannedExecutor` then completes such a field in one
attribute read and one coercion.

Anything irregular about a value (null, an exception, a value the coercion
refuses) is handed back to graphql-core's own `execute_field` for that field, in
its place: errors, their paths and null propagation are graphql-core's own, so
responses stay byte-identical (tests/test_planned_execution.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, ClassVar

from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    Undefined,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

#: What `LeafPlan.complete` returns when graphql-core must complete the field.
GENERIC = object()


@dataclass(frozen=True, slots=True)
class LeafPlan:
    """How to complete one leaf field of one object type without graphql-core."""

    read: Callable[[Any], Any]
    coerce: Callable[[Any], Any]
    non_null: bool

    def complete(self, source: Any) -> Any:
        """The field's completed value, or `GENERIC` where graphql-core decides."""
        try:
            value = self.read(source)
        except Exception:
            return GENERIC
        if value is None:
            return GENERIC if self.non_null else None
        if isinstance(value, Exception):
            return GENERIC
        try:
            coerced = self.coerce(value)
        except Exception:
            return GENERIC
        if coerced is None or coerced is Undefined:
            return GENERIC
        return coerced


LeafPlans = Mapping[tuple[str, str], LeafPlan]


def leaf_plans(
    schema: GraphQLSchema, default_resolver: Callable[..., Any]
) -> LeafPlans:
    """The plan of every plain leaf field, keyed by (object type, field name).

    Only strawberry's basic fields with the default resolver `getattr` qualify:
    their resolver is exactly `getattr(source, python_name)`.
    """
    plans: dict[tuple[str, str], LeafPlan] = {}
    if default_resolver is not getattr:
        return plans
    for type_ in schema.type_map.values():
        if not is_object_type(type_) or type_.name.startswith("__"):
            continue
        assert isinstance(type_, GraphQLObjectType)
        typename = _TypeName(type_.name)
        plans[(type_.name, "__typename")] = LeafPlan(
            typename, GraphQLString.coerce_output_value, True
        )
        for name, field in type_.fields.items():
            definition = field.extensions.get("strawberry-definition")
            inner = field.type.of_type if is_non_null_type(field.type) else field.type
            if (
                isinstance(definition, StrawberryField)
                and definition.is_basic_field
                and getattr(field.resolve, "_is_default", False)
                and is_leaf_type(inner)
            ):
                read = attrgetter(definition.python_name)
                coerce = inner.coerce_output_value
                plans[(type_.name, name)] = LeafPlan(
                    read, coerce, is_non_null_type(field.type)
                )
    return plans


@dataclass(frozen=True, slots=True)
class _TypeName:
    """`__typename` of an object type: its name, whatever the source."""

    name: str

    def __call__(self, source: Any) -> str:
        return self.name


class PlannedExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with planned leaf fields completed from `plans`.

    `planned_executor` makes the subclass that holds one schema's plans.
    """

    plans: ClassVar[LeafPlans] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """graphql-core's `execute_fields`, with a planned field's value taken from
        its plan unless the plan hands the field back."""
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        plans = self.plans
        type_name = parent_type.name
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                plan = plans.get((type_name, field_details_list[0].node.name.value))
                if plan is not None:
                    value = plan.complete(source_value)
                    if value is not GENERIC:
                        results[response_name] = value
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, type_name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background(
                    [results[field] for field in awaitable_fields]
                )
            raise
        if not awaitable_fields:
            return results
        return _gathered(results, awaitable_fields)


async def _gathered(results: dict[str, Any], awaitable_fields: list[str]) -> Any:
    """`results` with its awaitable fields awaited in place, as graphql-core does."""
    if len(awaitable_fields) == 1:
        field = awaitable_fields[0]
        results[field] = await results[field]
    else:
        awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
        results.update(zip(awaitable_fields, awaited, strict=True))
    return results


def planned_executor(
    schema: GraphQLSchema, default_resolver: Callable[..., Any]
) -> type[PlannedExecutor]:
    """A `PlannedExecutor` subclass with `schema`'s plans compiled."""
    plans = leaf_plans(schema, default_resolver)
    return type("SchemaPlannedExecutor", (PlannedExecutor,), {"plans": plans})

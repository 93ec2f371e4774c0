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
responses stay byte-identical (tests/test_planned_execution.py checks it). A list
whose items' whole selection is planned leaves (a page's `results { id title }`)
skips the per-item walk too: per item, its type resolved, then one function
compiled from the plans of that selection (`compiled_items`). An irregular item
hands the whole list back to graphql-core.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, ClassVar, cast

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    Undefined,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import (
    CollectedFields,
    FieldDetailsList,
    GroupedFieldSet,
)
from graphql.execution.executor import to_nodes
from graphql.execution.values import get_argument_values
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

from gateway.schema import awaitables
from gateway.schema.acyclic import Acyclic
from gateway.schema.compiled_items import ItemCompleter, compile_item
from gateway.schema.gathering import gather_first_error
from gateway.schema.shared_collections import (
    FieldCall,
    SharedCollections,
    immutable,
    node_ids,
    reads_variables,
)

#: What `LeafPlan.complete` returns when graphql-core must complete the field.
GENERIC = object()


@dataclass(frozen=True, slots=True)
class LeafPlan:
    """How to complete one leaf field of one object type without graphql-core.

    `attribute` is what `read` reads (None for `__typename`) and `output` the
    field's leaf type (None for `__typename`), for compiling a selection of them.
    """

    read: Callable[[Any], Any]
    coerce: Callable[[Any], Any]
    non_null: bool
    attribute: str | None
    output: GraphQLNamedType | None

    def complete(self, source: Any) -> Any:
        """The field's completed value, or `GENERIC` where graphql-core decides."""
        try:
            value = self.read(source)
        except Exception:
            return GENERIC
        return self.complete_value(value)

    def complete_value(self, value: Any) -> Any:
        """The completion of `value` as read, or `GENERIC`."""
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
    """The plan of every plain leaf field (`_plain_fields`), and `__typename`,
    keyed by (object type, field name)."""
    plans: dict[tuple[str, str], LeafPlan] = {}
    if default_resolver is not getattr:
        return plans
    for type_ in _object_types(schema):
        plans[(type_.name, "__typename")] = LeafPlan(
            _TypeName(type_.name), GraphQLString.coerce_output_value, True, None, None
        )
    for type_, name, field, attribute in _plain_fields(schema, default_resolver):
        inner = field.type.of_type if is_non_null_type(field.type) else field.type
        if is_leaf_type(inner):
            plans[(type_.name, name)] = LeafPlan(
                attrgetter(attribute),
                inner.coerce_output_value,
                is_non_null_type(field.type),
                attribute,
                inner,
            )
    return plans


def _object_types(schema: GraphQLSchema) -> Iterator[GraphQLObjectType]:
    """The schema's object types, introspection's left out."""
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            yield type_


def _plain_fields(
    schema: GraphQLSchema, default_resolver: Callable[..., Any]
) -> Iterator[tuple[GraphQLObjectType, str, GraphQLField, str]]:
    """Each object type's fields whose resolver is exactly `getattr(source,
    python_name)`, with that name: strawberry's basic fields, where its default
    resolver is `getattr`."""
    if default_resolver is not getattr:
        return
    for type_ in _object_types(schema):
        for name, field in type_.fields.items():
            definition = field.extensions.get("strawberry-definition")
            if (
                isinstance(definition, StrawberryField)
                and definition.is_basic_field
                and getattr(field.resolve, "_is_default", False)
            ):
                yield type_, name, field, definition.python_name


@dataclass(frozen=True, slots=True)
class ListPlan:
    """How to complete a list field of non-null objects that is a plain
    attribute (a page's `results`): read it, then complete its items in one loop
    (`PlannedExecutor._planned_items`), without graphql-core's generic steps from
    the field down to its items."""

    read: Callable[[Any], Any]
    definition: GraphQLField
    item_type: GraphQLNonNull[Any]


ListPlans = Mapping[tuple[str, str], ListPlan]


def list_plans(
    schema: GraphQLSchema, default_resolver: Callable[..., Any]
) -> ListPlans:
    """The plan of every plain list field (`_plain_fields`) of non-null objects,
    interfaces or unions, keyed by (object type, field name)."""
    plans: dict[tuple[str, str], ListPlan] = {}
    for type_, name, field, attribute in _plain_fields(schema, default_resolver):
        listed = field.type.of_type if is_non_null_type(field.type) else field.type
        if (
            isinstance(listed, GraphQLList)
            and isinstance(listed.of_type, GraphQLNonNull)
            and not is_leaf_type(listed.of_type.of_type)
        ):
            plans[(type_.name, name)] = ListPlan(
                attrgetter(attribute), field, listed.of_type
            )
    return plans


@dataclass(frozen=True, slots=True)
class _TypeName:
    """`__typename` of an object type: its name, whatever the source."""

    name: str

    def __call__(self, source: Any) -> str:
        return self.name


class PlannedExecutor(Acyclic):
    """graphql-core's executor, with planned leaf fields completed from `plans`,
    and lists whose items' selection is all planned leaves completed by a
    function compiled from those plans (`compiled_items`).

    `planned_executor` makes the subclass that holds one schema's plans. Given
    `shared_collections` (a prepared operation's, see `gateway.schema.prepared`),
    it collects subfields and compiles list items once for all the runs of that
    operation, not once per request.

    It is graphql-core's plain `Executor`, with strawberry's resolve info, where
    strawberry's own is its incremental one: this schema delivers nothing
    incrementally (strawberry runs graphql-core's `execute`, which refuses a
    schema with @defer or @stream), and the incremental executor's checks and
    state cost 54 K instructions of a 1.2 M execution of the lists query.
    """

    plans: ClassVar[LeafPlans] = {}
    lists: ClassVar[ListPlans] = {}
    #: Strawberry's, so that resolvers read what they read under its executor:
    #: the variables' coerced values and the operation's extensions.
    build_resolve_info = cast(
        "Callable[..., GraphQLResolveInfo[Any]]",
        StrawberryGraphQLCoreExecutionContext.build_resolve_info,
    )

    def __init__(
        self,
        *args: Any,
        shared_collections: SharedCollections | None = None,
        operation_extensions: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.operation_extensions = operation_extensions
        self._shared = shared_collections
        # Keyed by id(); the value keeps the keyed list alive, as graphql-core's
        # own memo of collected subfields does.
        self._item_completers: dict[
            tuple[str, int], tuple[FieldDetailsList, ItemCompleter | None]
        ] = {}

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        """A list whose every item completes from its compiled selection, in one
        loop; any other list (an irregular item anywhere in it) as graphql-core
        completes it."""
        completed = self._planned_items(
            item_type, field_details_list, info, path, items
        )
        if completed is GENERIC:
            return super().complete_iterable_value(
                item_type, field_details_list, info, path, items, position_context
            )
        return completed  # type: ignore[no-any-return]

    def _planned_items(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
    ) -> Any:
        """The completed items, or `GENERIC`. Only a list or tuple of non-null
        items: graphql-core then iterates it afresh, and what the loop ran (type
        resolution, `is_type_of`, reads) is pure here. None is streamed: the
        schema has no @stream (`planned_executor` refuses one)."""
        if not is_non_null_type(item_type) or type(items) not in (list, tuple):
            return GENERIC
        named = item_type.of_type
        if isinstance(named, GraphQLObjectType):
            resolve_type = None
        elif isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            resolve_type = named.resolve_type
            if resolve_type is None:
                return GENERIC
        else:
            return GENERIC
        is_awaitable = self.is_awaitable
        judged = is_awaitable in awaitables.PREDICATES
        # The last type of item whose instances are never awaitable: items of one
        # list are mostly of one type, and then need not each be asked.
        plain: type | None = None
        # Each item's compiled selection, by the name of the type it resolves to.
        completers: dict[str, ItemCompleter | None] = {}
        completed: list[Any] = []
        for item in items:
            kind: type = type(item)
            if kind is not plain:
                if is_awaitable(item):
                    return GENERIC
                if judged and awaitables.never_awaitable(kind):
                    plain = kind
            if resolve_type is None:
                name = named.name
            else:
                try:
                    name = resolve_type(item, info, named)
                except Exception:
                    return GENERIC
                if type(name) is not str:
                    return GENERIC
            if name not in completers:
                completers[name] = self._item_completer(name, named, field_details_list)
            complete = completers[name]
            value = GENERIC if complete is None else complete(item, info)
            if value is GENERIC:
                return GENERIC
            completed.append(value)
        return completed

    def _listed(
        self,
        plan: ListPlan,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        """A planned list field's completed items, or `GENERIC`: read as its
        resolver reads it, given the info graphql-core would give, its items
        completed as `complete_iterable_value` completes them. Anything raised
        is left to graphql-core, which runs the same again and handles it."""
        try:
            items = plan.read(source)
            if type(items) not in (list, tuple):
                return GENERIC
            info = self.build_resolve_info(
                plan.definition, to_nodes(field_details_list), parent_type, path
            )
            return self._planned_items(
                plan.item_type, field_details_list, info, path, items
            )
        except Exception:
            return GENERIC

    def collect_subfields(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> CollectedFields:
        """graphql-core's collection, from the prepared operation's memo if there
        is one: the same nodes on the same type collect the same fields there."""
        shared = self._shared
        if shared is None:
            return super().collect_subfields(return_type, field_details_list)
        key = (return_type, *node_ids(field_details_list))
        collected = shared.subfields.get(key)
        if collected is None:
            collected = super().collect_subfields(return_type, field_details_list)
            shared.subfields[key] = collected
        return collected

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_field`, with a prepared operation's arguments
        taken from its memo where they read no variable (`FieldCall`)."""
        call = self._field_call(parent_type, field_details_list)
        if call is None:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        definition = call.definition
        return_type = definition.type
        resolve = definition.resolve or self.field_resolver
        info = self.build_resolve_info(
            definition, to_nodes(field_details_list), parent_type, path
        )
        try:
            result = resolve(source, info, **call.arguments)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type,
                    field_details_list,
                    info,
                    path,
                    result,
                    position_context,
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
            if self.is_awaitable(completed):
                return _completed_later(
                    self, completed, return_type, field_details_list, path
                )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return completed

    def _field_call(
        self, parent_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> FieldCall | None:
        """The field's definition and arguments from the prepared operation's
        memo; None where graphql-core must coerce them (or there is no memo)."""
        shared = self._shared
        if shared is None or self._has_middleware():
            return None
        first = field_details_list[0]
        key = (parent_type, id(first.node))
        if key in shared.calls:
            return shared.calls[key]
        call = self._coerced_call(parent_type, first.node)
        shared.calls[key] = call
        return call

    def _coerced_call(
        self, parent_type: GraphQLObjectType, node: FieldNode
    ) -> FieldCall | None:
        """The field's arguments as graphql-core coerces them, if they are the
        same for every run: read from no variable, coerced without error, and
        immutable."""
        definition = self.schema.get_field(parent_type, node.name.value)
        if definition is None or reads_variables(node):
            return None
        try:
            arguments = (
                get_argument_values(definition, node)
                if definition.args or node.arguments
                else {}
            )
        except Exception:
            return None
        if not all(immutable(value) for value in arguments.values()):
            return None
        return FieldCall(definition, arguments)

    def _item_completer(
        self, name: str, named: GraphQLNamedType, field_details_list: FieldDetailsList
    ) -> ItemCompleter | None:
        """`_compile_item`'s, once per list field and item type of the operation;
        with a prepared operation's memo, once for all its runs."""
        shared = self._shared
        if shared is None:
            return self._request_item_completer(name, named, field_details_list)
        key = (name, named, *node_ids(field_details_list))
        if key in shared.items:
            return shared.items[key]
        complete = self._compile_item(name, named, field_details_list)
        shared.items[key] = complete
        return complete

    def _request_item_completer(
        self, name: str, named: GraphQLNamedType, field_details_list: FieldDetailsList
    ) -> ItemCompleter | None:
        """`_compile_item`'s, memoised for this request only."""
        key = (name, id(field_details_list))
        memo = self._item_completers.get(key)
        if memo is not None:
            return memo[1]
        complete = self._compile_item(name, named, field_details_list)
        self._item_completers[key] = (field_details_list, complete)
        return complete

    def _compile_item(
        self, name: str, named: GraphQLNamedType, field_details_list: FieldDetailsList
    ) -> ItemCompleter | None:
        """The compiled selection completing items of the type `name`, None unless
        graphql-core would accept that type for `named` and every field selected
        on it is a planned leaf (and nothing is deferred)."""
        object_type = self._runtime_type(name, named)
        if object_type is None:
            return None
        collected = self.collect_subfields(object_type, field_details_list)
        if collected.new_defer_usages or self._has_middleware():
            return None
        fields = [
            (response, self.plans.get((name, details[0].node.name.value)))
            for response, details in collected.grouped_field_set.items()
        ]
        if not all(leaf is not None for _, leaf in fields):
            return None
        return compile_item(
            tuple(fields),
            typename=name,
            is_type_of=object_type.is_type_of,
            generic=GENERIC,
        )

    def _runtime_type(
        self, name: str, named: GraphQLNamedType
    ) -> GraphQLObjectType | None:
        """The object type `name`, if graphql-core would accept it for `named`."""
        if named.name == name:
            return named if isinstance(named, GraphQLObjectType) else None
        runtime = self.schema.get_type(name)
        if isinstance(runtime, GraphQLObjectType) and self.schema.is_sub_type(
            named,  # type: ignore[arg-type]  # abstract: the caller resolved it
            runtime,
        ):
            return runtime
        return None

    def _has_middleware(self) -> bool:
        """Field middleware wraps every resolver: then nothing is planned."""
        manager = self.middleware_manager
        return manager is not None and bool(manager.middlewares)

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
        if self._has_middleware():
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        plans, lists = self.plans, self.lists
        type_name = parent_type.name
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                key = (type_name, field_details_list[0].node.name.value)
                plan = plans.get(key)
                if plan is not None:
                    value = plan.complete(source_value)
                    if value is not GENERIC:
                        results[response_name] = value
                        continue
                field_path = Path(path, response_name, type_name)
                listed = lists.get(key)
                if listed is not None:
                    value = self._listed(
                        listed,
                        parent_type,
                        source_value,
                        field_details_list,
                        field_path,
                    )
                    if value is not GENERIC:
                        results[response_name] = value
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    field_path,
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
        awaited = await gather_first_error(*(results[f] for f in awaitable_fields))
        results.update(zip(awaitable_fields, awaited, strict=True))
    return results


async def _completed_later(
    executor: PlannedExecutor,
    completed: Awaitable[Any],
    return_type: GraphQLOutputType,
    field_details_list: FieldDetailsList,
    path: Path,
) -> Any:
    """A field's completion awaited, its error handled, as graphql-core does."""
    try:
        return await completed
    except Exception as raw_error:
        executor.handle_field_error(raw_error, return_type, field_details_list, path)
        return None


def planned_executor(
    schema: GraphQLSchema, default_resolver: Callable[..., Any]
) -> type[PlannedExecutor]:
    """A `PlannedExecutor` subclass with `schema`'s plans compiled; raises
    ValueError for a schema that may deliver incrementally (@defer, @stream)."""
    if schema.get_directive("defer") or schema.get_directive("stream"):
        raise ValueError("the planned executor delivers nothing incrementally")
    plans = leaf_plans(schema, default_resolver)
    lists = list_plans(schema, default_resolver)
    return type(
        "SchemaPlannedExecutor", (PlannedExecutor,), {"plans": plans, "lists": lists}
    )

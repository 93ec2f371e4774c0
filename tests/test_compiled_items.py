"""A compiled selection completes each field exactly as its plan would.

The compiled function keeps a value unchanged under a check of its own for each
scalar, and calls the field's plan (graphql-core's coercion) only where the check
fails: a check that let through a value the coercion would change or refuse (an
Int beyond 32 bits, a NaN, `True` for an Int, a str subclass) would change the
response, or hide the error graphql-core reports. The differential test of the
executor (tests/test_planned_execution.py) sees only the reference API's values,
which pass every check; here the values are drawn for it.
"""

import math
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLScalarType,
    GraphQLString,
)
from hypothesis import given
from hypothesis import strategies as st

from gateway.schema.compiled_items import compile_item
from gateway.schema.planned import GENERIC, LeafPlan


class _Text(str):
    """A str subclass: String keeps it only by its coercion, which returns it."""


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1.5, 2.0]),
    st.text(max_size=5),
    st.text(max_size=5).map(_Text),
    st.sampled_from([[], {}, object(), ValueError("raised by a resolver")]),
)
#: The resolve info graphql-core passes; only `is_type_of` would read it.
NO_INFO: Any = None
SCALARS = st.sampled_from(
    [GraphQLString, GraphQLID, GraphQLInt, GraphQLFloat, GraphQLBoolean]
)


def _plan(
    scalar: GraphQLScalarType, non_null: bool, attribute: str = "value"
) -> LeafPlan:
    assert scalar.coerce_output_value is not None
    return LeafPlan(
        attrgetter(attribute), scalar.coerce_output_value, non_null, attribute, scalar
    )


def _compiled(fields: dict[str, LeafPlan]) -> Any:
    return compile_item(
        tuple(fields.items()),
        typename="Item",
        is_type_of=None,
        generic=GENERIC,
    )


@given(value=VALUES, scalar=SCALARS, non_null=st.booleans())
def test_a_compiled_field_completes_a_value_as_its_plan_does(
    value: object, scalar: GraphQLScalarType, non_null: bool
) -> None:
    plan = _plan(scalar, non_null)
    source = SimpleNamespace(value=value)
    expected = plan.complete(source)
    completed = _compiled({"f": plan})(source, NO_INFO)
    if expected is GENERIC:
        assert completed is GENERIC
    else:
        assert completed == {"f": expected}
        assert type(completed["f"]) is type(expected)


@given(values=st.lists(VALUES, min_size=2, max_size=4), scalar=SCALARS)
def test_an_item_is_handed_back_whole_if_any_field_is(
    values: list[object], scalar: GraphQLScalarType
) -> None:
    plans = {f"f{i}": _plan(scalar, True, f"v{i}") for i in range(len(values))}
    item = SimpleNamespace(**{f"v{i}": value for i, value in enumerate(values)})
    expected = {name: plan.complete(item) for name, plan in plans.items()}
    completed = _compiled(plans)(item, NO_INFO)
    if GENERIC in expected.values():
        assert completed is GENERIC
    else:
        assert completed == expected


def test_typename_is_the_object_types_name_and_fields_keep_their_order() -> None:
    fields = {
        "b": _plan(GraphQLString, True),
        "__typename": LeafPlan(
            lambda _: "Item", GraphQLString.coerce_output_value, True, None, None
        ),
        "a": _plan(GraphQLInt, False),
    }
    completed = _compiled(fields)(SimpleNamespace(value="x"), NO_INFO)
    assert completed is GENERIC  # "x" is no Int: the plan hands the item back
    completed = _compiled({k: fields[k] for k in ("b", "__typename")})(
        SimpleNamespace(value="x"), None
    )
    assert list(completed.items()) == [("b", "x"), ("__typename", "Item")]


def test_an_item_that_is_not_of_the_type_is_handed_back() -> None:
    complete = compile_item(
        (("f", _plan(GraphQLString, True)),),
        typename="Item",
        is_type_of=lambda item, _info: item.value == "mine",
        generic=GENERIC,
    )
    assert complete(SimpleNamespace(value="mine"), NO_INFO) == {"f": "mine"}
    assert complete(SimpleNamespace(value="other"), NO_INFO) is GENERIC
    assert complete(SimpleNamespace(), NO_INFO) is GENERIC  # no attribute to read

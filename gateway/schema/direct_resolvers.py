"""Resolvers that graphql-core calls straight, where strawberry's wrapper around
them would change nothing.

For a field with a resolver, strawberry hands graphql-core a function that, on
every call, builds the resolver's `Info`, converts each argument (renamed to its
Python name, then through `convert_argument`), lets field extensions map the
arguments, looks for exception handlers, and calls the resolver through a
reduction of partials and `StrawberryField.get_result`. For an argument of a
builtin scalar or an enum (or an optional one) the conversion returns the value
graphql-core coerced, unchanged; with no field extensions and no exception
handlers the rest is plumbing. A cold lists query runs four such resolvers, and
that plumbing was about a twentieth of its time.

`install_direct_resolvers` gives every such field a function doing only what is
left: the `Info` built as strawberry builds it, the arguments renamed, the
resolver called. Any other field (a source parameter, an input object, a list
or `GlobalID` argument, an extension) keeps strawberry's.
"""

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLResolveInfo, is_object_type
from strawberry.schema.config import StrawberryConfig
from strawberry.types.base import StrawberryMaybe, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.field import StrawberryField

#: Argument types whose strawberry conversion returns graphql-core's value as is.
_PLAIN_ARGUMENTS: tuple[type, ...] = (str, int, float, bool)


def install_direct_resolvers(schema: strawberry.Schema) -> None:
    """Give every field of `schema` whose strawberry wrapper would change nothing
    a resolver that graphql-core calls straight."""
    converter = schema.schema_converter
    # Exception handlers turn a resolver's errors into results: kept, if any.
    if converter._exception_handler_specs:  # strawberry is pinned below 0.342
        return
    for type_ in schema._schema.type_map.values():
        if not is_object_type(type_) or type_.name.startswith("__"):
            continue
        for field in type_.fields.values():
            definition = field.extensions.get("strawberry-definition")
            if isinstance(definition, StrawberryField):
                direct = _direct(definition, schema.config)
                if direct is not None:
                    field.resolve = direct


def _direct(
    definition: StrawberryField, config: StrawberryConfig
) -> Callable[..., Any] | None:
    """The straight resolver of `definition`, None unless strawberry's would do
    only what it does."""
    resolver = definition.base_resolver
    if (
        resolver is None
        or definition.extensions
        or definition.is_subscription
        or resolver.self_parameter is not None
        or resolver.parent_parameter is not None
        or resolver.root_parameter is not None
        or not all(_is_plain(argument.type) for argument in definition.arguments)
    ):
        return None
    call = resolver.wrapped_func
    if not callable(call):  # strawberry calls such a resolver its own way
        return None
    names = {
        config.name_converter.from_argument(argument): argument.python_name
        for argument in definition.arguments
    }
    info_name = (
        None if resolver.info_parameter is None else resolver.info_parameter.name
    )
    info_class = config.info_class

    def resolve(_source: Any, info: GraphQLResolveInfo[Any], **kwargs: Any) -> Any:
        arguments = {names[name]: value for name, value in kwargs.items()}
        if info_name is not None:
            arguments[info_name] = info_class(_raw_info=info, _field=definition)
        return call(**arguments)

    return resolve


def _is_plain(type_: object) -> bool:
    """Whether strawberry's conversion of an argument of `type_` is the identity:
    a builtin scalar or an enum, or an optional one (not a `Maybe`, whose value
    strawberry wraps in `Some`)."""
    if isinstance(type_, StrawberryMaybe):
        return False
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    return (
        type_ in _PLAIN_ARGUMENTS
        or isinstance(type_, StrawberryEnumDefinition)
        or has_enum_definition(type_)
    )

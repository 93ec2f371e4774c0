"""Which types of value can never be awaitable, so that a list's items need not
each be asked.

graphql-core asks of every list item whether it is awaitable, and strawberry's
predicate (`optimized_is_awaitable`) answers at once only for builtin types: for
anything else (a list's upstream models are named tuples) it runs two
`isinstance` checks and a failed `hasattr(value, "__await__")`, about 0.2 µs an
item. Both predicates answer by the same three questions, and for some types the
answers are fixed by the type alone: an instance has no `__dict__` to hold an
`__await__` of its own, and no class it inherits from defines `__await__`, nor
changes attribute lookup or `__class__` (which `isinstance` reads), beyond
`object` and `tuple`, which do neither. Coroutines and generators cannot be
subclassed. So every instance of such a type answers False, as its first did.
"""

import functools
from collections.abc import Callable
from typing import Any

from graphql.pyutils import is_awaitable as graphql_is_awaitable
from strawberry.execution.is_awaitable import optimized_is_awaitable

#: The predicates that answer by those three questions alone.
PREDICATES: tuple[Callable[[Any], bool], ...] = (
    optimized_is_awaitable,
    graphql_is_awaitable,
)
#: The bases whose attribute lookup and `__class__` are the generic ones.
_GENERIC_BASES = (object, tuple)
#: What a class would define to make an instance awaitable or hide what it is.
_CHANGES = frozenset({"__await__", "__getattr__", "__getattribute__", "__class__"})
#: Types judged: a process meets few types of list item.
JUDGED_TYPES = 256


@functools.lru_cache(maxsize=JUDGED_TYPES)
def never_awaitable(cls: type) -> bool:
    """Whether no instance of `cls` is awaitable to the `PREDICATES`."""
    return cls.__dictoffset__ == 0 and all(
        base in _GENERIC_BASES or _CHANGES.isdisjoint(vars(base))
        for base in cls.__mro__
    )

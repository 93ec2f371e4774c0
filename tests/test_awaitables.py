"""Only types whose every instance answers "not awaitable" are judged so."""

import asyncio
from typing import Any, NamedTuple

import pytest

from gateway.schema.awaitables import PREDICATES, never_awaitable
from gateway.schema.media import Movie
from gateway.upstream.models import MediaItem, MediaKind


class Pair(NamedTuple):
    left: int
    right: int


class AwaitablePair(Pair):
    __slots__ = ()

    def __await__(self) -> Any:
        return iter(())


class LookingPair(Pair):
    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        return lambda: iter(())


class Plain:
    __slots__ = ("value",)


class WithDict:
    pass


ITEM = MediaItem(1, MediaKind.MOVIE, "t", None, None, None, None, None, None, None)


@pytest.mark.parametrize(
    ("instance", "judged"),
    [
        (ITEM, True),
        (Pair(1, 2), True),
        (Plain(), True),
        ((1, 2), True),
        (object(), True),
        (AwaitablePair(1, 2), False),
        (LookingPair(1, 2), False),
        (WithDict(), False),
        (asyncio.Future.__new__(asyncio.Future), False),
        (1, False),
        (Movie.__new__(Movie), False),
    ],
)
def test_a_type_is_judged_never_awaitable_only_if_its_instances_cannot_be(
    instance: object, judged: bool
) -> None:
    kind: type = type(instance)
    assert never_awaitable(kind) is judged
    if judged:
        assert not any(is_awaitable(instance) for is_awaitable in PREDICATES)
    if isinstance(instance, AwaitablePair | LookingPair):
        assert all(is_awaitable(instance) for is_awaitable in PREDICATES)


def test_an_instance_with_a_dict_may_hold_its_own_await() -> None:
    """Why a type whose instances have a `__dict__` is never judged."""
    instance = WithDict()
    instance.__await__ = lambda: iter(())  # type: ignore[attr-defined]
    assert all(is_awaitable(instance) for is_awaitable in PREDICATES)

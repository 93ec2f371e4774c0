"""Documents an attacker would send to make validation or execution expensive.

Shared by tests/test_limits.py, which checks that each is refused, and
bench/hostile.py, which times the refusals. Each fits the default token limit
unless its name says it needs more.
"""

LIST_PAGE = "favorites(mediaType: MOVIE) { page }"


def nested_fragments(levels: int, leaf: str = LIST_PAGE) -> str:
    """Fragment F<n> spreads F<n-1> twice: 2ⁿ paths to `leaf` in about 10n tokens."""
    fragments = [f"fragment F0 on Account {{ {leaf} }}"] + [
        f"fragment F{n} on Account {{ ...F{n - 1} ...F{n - 1} }}"
        for n in range(1, levels + 1)
    ]
    return f"{{ account {{ ...F{levels} }} }} " + " ".join(fragments)


def wide_fragments(levels: int, width: int, leaf: str = LIST_PAGE) -> str:
    """Fragment W<n> spreads W<n-1> `width` times: widthⁿ paths to `leaf`."""
    fragments = [f"fragment W0 on Account {{ {leaf} }}"] + [
        f"fragment W{n} on Account {{ {f' ...W{n - 1}' * width} }}"
        for n in range(1, levels + 1)
    ]
    return f"{{ account {{ ...W{levels} }} }} " + " ".join(fragments)


def fragment_cycle(length: int) -> str:
    """C<n> spreads C<n-1> twice, and C0 spreads the last one: a cycle of `length`."""
    last = length - 1
    fragments = [f"fragment C0 on Account {{ id ...C{last} }}"] + [
        f"fragment C{n} on Account {{ ...C{n - 1} ...C{n - 1} }}"
        for n in range(1, length)
    ]
    return f"{{ account {{ ...C{last} }} }} " + " ".join(fragments)


def many_aliases(count: int) -> str:
    """`count` aliases (raise the token limit: each is 3 tokens)."""
    return "{ account { " + " ".join(f"a{n}: id" for n in range(count)) + " } }"


def many_same_fields(count: int) -> str:
    """One field `count` times without alias: graphql-core compares them pairwise."""
    return "{ account { " + "id " * count + "} }"


def deep_list_value(depth: int) -> str:
    """A list literal nested `depth` deep, where a list is expected."""
    return (
        "{ _entities(representations: "
        + "[" * depth
        + '{__typename: "Account", id: 1}'
        + "]" * depth
        + ") { __typename } }"
    )


def deep_list_type(depth: int) -> str:
    """A variable whose type is a list of lists `depth` deep."""
    return (
        "query Deep($r: "
        + "[" * depth
        + "_Any"
        + "]" * depth
        + ") { _entities(representations: $r) { __typename } }"
    )


def deep_of_type(depth: int) -> str:
    """An `ofType` chain `depth` deep within `__schema { types { fields { type`."""
    return (
        "{ __schema { types { fields { type { "
        + "ofType { kind " * depth
        + "}" * depth
        + " } } } } }"
    )


def deep_selection(depth: int) -> str:
    """Selections nested `depth` deep (the schema has none so deep: an error too)."""
    return "{ " + "account { " * depth + "id" + " }" * depth + " }"

"""What each field may cost in upstream calls: the cost limit's model.

In the spirit of IBM's GraphQL cost directives and Apollo Router's demand control
(`@cost`, `@listSize(slicingArguments: ["first", "last"])`), kept here rather than
in the SDL, so that the contract stays as it is. An estimate is an upper bound:
every field counts, aliased copies each on their own, although the gateway reads
an account or a page at most once per request.
"""

import math
from collections.abc import Callable

from graphql import FieldNode, IntValueNode

from gateway.accounts.paging import MAX_COUNT

#: Items per upstream page the estimate assumes: the reference API's and TMDB's.
#: The gateway reads the real size off page 1 (`paging.page_size`).
ASSUMED_PAGE_SIZE = 20
_LISTS = ("favorites", "watchlist", "rated")
_WRITES = ("setFavorite", "setWatchlist", "rate", "deleteRating")
_PAYLOADS = ("FavoritePayload", "WatchlistPayload", "RatingPayload")

FieldCost = Callable[[FieldNode], int]


def _one(_: FieldNode) -> int:
    return 1


def connection_pages(field: FieldNode) -> int:
    """Upstream pages a connection may read: page 1, and the pages holding its
    window, which may straddle one more (README, "Connections"): ⌈n/s⌉ + 2.

    A count given by a variable, out of range or not an integer counts as the
    largest allowed; the arguments' own checks refuse what is out of range.
    """
    counts = [
        int(argument.value.value)
        if isinstance(argument.value, IntValueNode)
        else MAX_COUNT
        for argument in field.arguments or ()
        if argument.name.value in ("first", "last")
    ]
    count = min(max(counts, default=0), MAX_COUNT)
    return math.ceil(max(count, 1) / ASSUMED_PAGE_SIZE) + 2


#: (parent type, field) → its upstream calls; any other field costs none.
FIELD_COSTS: dict[tuple[str, str], FieldCost] = {
    ("Query", "account"): _one,
    ("Query", "_entities"): _one,  # the caller's account, for Account references
    **{("Account", name): _one for name in _LISTS},
    **{("Account", f"{name}Connection"): connection_pages for name in _LISTS},
    **{("Mutation", name): _one for name in _WRITES},
    **{(payload, "account"): _one for payload in _PAYLOADS},
}


def field_cost(parent_type: str, field: FieldNode) -> int:
    """The upstream calls one field of `parent_type` may make, its subfields aside."""
    cost = FIELD_COSTS.get((parent_type, field.name.value))
    return cost(field) if cost is not None else 0

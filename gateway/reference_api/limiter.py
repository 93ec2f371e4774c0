"""A per-key sliding-window rate limiter, as the documented API applies per token."""

import math
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Admit at most `limit` requests per `window` seconds for each key.

    A log of admission times per key (not fixed buckets), so a burst at a bucket
    boundary cannot pass twice the limit. `clock` is injectable for tests.
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"rate limit needs limit >= 1 and window > 0, not {limit}")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._admitted: dict[str, deque[float]] = {}

    def admit(self, key: str) -> int | None:
        """Record a request for `key`; None if admitted, else Retry-After seconds."""
        now = self._clock()
        log = self._admitted.setdefault(key, deque())
        while log and log[0] <= now - self.window:
            log.popleft()
        if len(log) < self.limit:
            log.append(now)
            return None
        return max(1, math.ceil(log[0] + self.window - now))

"""When an upstream call is tried again, after how long, and when it gives up.

One call has one deadline, the session's total timeout: its attempts and the waits
between them all fit inside it, so retrying never makes a call outlast the
configured upstream timeout (DESIGN.md invariant 3).

Only GETs are retried: a POST or DELETE that failed may still have changed
upstream, and nothing tells the gateway whether it did. A GET is retried after

- `UpstreamUnavailable` (refused or reset connection, timeout) and a 502, 503 or
  504, with full-jitter exponential backoff: before retry n (from 0) it waits a
  uniform random time in [0, backoff * 2**n), which spreads the retries of many
  callers instead of synchronising them;
- a 429 whose Retry-After is at most `retry_after_max` seconds, once per call,
  after waiting exactly that long; any other 429 is raised at once.

`UpstreamCircuitOpen` is never retried: the breaker has already decided.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.upstream.errors import (
    UpstreamBroken,
    UpstreamCircuitOpen,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamUnavailable,
)

#: Statuses that say "try again": a proxy could not reach upstream, or it is busy.
RETRIED_STATUSES = frozenset({502, 503, 504})
#: DELETE is idempotent in HTTP, but a retried DELETE of a rating may remove one
#: the caller set again in between; only reads are retried.
RETRIED_METHODS = frozenset({"GET"})

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How GETs are retried; `retries=0` turns retrying off.

    `retries` is the most extra attempts after the first; `backoff` the base in
    seconds of the jittered backoff; `retry_after_max` the longest Retry-After a
    429 may ask for and still be waited out. `attempt_timeout` bounds an attempt
    that another may follow (0: it may use all that remains of the deadline); the
    last permitted attempt always gets all that remains.
    """

    retries: int = 0
    backoff: float = 0.05
    retry_after_max: float = 1.0
    attempt_timeout: float = 0.0

    def start(
        self, method: str, deadline: float | None, *, clock: Clock = time.monotonic
    ) -> "Attempts":
        """The retry state of one `method` call that ends at `deadline` (clock time)."""
        retries = self.retries if method in RETRIED_METHODS else 0
        return Attempts(self, retries, deadline, clock=clock)


class Attempts:
    """The retry state of one call: attempts left, the deadline, 429s waited out."""

    def __init__(
        self,
        policy: RetryPolicy,
        retries: int,
        deadline: float | None,
        *,
        clock: Clock = time.monotonic,
        jitter: Callable[[float], float] = lambda high: random.uniform(0, high),
    ) -> None:
        self._policy = policy
        self._left = retries
        self._deadline = deadline
        self._clock = clock
        self._jitter = jitter
        self._retried = 0
        self._waited_for_rate_limit = False

    def timeout(self) -> float | None:
        """Seconds the next attempt may take (None: no limit at all)."""
        remaining = self.remaining()
        limit = self._policy.attempt_timeout
        if not (self._left and limit):
            return remaining
        return limit if remaining is None else min(limit, remaining)

    def remaining(self) -> float | None:
        """Seconds left until the deadline, at least 0 (None: no deadline)."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - self._clock())

    def delay_before_retry(self, error: UpstreamError) -> float | None:
        """Seconds to wait before trying again after `error`, or None to raise it."""
        if not self._left:
            return None
        delay = self._delay_after(error)
        remaining = self.remaining()
        if delay is None or (remaining is not None and delay >= remaining):
            return None
        self._left -= 1
        self._retried += 1
        return delay

    def _delay_after(self, error: UpstreamError) -> float | None:
        match error:
            case UpstreamCircuitOpen():
                return None
            case UpstreamUnavailable():
                return self._backoff()
            case UpstreamBroken(status=status) if status in RETRIED_STATUSES:
                return self._backoff()
            case UpstreamRateLimited(retry_after=float() as wait):
                return self._rate_limit_wait(wait)
        return None

    def _rate_limit_wait(self, wait: float) -> float | None:
        if self._waited_for_rate_limit or wait > self._policy.retry_after_max:
            return None
        self._waited_for_rate_limit = True
        return wait

    def _backoff(self) -> float:
        return self._jitter(self._policy.backoff * 2**self._retried)

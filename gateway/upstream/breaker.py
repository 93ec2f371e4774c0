"""`CircuitBreaker`: stop calling an upstream that keeps failing, and probe it soon.

One breaker per process guards the whole REST API. It follows two systems that do
this at scale:

- resilience4j's CircuitBreaker (https://resilience4j.readme.io/docs/circuitbreaker).
  While closed, the outcomes of the last `window` seconds are aggregated in
  slices (its `slidingWindowType=TIME_BASED` of `slidingWindowSize` seconds); the
  breaker opens once at least `min_calls` were recorded (`minimumNumberOfCalls`)
  and at least `failure_rate` percent of them failed (`failureRateThreshold`).
  When its open time is over (`waitDurationInOpenState`) it turns half-open and
  lets `probes` attempts through (`permittedNumberOfCallsInHalfOpenState`); their
  failure rate, against the same threshold, closes it or opens it again.
- Envoy's outlier detection (https://www.envoyproxy.io/docs/envoy/latest/api-v3/
  config/cluster/v3/outlier_detection.proto): a host ejected n times in a row stays
  out for `base_ejection_time` times n, capped at `max_ejection_time`. Here the
  n-th opening in a row lasts `min(open_time * n, max_open_time)`; every failed
  half-open round is one more. The count starts again once the breaker has stayed
  closed for a whole `window`, as Envoy's multiplier decays while a host is healthy.

Why a rate, not failures in a row: a burst of 503s among many answers is what
retries are for, and opening on it turned every blip into an outage of its own.
Why open times far shorter than those systems' defaults (30 s, 60 s): they eject
one host of many, while here the only upstream is behind the breaker and every
second it stays open is a second of stale data or `UPSTREAM_UNAVAILABLE` for all
callers. Short open times shed the load all the same: a dead upstream gets at most
`probes` attempts per open time from each process.

It counts attempts, not calls: every attempt that ends unavailable (refused,
reset, timed out) or with a 5xx is a failure, and any other answer, 4xx and 429
included, proves upstream alive. Each admitted attempt holds a `Permit` naming the
state it was admitted in; an outcome arriving after that state ended (an attempt
sent while closed that times out once the breaker is half-open) is no evidence
about the new one and is dropped.

```
closed ──rate ≥ threshold──▶ open ──open time passed──▶ half_open
  ▲                           ▲                            │
  │                           └───probes mostly failed─────┤
  └─────────────────probes mostly answered─────────────────┘
```
"""

import enum
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
#: Slices of the sliding window: its memory stays the same at any call rate.
SLICES = 10


class BreakerState(enum.Enum):
    """Where the breaker stands; the values are the metric's state names."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When the breaker opens and for how long; `enabled=False` turns it off.

    `failure_rate` is a percentage; times are in seconds.
    """

    enabled: bool = True
    window: float = 10.0
    min_calls: int = 10
    failure_rate: float = 50.0
    probes: int = 3
    open_time: float = 0.2
    max_open_time: float = 0.5

    def open_for(self, openings: int) -> float:
        """How long the `openings`-th opening in a row lasts."""
        return min(self.open_time * openings, self.max_open_time)

    def failures_to_reopen(self) -> int:
        """Failed probes of one half-open round that reach the failure rate."""
        return max(1, math.ceil(self.probes * self.failure_rate / 100))


@dataclass(frozen=True, slots=True)
class Permit:
    """An admitted attempt: the state's `epoch` it was admitted in, and whether it
    is one of a half-open round's probes."""

    epoch: int
    probe: bool = False


class _Window:
    """Attempt outcomes of the last `span` seconds, summed per slice of the span
    (resilience4j's partial aggregations), with running totals."""

    def __init__(self, span: float, clock: Clock) -> None:
        self._slice = span / SLICES
        self._clock = clock
        self._slices: deque[tuple[int, int, int]] = deque()  # (index, calls, failed)
        self.calls = 0
        self.failures = 0

    def add(self, *, failed: bool) -> None:
        index = math.floor(self._clock() / self._slice)
        while self._slices and self._slices[0][0] <= index - SLICES:
            _, calls, failures = self._slices.popleft()
            self.calls -= calls
            self.failures -= failures
        if self._slices and self._slices[-1][0] == index:
            _, calls, failures = self._slices.pop()
        else:
            calls = failures = 0
        self._slices.append((index, calls + 1, failures + failed))
        self.calls += 1
        self.failures += failed

    def clear(self) -> None:
        self._slices.clear()
        self.calls = self.failures = 0


class CircuitBreaker:
    """Admits upstream attempts as `policy` says, from the outcomes it is told.

    `on_change` is called with the new state on every transition (for metrics).
    """

    def __init__(
        self,
        policy: BreakerPolicy,
        *,
        clock: Clock = time.monotonic,
        on_change: Callable[[BreakerState], None] = lambda _: None,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._on_change = on_change
        self._window = _Window(policy.window, clock)
        self._state = BreakerState.CLOSED
        self._epoch = 0
        self._openings = 0  # in a row: reset once closed for a whole window
        self._closed_at = -math.inf
        self._open_until = 0.0
        self._probes_out = 0
        self._probes_answered = 0
        self._probes_failed = 0

    @property
    def state(self) -> BreakerState:
        """The current state (an open breaker turns half-open only on `admit`)."""
        return self._state

    @property
    def retry_in(self) -> float:
        """Seconds until an open breaker lets probes through (0 if it would now)."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._open_until - self._clock())

    def admit(self) -> Permit | None:
        """A permit if an attempt may go upstream now, else None; the caller must
        then `record` or `abandon` it.

        An open breaker whose open time has passed turns half-open, and admits
        attempts as probes until its round has `probes` of them out.
        """
        if self._state is BreakerState.OPEN and self.retry_in == 0:
            self._move(BreakerState.HALF_OPEN)
        if self._state is BreakerState.CLOSED:
            return Permit(self._epoch)
        if self._state is BreakerState.OPEN or self._round_taken():
            return None
        self._probes_out += 1
        return Permit(self._epoch, probe=True)

    def record(self, permit: Permit, *, failed: bool) -> None:
        """The outcome of an admitted attempt: `failed` if unavailable or 5xx."""
        if not self._policy.enabled or permit.epoch != self._epoch:
            return
        if permit.probe:
            self._judge_probe(failed=failed)
            return
        self._window.add(failed=failed)
        if self._tripped():
            self._open()

    def abandon(self, permit: Permit) -> None:
        """An admitted attempt ended without an answer (it was cancelled).

        This proves nothing about upstream; a probe's place goes to the next
        attempt instead of the round waiting for an answer forever.
        """
        if permit.probe and permit.epoch == self._epoch:
            self._probes_out -= 1

    def _round_taken(self) -> bool:
        """Whether this half-open round has sent all the probes it may."""
        sent = self._probes_out + self._probes_answered + self._probes_failed
        return sent >= self._policy.probes

    def _tripped(self) -> bool:
        calls, failures = self._window.calls, self._window.failures
        return (
            calls >= self._policy.min_calls
            and failures * 100 >= self._policy.failure_rate * calls
        )

    def _judge_probe(self, *, failed: bool) -> None:
        self._probes_out -= 1
        if failed:
            self._probes_failed += 1
        else:
            self._probes_answered += 1
        to_reopen = self._policy.failures_to_reopen()
        if self._probes_failed >= to_reopen:
            self._open()
        elif self._probes_answered > self._policy.probes - to_reopen:
            self._close()

    def _open(self) -> None:
        if self._state is BreakerState.CLOSED:
            if self._clock() - self._closed_at >= self._policy.window:
                self._openings = 0
            logger.warning(
                "upstream circuit open: %d of the last %d attempts failed",
                self._window.failures,
                self._window.calls,
            )
        self._openings += 1
        self._open_until = self._clock() + self._policy.open_for(self._openings)
        self._move(BreakerState.OPEN)

    def _close(self) -> None:
        self._closed_at = self._clock()
        self._move(BreakerState.CLOSED)
        logger.info("upstream circuit closed: its probes were answered")

    def _move(self, state: BreakerState) -> None:
        self._state = state
        self._epoch += 1
        self._window.clear()
        self._probes_out = self._probes_answered = self._probes_failed = 0
        self._on_change(state)

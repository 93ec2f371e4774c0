"""`CircuitBreaker`: stop calling an upstream that keeps failing, and probe it later.

One breaker per process guards the whole REST API. It counts attempts, not calls:
every attempt that ends unavailable (refused, reset, timed out) or with a 5xx is a
failure, and any other answer, 4xx included, proves upstream alive and resets the
count. So a retrying call adds one failure per attempt, and since every attempt
asks the breaker first, a retry loop stops as soon as the breaker opens.

```
closed ──failures in a row──▶ open ──cooldown passed, next call──▶ half_open
  ▲                            ▲                                      │
  └──────────probe answered────┼──────────────────────────────────────┤
                               └──────────probe failed────────────────┘
```

While half-open exactly one call, the probe, reaches upstream; the others fail at
once, as they do while open. `failures=0` turns the breaker off.
"""

import enum
import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class BreakerState(enum.Enum):
    """Where the breaker stands; the values are the metric's state names."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after `failures` failed attempts in a row, for `cooldown` seconds.

    `on_change` is called with the new state on every transition (for metrics).
    """

    def __init__(
        self,
        failures: int,
        cooldown: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] = lambda _: None,
    ) -> None:
        self._threshold = failures
        self._cooldown = cooldown
        self._clock = clock
        self._on_change = on_change
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """The current state (an open breaker turns half-open only on `admit`)."""
        return self._state

    @property
    def retry_in(self) -> float:
        """Seconds until an open breaker lets a probe through (0 if it would now)."""
        if self._state is BreakerState.CLOSED:
            return 0.0
        return max(0.0, self._opened_at + self._cooldown - self._clock())

    def admit(self) -> bool:
        """Whether an attempt may go upstream now; the caller must then `record` it.

        An open breaker whose cool-down has passed turns half-open and admits
        this attempt as its probe.
        """
        if self._state is BreakerState.OPEN and self.retry_in == 0:
            self._move(BreakerState.HALF_OPEN)
        if self._state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return self._state is BreakerState.CLOSED

    def record(self, *, failed: bool) -> None:
        """The outcome of an admitted attempt: `failed` if unavailable or 5xx."""
        if self._threshold == 0:
            return
        if not failed:
            self._failures = 0
            if self._state is BreakerState.HALF_OPEN:
                self._move(BreakerState.CLOSED)
            return
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or (
            self._state is BreakerState.CLOSED and self._failures >= self._threshold
        ):
            self._open()

    def abandon(self) -> None:
        """An admitted attempt ended without an answer (it was cancelled).

        This proves nothing about upstream; if it was the probe, the next call
        becomes the probe instead of the breaker waiting for an answer forever.
        """
        self._probing = False

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._move(BreakerState.OPEN)
        logger.warning(
            "upstream circuit open after %d failed attempts; next probe in %g s",
            self._failures,
            self._cooldown,
        )

    def _move(self, state: BreakerState) -> None:
        self._state = state
        self._probing = False
        self._on_change(state)

"""`CircuitBreaker`: a failure rate over a sliding window opens it, for a short time
that grows while its half-open probes keep failing."""

from typing import Any

from gateway.upstream.breaker import BreakerPolicy, BreakerState, CircuitBreaker

OPEN, HALF_OPEN, CLOSED = BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED
F, A = True, False  # an attempt that failed, one that was answered


class Clocked:
    """A breaker on a clock the test moves, and the transitions it reported."""

    def __init__(self, **policy: Any) -> None:
        options: dict[str, Any] = {"window": 10.0, "min_calls": 4, "probes": 3}
        options |= {"failure_rate": 50, "open_time": 1.0, "max_open_time": 3.0}
        self.now = 0.0
        self.changes: list[BreakerState] = []
        self.breaker = CircuitBreaker(
            BreakerPolicy(**(options | policy)),
            clock=lambda: self.now,
            on_change=self.changes.append,
        )

    def attempts(self, *outcomes: bool) -> None:
        """Admitted attempts, one after the other; True means it failed."""
        for failed in outcomes:
            permit = self.breaker.admit()
            assert permit is not None
            self.breaker.record(permit, failed=failed)

    def open(self) -> None:
        """From closed to open: four attempts, the minimum, all failed."""
        self.attempts(F, F, F, F)
        assert self.breaker.state is OPEN

    def pass_open_time(self) -> None:
        self.now += self.breaker.retry_in


def test_it_opens_at_the_failure_rate_once_the_window_has_the_minimum() -> None:
    clocked = Clocked(min_calls=6, failure_rate=50)
    clocked.attempts(F, F, F, F, F)  # every one failed, but fewer than six
    assert clocked.breaker.state is CLOSED
    clocked.attempts(A)  # six attempts, five failed: 83 %
    assert clocked.breaker.state is OPEN
    assert clocked.changes == [OPEN]


def test_a_burst_of_failures_among_many_answers_does_not_open_it() -> None:
    clocked = Clocked(min_calls=4, failure_rate=50)
    clocked.attempts(*[A] * 10, *[F] * 9)  # 9 of 19 failed in a row: 47 %
    assert clocked.breaker.state is CLOSED
    clocked.attempts(F)  # 10 of 20
    assert clocked.breaker.state is OPEN


def test_outcomes_older_than_the_window_no_longer_count() -> None:
    clocked = Clocked(window=10.0, min_calls=4)
    clocked.attempts(A, A, A, A, A, A)
    clocked.now = 10.5  # the answers above slid out of the window
    clocked.attempts(F, F, F)
    assert clocked.breaker.state is CLOSED  # three calls, below the minimum
    clocked.attempts(F)
    assert clocked.breaker.state is OPEN


def test_answers_within_the_window_still_dilute_later_failures() -> None:
    clocked = Clocked(window=10.0, min_calls=4)
    clocked.attempts(A, A, A, A, A, A)
    clocked.now = 8.0  # still within the window
    clocked.attempts(F, F, F, F, F)
    assert clocked.breaker.state is CLOSED  # 5 of 11
    clocked.attempts(F)
    assert clocked.breaker.state is OPEN  # 6 of 12


def test_open_refuses_until_its_open_time_passes() -> None:
    clocked = Clocked(open_time=1.0)
    clocked.open()
    clocked.now = 0.75
    assert clocked.breaker.admit() is None
    assert clocked.breaker.retry_in == 0.25
    clocked.now = 1.0
    assert clocked.breaker.admit() is not None
    assert clocked.breaker.state is HALF_OPEN


def test_half_open_lets_that_many_probes_through_and_refuses_the_rest() -> None:
    clocked = Clocked(probes=3)
    clocked.open()
    clocked.pass_open_time()
    probes = [clocked.breaker.admit() for _ in range(3)]
    assert all(permit is not None and permit.probe for permit in probes)
    assert clocked.breaker.admit() is None
    assert clocked.breaker.state is HALF_OPEN


def test_enough_answered_probes_close_it_without_waiting_for_the_last() -> None:
    clocked = Clocked(probes=3, failure_rate=50)
    clocked.open()
    clocked.pass_open_time()
    first, second, third = (clocked.breaker.admit() for _ in range(3))
    assert first and second and third
    clocked.breaker.record(first, failed=True)  # one probe met a fault
    clocked.breaker.record(second, failed=False)
    assert clocked.breaker.state is HALF_OPEN
    clocked.breaker.record(third, failed=False)  # 1 of 3 failed: under 50 %
    assert clocked.changes == [OPEN, HALF_OPEN, CLOSED]
    assert clocked.breaker.admit() is not None


def test_failed_probes_open_it_for_longer_each_time_up_to_the_cap() -> None:
    clocked = Clocked(open_time=1.0, max_open_time=2.5, probes=1)
    clocked.open()
    open_times = []
    for _ in range(4):
        open_times.append(clocked.breaker.retry_in)
        clocked.pass_open_time()
        clocked.attempts(F)  # the probe fails: open again
    assert open_times == [1.0, 2.0, 2.5, 2.5]


def test_the_open_time_starts_short_again_after_a_whole_window_closed() -> None:
    clocked = Clocked(window=10.0, open_time=1.0, probes=1)
    clocked.open()
    clocked.pass_open_time()
    clocked.attempts(F)  # opened twice in a row now
    clocked.pass_open_time()
    clocked.attempts(A)  # closed
    clocked.open()  # soon after: it opens for longer still
    assert clocked.breaker.retry_in == 3.0
    clocked.pass_open_time()
    clocked.attempts(A)
    clocked.now += 10.0  # a whole window closed
    clocked.open()
    assert clocked.breaker.retry_in == 1.0


def test_late_outcomes_of_attempts_sent_before_opening_are_ignored() -> None:
    """As in a hang: many attempts out at once, timing out one after the other."""
    clocked = Clocked(probes=1, min_calls=4, open_time=1.0)
    late = [clocked.breaker.admit() for _ in range(6)]
    assert all(late)
    clocked.open()
    for permit in late[:5]:  # they time out once the breaker is open
        assert permit
        clocked.breaker.record(permit, failed=True)
    assert clocked.breaker.retry_in == 1.0  # not opened again, for longer
    clocked.pass_open_time()
    probe = clocked.breaker.admit()
    assert probe and late[5]
    clocked.breaker.record(late[5], failed=False)  # no evidence about the probe's
    assert clocked.breaker.state is HALF_OPEN
    clocked.breaker.record(probe, failed=False)
    assert clocked.breaker.state is CLOSED


def test_an_abandoned_probe_lets_another_attempt_probe() -> None:
    clocked = Clocked(probes=1)
    clocked.open()
    clocked.pass_open_time()
    probe = clocked.breaker.admit()
    assert probe is not None and clocked.breaker.admit() is None
    clocked.breaker.abandon(probe)  # cancelled: no evidence either way
    assert clocked.breaker.state is HALF_OPEN
    assert clocked.breaker.admit() is not None


def test_a_closed_window_starts_empty() -> None:
    clocked = Clocked(probes=1, min_calls=4)
    clocked.open()
    clocked.pass_open_time()
    clocked.attempts(A)  # closed
    clocked.attempts(F, F, F)  # the failures before the opening are forgotten
    assert clocked.breaker.state is CLOSED


def test_disabled_it_admits_everything_and_never_opens() -> None:
    clocked = Clocked(enabled=False)
    clocked.attempts(*[F] * 100)
    assert clocked.breaker.state is CLOSED and clocked.changes == []

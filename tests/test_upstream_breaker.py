"""`CircuitBreaker`: closed, open for a cool-down, then one probe decides."""

from gateway.upstream.breaker import BreakerState, CircuitBreaker


def breaker(
    failures: int = 3, cooldown: float = 5.0
) -> tuple[CircuitBreaker, list[float], list[BreakerState]]:
    """A breaker on a clock the test moves, and the transitions it reported."""
    now, changes = [0.0], []
    made = CircuitBreaker(
        failures, cooldown, clock=lambda: now[0], on_change=changes.append
    )
    return made, now, changes


def fail(target: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert target.admit()
        target.record(failed=True)


def test_opens_after_that_many_failures_in_a_row() -> None:
    target, _, changes = breaker(failures=3)
    fail(target, 2)
    target.record(failed=False)  # an answer (a 4xx too) resets the count
    fail(target, 2)
    assert target.state is BreakerState.CLOSED
    fail(target, 1)
    assert target.state is BreakerState.OPEN
    assert changes == [BreakerState.OPEN]


def test_open_refuses_until_the_cooldown_passes() -> None:
    target, now, _ = breaker(failures=1, cooldown=5.0)
    fail(target, 1)
    now[0] = 4.0
    assert not target.admit()
    assert target.retry_in == 1.0
    now[0] = 5.0
    assert target.admit()
    assert target.state is BreakerState.HALF_OPEN


def test_half_open_lets_one_probe_through_and_its_success_closes() -> None:
    target, now, changes = breaker(failures=1, cooldown=5.0)
    fail(target, 1)
    now[0] = 5.0
    assert target.admit()
    assert not target.admit()  # the probe is still out
    target.record(failed=False)
    assert target.state is BreakerState.CLOSED
    assert target.admit() and target.admit()
    assert changes == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]


def test_a_failed_probe_opens_for_another_cooldown() -> None:
    target, now, _ = breaker(failures=2, cooldown=5.0)
    fail(target, 2)
    now[0] = 6.0
    fail(target, 1)
    assert target.state is BreakerState.OPEN
    now[0] = 10.0
    assert not target.admit()
    assert target.retry_in == 1.0


def test_an_abandoned_probe_lets_the_next_call_probe() -> None:
    target, now, _ = breaker(failures=1, cooldown=1.0)
    fail(target, 1)
    now[0] = 1.0
    assert target.admit()
    target.abandon()  # cancelled: no evidence either way
    assert target.state is BreakerState.HALF_OPEN
    assert target.admit()


def test_zero_failures_turns_it_off() -> None:
    target, _, changes = breaker(failures=0)
    fail(target, 100)
    assert target.state is BreakerState.CLOSED and changes == []

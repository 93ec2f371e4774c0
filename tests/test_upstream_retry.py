"""`RetryPolicy`: which failures are retried, how long apart, and until when."""

import pytest

from gateway.upstream.errors import (
    UpstreamBadBody,
    UpstreamBroken,
    UpstreamCircuitOpen,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)
from gateway.upstream.retry import Attempts, RetryPolicy

WHERE = {"method": "GET", "url": "http://api.example/api/account"}


def attempts(
    policy: RetryPolicy, *, now: list[float] | None = None, deadline: float = 100.0
) -> Attempts:
    """Attempts of a GET with the clock at `now[0]` and the largest jitter."""
    clock = now or [0.0]
    return Attempts(
        policy,
        policy.retries,
        deadline,
        clock=lambda: clock[0],
        jitter=lambda high: high,
    )


def broken(status: int) -> UpstreamBroken:
    return UpstreamBroken(status, "", **WHERE)


def rate_limited(retry_after: float | None) -> UpstreamRateLimited:
    return UpstreamRateLimited(429, "", retry_after=retry_after, **WHERE)


def test_gets_retry_unavailable_and_gateway_statuses_with_doubling_backoff() -> None:
    retry = attempts(RetryPolicy(retries=4, backoff=0.1))
    errors = [broken(503), broken(502), UpstreamUnavailable(**WHERE), broken(504)]
    delays = [retry.delay_before_retry(error) for error in errors]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8])
    assert retry.delay_before_retry(broken(503)) is None  # no retries left


@pytest.mark.parametrize(
    "error",
    [
        broken(500),
        UpstreamNotFound(404, "", **WHERE),
        UpstreamRejected(401, "", **WHERE),
        UpstreamBadBody("not JSON", **WHERE),
        UpstreamCircuitOpen(3.0, **WHERE),
        rate_limited(None),
    ],
    ids=["500", "404", "401", "bad-body", "circuit-open", "429-without-wait"],
)
def test_other_failures_are_raised_at_once(error: UpstreamError) -> None:
    assert attempts(RetryPolicy(retries=2)).delay_before_retry(error) is None


def test_full_jitter_waits_between_nothing_and_the_doubled_backoff() -> None:
    policy = RetryPolicy(retries=3, backoff=0.1)
    for _ in range(200):
        retry = Attempts(policy, policy.retries, None)
        delays = [retry.delay_before_retry(broken(503)) for _ in range(3)]
        assert all(
            delay is not None and 0 <= delay <= 0.1 * 2**n
            for n, delay in enumerate(delays)
        )


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_mutations_are_never_retried(method: str) -> None:
    retry = RetryPolicy(retries=5).start(method, deadline=None)
    assert retry.delay_before_retry(UpstreamUnavailable(**WHERE)) is None
    assert retry.delay_before_retry(broken(503)) is None


def test_no_retries_when_turned_off() -> None:
    retry = RetryPolicy(retries=0).start("GET", deadline=None)
    assert retry.delay_before_retry(broken(503)) is None


def test_a_short_retry_after_is_waited_out_once() -> None:
    retry = attempts(RetryPolicy(retries=3, retry_after_max=1.0))
    assert retry.delay_before_retry(rate_limited(0.5)) == 0.5
    assert retry.delay_before_retry(rate_limited(0.5)) is None


def test_a_long_retry_after_is_raised_at_once() -> None:
    retry = attempts(RetryPolicy(retries=3, retry_after_max=1.0))
    assert retry.delay_before_retry(rate_limited(1.5)) is None


def test_no_wait_reaches_past_the_deadline() -> None:
    now = [9.0]
    retry = attempts(RetryPolicy(retries=3, backoff=0.6), now=now, deadline=10.0)
    assert retry.delay_before_retry(broken(503)) == pytest.approx(0.6)
    now[0] = 9.7
    assert retry.delay_before_retry(broken(503)) is None  # 1.2 s > 0.3 s left
    assert retry.delay_before_retry(rate_limited(0.5)) is None


def test_an_attempt_that_a_retry_may_follow_gets_the_attempt_timeout() -> None:
    now = [0.0]
    policy = RetryPolicy(retries=1, attempt_timeout=2.0)
    retry = attempts(policy, now=now, deadline=10.0)
    assert retry.timeout() == 2.0
    now[0] = 9.0
    assert retry.timeout() == 1.0  # never more than remains
    now[0] = 2.0
    retry.delay_before_retry(broken(503))
    assert retry.timeout() == 8.0  # the last attempt gets all that remains


def test_without_attempt_timeout_each_attempt_may_use_the_rest() -> None:
    now = [3.0]
    assert attempts(RetryPolicy(retries=2), now=now, deadline=10.0).timeout() == 7.0
    assert Attempts(RetryPolicy(retries=2), 2, None).timeout() is None

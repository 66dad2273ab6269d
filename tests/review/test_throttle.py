from __future__ import annotations

from datetime import UTC, datetime, timedelta

from review.throttle import LoginThrottle

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_the_first_attempts_cost_nothing_then_each_one_doubles_the_wait() -> None:
    throttle = LoginThrottle(free=3, max_delay=timedelta(seconds=10))
    now = START
    for _ in range(2):
        assert throttle.attempt("10.0.0.1", now) == 0
        assert throttle.retry_after("10.0.0.1", now) == 0
    waits = []
    for _ in range(5):
        assert throttle.attempt("10.0.0.1", now) == 0
        waits.append(throttle.retry_after("10.0.0.1", now))
        assert throttle.attempt("10.0.0.1", now) == waits[-1]  # refused: not counted
        now += timedelta(seconds=waits[-1])
    assert waits == [1, 2, 4, 8, 10]
    assert throttle.retry_after("10.0.0.2", now) == 0


def test_attempts_older_than_the_window_are_forgotten() -> None:
    throttle = LoginThrottle(free=2, window=timedelta(minutes=15))
    throttle.attempt("10.0.0.1", START)
    later = START + timedelta(minutes=16)
    assert throttle.attempt("10.0.0.1", later) == 0
    assert throttle.retry_after("10.0.0.1", later) == 0


def test_a_successful_sign_in_takes_back_its_own_attempt_only() -> None:
    throttle = LoginThrottle(free=3)
    for second in range(2):
        throttle.attempt("10.0.0.1", START + timedelta(seconds=second))
    signed_in = START + timedelta(seconds=5)
    assert throttle.attempt("10.0.0.1", signed_in) == 0
    assert throttle.retry_after("10.0.0.1", signed_in) == 1  # the third attempt: wait next
    throttle.succeeded("10.0.0.1", signed_in)
    assert throttle.retry_after("10.0.0.1", signed_in) == 0
    assert throttle.attempt("10.0.0.1", signed_in) == 0
    assert throttle.retry_after("10.0.0.1", signed_in) == 1  # the two failures still count

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from review.throttle import LoginThrottle

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_the_first_failures_cost_nothing_then_each_one_doubles_the_wait() -> None:
    throttle = LoginThrottle(free=3, max_delay=timedelta(seconds=10))
    now = START
    for _ in range(3):
        throttle.failure("10.0.0.1", now)
        assert throttle.retry_after("10.0.0.1", now) == 0
    waits = []
    for _ in range(5):
        throttle.failure("10.0.0.1", now)
        waits.append(throttle.retry_after("10.0.0.1", now))
        now += timedelta(seconds=waits[-1])
    assert waits == [1, 2, 4, 8, 10]
    assert throttle.retry_after("10.0.0.2", now) == 0


def test_failures_older_than_the_window_are_forgotten() -> None:
    throttle = LoginThrottle(free=2, window=timedelta(minutes=15))
    for _ in range(2):
        throttle.failure("10.0.0.1", START)
    later = START + timedelta(minutes=16)
    throttle.failure("10.0.0.1", later)
    assert throttle.retry_after("10.0.0.1", later) == 0

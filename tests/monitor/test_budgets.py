"""Meta's budgets, kept apart: pages and Messenger per page, the app, and 2 conversation calls a
second per page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy.orm import Session, sessionmaker

from monitor.governor import Governor, Pacer
from simulator import GraphSimulator, World
from tests.clock import Clock
from tests.monitor.harness import PAGES, make_daemon, settings_for

CAM = PAGES[0][0]
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def usage(page_id: str, **percent_by_type: int) -> dict[str, str]:
    entries = [
        {"type": kind, "call_count": pct, "total_cputime": 1, "total_time": 1}
        for kind, pct in percent_by_type.items()
    ]
    return {"X-Business-Use-Case-Usage": json.dumps({page_id: entries})}


def test_a_tight_messenger_budget_leaves_the_pages_budget_of_the_same_page_alone() -> None:
    governor = Governor(Clock(START))
    governor.observe(usage(CAM, pages=12, messenger=95))
    assert governor.level(CAM, "messenger") == "paused"
    assert governor.level(CAM, "pages") == "normal"
    governor.observe(usage(CAM, pages=80))
    assert governor.level(CAM, "pages") == "essential"
    assert governor.level(CAM, "messenger") == "paused"


def test_a_messenger_throttle_pauses_messenger_only() -> None:
    clock = Clock(START)
    governor = Governor(clock)
    governor.throttled(CAM, 120, "messenger")
    assert governor.level(CAM, "messenger") == "paused"
    assert governor.level(CAM, "pages") == "normal"
    clock.advance(seconds=121)
    assert governor.level(CAM, "messenger") == "normal"


def test_conversation_calls_are_paced_to_two_a_second_per_page() -> None:
    now = [100.0]
    waited: list[float] = []

    def wait(seconds: float) -> None:
        waited.append(round(seconds, 3))
        now[0] += seconds

    pace = Pacer(2.0, wait, monotonic=lambda: now[0])
    for _ in range(5):
        pace(CAM)
    pace("other page")  # another page has its own two a second
    assert waited == [0.5, 0.5, 0.5, 0.5]
    now[0] += 10  # idle for a while: the next call goes at once
    pace(CAM)
    assert len(waited) == 4


def test_messenger_is_read_less_often_while_its_budget_is_tight(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    world.add_message(CAM, ("9001", "Nguyễn Thị Lan"), "chào ad")
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    daemon.poll_cycle()
    # Another app on the page spends about 60 % of the page's Messenger budget.
    world.set_messenger_budget(CAM, 100, 86400)
    url = f"{sim.base_url}/v25.0/{CAM}/conversations"
    for _ in range(60):
        requests.get(url, params={"access_token": PAGES[0][3]}, timeout=5)
    daemon.governor.observe(usage(CAM, messenger=60))
    inbox_reads = []
    for _ in range(7):
        clock.advance(seconds=5)  # harness poll_interval_seconds
        sim.stats.reset()
        assert all(r.ok for r in daemon.poll_cycle())
        # The page has no posts: one call is the feed's, a second one the inbox's.
        inbox_reads.append(sim.stats.snapshot()["calls_by_page"].get(CAM, 0) > 1)
    # Every third cycle (it was read just before the budget got tight), not every cycle.
    assert inbox_reads == [False, False, True, False, False, True, False]
    assert daemon.governor.level(CAM, "pages") == "normal"


def test_a_usage_reading_stored_an_hour_ago_does_not_slow_a_restarted_daemon() -> None:
    clock = Clock(START)
    stale, recent = Governor(clock), Governor(clock)
    stale.restore(CAM, 80.0, None, observed_at=START - timedelta(hours=1))
    recent.restore(CAM, 80.0, None, observed_at=START - timedelta(minutes=2))
    assert stale.level(CAM) == "normal"
    assert recent.level(CAM) == "essential"

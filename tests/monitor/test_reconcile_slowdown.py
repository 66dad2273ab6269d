"""While a page's webhooks are healthy, reconciliation checks its objects less often; it never
stops, and silence brings the normal intervals back at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from config.settings import PollSettings, WebhookSettings
from monitor.daemon import Daemon
from monitor.reconcile import Tiers
from simulator import GraphSimulator, World
from storage import poll_state
from storage import webhooks as webhook_state
from storage.tables import Post
from tests.clock import Clock
from tests.monitor.harness import PAGES, make_daemon, settings_for, stored, world_with_pages

CAM = PAGES[0][0]
CITIZEN = ("9001", "Nguyễn Thị Lan")
HOUR = timedelta(hours=1)
NOW = datetime(2026, 12, 6, 2, 0)


@pytest.fixture
def world(clock: Clock) -> World:
    return world_with_pages(clock=clock)


@pytest.fixture
def sim(world: World) -> Iterator[GraphSimulator]:
    with GraphSimulator(world) as server:
        yield server


def daemon_for(
    sim: GraphSimulator,
    sessions: sessionmaker[Session],
    clock: Clock,
    *,
    enabled: bool = True,
    slowdown: int = 4,
) -> Daemon:
    # One post per feed page: an old post's comments reach pakn only through reconciliation.
    settings = settings_for(sim.base_url, "unused", feed_page_limit=1)
    hooks = WebhookSettings(enabled=enabled, reconcile_slowdown=slowdown)
    return make_daemon(dataclasses.replace(settings, webhooks=hooks), sessions, clock=clock)


def webhook_event(sessions: sessionmaker[Session], clock: Clock) -> None:
    """The page's webhooks deliver something (another comment, a message): they work."""
    with sessions.begin() as session:
        webhook_state.note_events(session, [CAM], clock())


def cycle(daemon: Daemon, clock: Clock, minutes: float = 5) -> None:
    clock.advance(minutes=minutes)
    results = daemon.poll_cycle()
    assert all(r.ok for r in results), results


def schedule(sessions: sessionmaker[Session], post_id: str) -> tuple[datetime, datetime]:
    with sessions.begin() as session:
        post = session.get(Post, post_id)
        assert post is not None and post.checked_at and post.next_check_at
        return post.checked_at, post.next_check_at


def checked_now(daemon: Daemon, sessions: sessionmaker[Session], clock: Clock, post: str) -> None:
    """Check the post at the next cycle (as a webhook's "check now" does), then run it."""
    with sessions.begin() as session:
        poll_state.request_check(session, post, clock())
    cycle(daemon, clock, minutes=1)


def old_post(world: World, clock: Clock) -> str:
    """A 200-day-old post (hourly tier) behind a newer one on the first feed page."""
    post = world.add_post(
        CAM, "Lịch tiếp công dân năm 2026", created_time=clock() - 200 * 24 * HOUR
    )
    world.add_post(CAM, "Thông báo cắt điện", created_time=clock() - 24 * HOUR)
    return post


def gap_after_a_check(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    *,
    healthy: bool,
    **kw: int | bool,
) -> timedelta:
    post = old_post(world, clock)
    daemon = daemon_for(sim, sessions, clock, **kw)  # type: ignore[arg-type]
    cycle(daemon, clock)
    if healthy:
        webhook_event(sessions, clock)
    checked_now(daemon, sessions, clock, post)
    checked, next_check = schedule(sessions, post)
    return next_check - checked


def test_the_tiers_stretch_by_the_factor_and_every_cycle_becomes_every_fourth_cycle() -> None:
    poll = PollSettings()
    normal, slowed = Tiers(poll), Tiers(poll, 4, timedelta(seconds=60))
    young, month, old = NOW - 2 * 24 * HOUR, NOW - 20 * 24 * HOUR, NOW - 200 * 24 * HOUR
    assert normal.interval("post", young, NOW) == timedelta(0)
    assert slowed.interval("post", young, NOW) == timedelta(minutes=4)
    assert slowed.interval("photo", young, NOW) == 4 * normal.interval("photo", young, NOW)
    assert slowed.interval("post", month, NOW) == 4 * normal.interval("post", month, NOW)
    assert slowed.interval("post", old, NOW) == 4 * normal.interval("post", old, NOW) == 4 * HOUR
    # "Every cycle" slowed is bounded by the normal warm interval, however long the cycle.
    assert Tiers(poll, 4, timedelta(minutes=30)).interval("post", young, NOW) == timedelta(
        minutes=10
    )


def test_with_healthy_webhooks_an_old_posts_next_check_is_four_times_further_away(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    gap = gap_after_a_check(sim, world, sessions, clock, healthy=True)
    # The normal hourly tier, times 4, up to a tenth early.
    assert 0.9 * 4 * HOUR <= gap <= 4 * HOUR


@pytest.mark.parametrize(
    ("healthy", "settings"),
    [
        (False, {}),
        (True, {"slowdown": 1}),
        (True, {"enabled": False}),
    ],
    ids=["webhooks-never-seen", "slowdown-1", "webhooks-off"],
)
def test_without_healthy_webhooks_or_with_slowdown_1_the_interval_is_unchanged(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    healthy: bool,
    settings: dict[str, int | bool],
) -> None:
    gap = gap_after_a_check(sim, world, sessions, clock, healthy=healthy, **settings)
    assert 0.9 * HOUR <= gap <= HOUR


def test_a_comment_webhooks_missed_is_still_found_by_reconciliation_within_the_slowed_interval(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    post = old_post(world, clock)
    daemon = daemon_for(sim, sessions, clock)
    cycle(daemon, clock)
    webhook_event(sessions, clock)
    checked_now(daemon, sessions, clock, post)
    comment = world.add_comment(post, CITIZEN, "Xin hỏi lịch tiếp dân tháng này")  # no delivery
    minutes = 0
    while ("facebook_comment", comment) not in stored(sessions) and minutes < 300:
        webhook_event(sessions, clock)  # the page's webhooks keep working for other events
        cycle(daemon, clock)
        minutes += 5
    assert ("facebook_comment", comment) in stored(sessions)
    # Later than the normal hourly tier (the slowdown is real), within four hours plus a cycle.
    assert 60 < minutes <= 245


def test_when_webhooks_fall_silent_the_normal_interval_comes_back_at_once(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    post = old_post(world, clock)
    daemon = daemon_for(sim, sessions, clock)
    cycle(daemon, clock)
    webhook_event(sessions, clock)
    checked_now(daemon, sessions, clock, post)
    assert schedule(sessions, post)[1] - clock() > 3 * HOUR
    comment = world.add_comment(post, CITIZEN, "Đèn đường thôn Đông hỏng")
    # No event for 30 minutes: silent. The next cycle brings the check within the hour.
    clock.advance(minutes=30)
    cycle(daemon, clock, minutes=1)
    silent_at = clock()
    assert schedule(sessions, post)[1] <= silent_at + HOUR
    while ("facebook_comment", comment) not in stored(sessions) and clock() < silent_at + 2 * HOUR:
        cycle(daemon, clock)
    assert ("facebook_comment", comment) in stored(sessions)
    assert clock() <= silent_at + HOUR + timedelta(minutes=5)

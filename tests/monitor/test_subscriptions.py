"""The daemon reads each page's webhook subscription when it starts, then every hour."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from config.settings import WebhookSettings
from monitor.daemon import Daemon
from monitor.jobs import register_jobs
from simulator import GraphSimulator, World
from storage import webhooks as store
from storage.tables import WebhookPageState
from tests.clock import Clock
from tests.monitor.harness import PAGES, make_daemon, settings_for, world_with_pages

CAM, CAM2, AIQ = (p[0] for p in PAGES)
TOKEN_CAM2 = PAGES[1][3]


@pytest.fixture
def world(clock: Clock) -> World:
    return world_with_pages(clock=clock)


@pytest.fixture
def sim(world: World) -> Iterator[GraphSimulator]:
    with GraphSimulator(world) as server:
        server.router.diagnostics.subscribe(CAM, ("feed", "messages"))
        # A token without pages_show_list may not read the page's subscriptions.
        scopes = ("pages_read_engagement", "pages_read_user_content", "pages_messaging")
        server.router.diagnostics.grant(TOKEN_CAM2, scopes=scopes)
        yield server


def daemon_for(sim: GraphSimulator, sessions: sessionmaker[Session], clock: Clock) -> Daemon:
    settings = settings_for(sim.base_url, "unused")
    webhooks = WebhookSettings(enabled=True)
    daemon = make_daemon(dataclasses.replace(settings, webhooks=webhooks), sessions, clock=clock)
    register_jobs(daemon)
    return daemon


def watch(daemon: Daemon) -> int:
    (job,) = [job for job in daemon.jobs if job.name == "subscriptions"]
    read = job.run()
    assert isinstance(read, int)
    return read


def subscription_reads(sim: GraphSimulator) -> int:
    paths = sim.stats.snapshot()["requests_by_path"]
    return sum(n for path, n in paths.items() if path.endswith("/subscribed_apps"))


def states(sessions: sessionmaker[Session]) -> dict[str, WebhookPageState]:
    with sessions.begin() as session:
        rows = session.query(WebhookPageState).all()
        for row in rows:
            session.expunge(row)
    return {r.page_id: r for r in rows}


def test_the_first_run_stores_each_pages_apps_and_fields_or_the_reason_in_vietnamese(
    sim: GraphSimulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    assert watch(daemon_for(sim, sessions, clock)) == 3
    found = states(sessions)
    cam = store.subscribed_apps(found[CAM].subscribed_apps)
    assert cam == (store.SubscribedApp("100000000000000", "pakn", ("feed", "messages")),)
    assert found[CAM].subscriptions_read_at == clock()
    assert store.subscribed_apps(found[AIQ].subscribed_apps) == ()  # no app installed: off
    assert found[CAM2].subscribed_apps is None  # unknown, not "off"
    assert "quyền" in (found[CAM2].subscriptions_error or "")


def test_the_subscription_is_read_again_after_an_hour_not_before(
    sim: GraphSimulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    daemon = daemon_for(sim, sessions, clock)
    watch(daemon)
    before = subscription_reads(sim)
    clock.advance(minutes=59)
    assert watch(daemon) == 0
    assert subscription_reads(sim) == before
    sim.router.diagnostics.unsubscribe(CAM)
    clock.advance(minutes=1)
    assert watch(daemon) == 3
    assert store.subscribed_apps(states(sessions)[CAM].subscribed_apps) == ()


def test_a_restarted_daemon_reads_every_page_at_once_but_a_tight_budget_waits(
    sim: GraphSimulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    watch(daemon_for(sim, sessions, clock))
    clock.advance(minutes=5)
    restarted = daemon_for(sim, sessions, clock)
    restarted.governor.throttled(AIQ, 600, "pages")
    assert watch(restarted) == 2  # AIQ is paused: left for a later run
    assert states(sessions)[AIQ].subscriptions_read_at == clock() - timedelta(minutes=5)

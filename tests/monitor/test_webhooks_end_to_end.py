"""Webhooks and polling together: a comment reaches the queue at the consumer's next run, and
duplicated, reordered and dropped deliveries plus polling store every item exactly once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, parse
from monitor.daemon import Daemon
from monitor.webhook_receiver import PATH, Receiver
from simulator import GraphSimulator, World
from simulator.webhooks import WebhookFaults, WebhookSender
from storage.db import session_factory
from storage.tables import Item
from tests.clock import Clock
from tests.monitor.harness import PAGES, make_daemon, stored

SECRET = "app-secret-e2e"
VERIFY = "verify-e2e"
CAM, _CAM2, AIQ = (p[0] for p in PAGES)
CITIZENS = [(f"51000000000000{n:02d}", f"Người dân {n}") for n in range(40)]


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 6, 2, 0, tzinfo=UTC))


@pytest.fixture
def world(clock: Clock) -> World:
    world = World(clock=clock, seed=5, app_secret=SECRET)
    world.set_conversation_rate(None)
    for pid, name, _unit, token in PAGES:
        world.add_page(pid, name, token)
    return world


@pytest.fixture
def sim(world: World) -> Iterator[GraphSimulator]:
    with GraphSimulator(world) as server:
        yield server


@pytest.fixture
def receiver_url(engine: Any) -> Iterator[str]:
    """pakn's receiver behind a real HTTP server on 127.0.0.1."""
    from waitress.server import create_server

    receiver = Receiver(session_factory(engine), app_secret=SECRET, verify_token=VERIFY)
    server: Any = create_server(receiver, host="127.0.0.1", port=0, threads=2)
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    yield f"http://127.0.0.1:{server.effective_port}{PATH}"
    server.close()
    runner.join(timeout=5)


def settings(sim: GraphSimulator, engine: Any) -> Settings:
    pages = "\n".join(
        f'  - {{id: "{pid}", name: "{name}", unit: {unit}, access_token: {token}}}'
        for pid, name, unit, token in PAGES
    )
    return parse(
        f'database_url: "{engine.url.render_as_string(hide_password=False)}"\n'
        f'graph: {{base_url: "{sim.base_url}", app_secret: "{SECRET}", max_retries: 4,'
        " backoff_base_seconds: 0.001, backoff_max_seconds: 0.005}\n"
        f'webhooks: {{enabled: true, verify_token: "{VERIFY}"}}\n'
        "poll: {messenger_calls_per_second: 0}\n"
        f"pages:\n{pages}\n",
        env={},
    )


def consume(daemon: Daemon) -> None:
    (job,) = [job for job in daemon.jobs if job.name == "webhooks"]
    job.run()


def sender_for(world: World, sim: GraphSimulator, url: str, **faults: Any) -> WebhookSender:
    for pid, *_rest in PAGES:
        sim.router.diagnostics.subscribe(pid, ("feed", "messages", "message_echoes"))
    return WebhookSender(world, url, sim.router.diagnostics, faults=WebhookFaults(**faults))


def test_a_comment_is_in_the_queue_after_one_consumer_run_without_a_poll_cycle(
    world: World, sim: GraphSimulator, engine: Any, receiver_url: str, clock: Clock
) -> None:
    post = world.add_post(
        CAM, "Thông báo lịch tiêm chủng", created_time=clock() - timedelta(days=40)
    )
    sessions: sessionmaker[Session] = session_factory(engine)
    daemon = make_daemon(settings(sim, engine), sessions, clock=clock)
    from monitor.jobs import register_jobs

    register_jobs(daemon)
    daemon.poll_cycle()  # the first backfill: the post is known
    sender = sender_for(world, sim, receiver_url)
    clock.advance(seconds=20)
    comment = world.add_comment(post, CITIZENS[0], "Cột điện đổ chắn đường thôn Đông")
    sender.flush()
    consume(daemon)
    assert ("facebook_comment", comment) in stored(sessions)
    before = stored(sessions)
    world.add_message(AIQ, CITIZENS[1], "Mất sóng 4G cả thôn từ sáng")
    sender.flush()
    consume(daemon)
    assert [source for source, _id in stored(sessions) - before] == ["facebook_message"]


def test_duplicated_reordered_and_dropped_deliveries_plus_polling_store_each_item_once(
    world: World, sim: GraphSimulator, engine: Any, receiver_url: str, clock: Clock
) -> None:
    posts = [
        world.add_post(pid, f"Bài {n}", created_time=clock() - timedelta(days=n * 30))
        for n, pid in enumerate([CAM, CAM, AIQ, AIQ, CAM])
    ]
    sessions: sessionmaker[Session] = session_factory(engine)
    daemon = make_daemon(settings(sim, engine), sessions, clock=clock)
    from monitor.jobs import register_jobs

    register_jobs(daemon)
    daemon.poll_cycle()
    sender = sender_for(
        world, sim, receiver_url, seed=3, duplicate_rate=0.3, reorder_rate=0.3, drop_rate=0.3
    )
    for n, citizen in enumerate(CITIZENS):
        clock.advance(seconds=7)
        if n % 3 == 2:
            world.add_message(CAM if n % 2 else AIQ, citizen, f"tin nhắn số {n}")
        else:
            world.add_comment(posts[n % len(posts)], citizen, f"bình luận số {n}")
        if n % 5 == 4:
            sender.flush()
            consume(daemon)
    sender.flush()
    consume(daemon)
    assert sender.by_state("dropped") or any(d.state == "dropped" for d in sender.deliveries)
    # Polling is the safety net for what webhooks dropped: an hour of cycles catches it all.
    for _ in range(12):
        clock.advance(minutes=5)
        daemon.poll_cycle()
    truth = world.citizen_items()
    assert stored(sessions) == truth
    with sessions.begin() as session:
        count = session.scalar(
            select(func.count()).select_from(Item).where(Item.by_page.is_(False))
        )
    assert count == len(truth)

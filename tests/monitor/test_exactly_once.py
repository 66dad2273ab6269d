"""Nothing missed, nothing twice, on pages that look like the real Facebook.

Three pages with a year of history each (about 1,100 posts at 3 a day, visitor and album posts,
reels, twenty conversations), the feed ordered by creation, comment streams served oldest first.
Between runs the test moves the world's clock (minutes to an hour) and new activity arrives:
comments and replies on posts of every age up to a year, on reels and on album photos, visitor
posts, messages in every folder and without text, edits and deletions. Each daemon run is a
real process (tests/monitor/daemon_process.py, on the world's clock) killed with SIGKILL when
the simulator sees its k-th request (k random): sometimes with that request in flight,
sometimes a few milliseconds after the answer, while the daemon writes. Faults stay on
throughout the rounds.

At the end the faults stop, the clock moves past the hourly tier and one clean run must have
stored every citizen item the world holds (reconciliation alone, no sweep); then a sweep must
catch every edit and deletion. Every item is stored once (unique key) and nothing else.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from simulator import GraphSimulator, World
from simulator.history import seed_history
from simulator.traffic import Traffic
from storage.db import make_engine, session_factory
from storage.tables import Conversation, Item, Post
from tests.clock import Clock
from tests.monitor.daemon_process import PAGE_FAILED
from tests.monitor.harness import PAGES, world_with_pages

REPO = Path(__file__).resolve().parents[2]
DAEMON = Path(__file__).with_name("daemon_process.py")
ROUNDS = 5
START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
pytestmark = pytest.mark.slow


class Killer:
    """Kills the current daemon process at the k-th request the simulator receives."""

    def __init__(self, sim: GraphSimulator, rng: random.Random) -> None:
        self.rng = rng
        self.proc: subprocess.Popen[bytes] | None = None
        self.target = 0
        self.seen = 0
        self.kills = 0
        self.lock = threading.Lock()
        original = sim.stats.count_http

        def counting(path: str) -> None:
            original(path)
            self.on_request()

        sim.stats.count_http = counting  # type: ignore[method-assign]

    def arm(self, proc: subprocess.Popen[bytes] | None, target: int) -> None:
        with self.lock:
            self.proc, self.target, self.seen = proc, target, 0

    def on_request(self) -> None:
        with self.lock:
            self.seen += 1
            if self.proc is None or self.seen != self.target:
                return
            proc, self.proc = self.proc, None
        self.kills += 1
        delay = self.rng.choice([0.0, 0.0, 0.002, 0.01, 0.03])
        # 0: killed with this request in flight; otherwise shortly after, mid-processing.
        threading.Timer(delay, _kill, args=(proc,)).start()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)


def write_config(path: Path, base_url: str, database_url: str, **poll: object) -> None:
    pages = "\n".join(
        f'  - {{id: "{pid}", name: "{name}", unit: {unit}, access_token: {token}}}'
        for pid, name, unit, token in PAGES
    )
    # Traffic comments on posts up to a year old, and the final runs come hours later: a
    # window one day wider keeps those posts watched (the window's edge is tested apart).
    settings = {
        "overlap_minutes": 2,
        "comments_page_limit": 25,
        "watch_days": 366,
        "messenger_calls_per_second": 0,
        **poll,
    }
    poll_lines = "\n".join(f"  {key}: {value}" for key, value in settings.items())
    path.write_text(
        f"""database_url: "{database_url}"
graph:
  base_url: "{base_url}"
  max_retries: 8
  backoff_base_seconds: 0.001
  backoff_max_seconds: 0.01
  timeout_seconds: 10
poll:
{poll_lines}
pages:
{pages}
""",
        encoding="utf-8",
    )


def run_daemon(config: Path, clock: Clock, killer: Killer | None, target: int) -> int:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(DAEMON), str(config), clock().isoformat()],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if killer is not None:
        killer.arm(proc, target)
    try:
        _, err = proc.communicate(timeout=300)
    finally:
        if killer is not None:
            killer.arm(None, 0)
    if proc.returncode not in (0, PAGE_FAILED, -signal.SIGKILL):
        raise AssertionError(f"daemon crashed ({proc.returncode}): {err.decode()[-3000:]}")
    return proc.returncode


def aged(world: World, ids: list[str], rng: random.Random, days: tuple[int, int]) -> str | None:
    """A live object among ``ids`` created between ``days`` ago (oldest and newest bound)."""
    now = world.now()
    fits = [
        i
        for i in ids
        if timedelta(days=days[0]) <= now - world.posts[i].created <= timedelta(days=days[1])
    ]
    return rng.choice(fits) if fits else None


def new_activity(world: World, traffic: Traffic, rng: random.Random) -> None:
    """Comments and replies on posts of every age, reels and album photos, plus traffic."""
    for page_id, *_ in PAGES:
        posts = world.post_ids(page_id)
        for span in ((0, 7), (7, 30), (30, 120), (120, 364)):
            post = aged(world, posts, rng, span)
            if post is None:
                continue
            top = world.add_comment(post, ("8001", "Lò Thị Hoa"), "đường thôn 3 sạt lở rồi ạ")
            live = [c for c in world.comment_ids(post) if c != top]
            if live and rng.random() < 0.7:
                # A reply deep in an old thread: moves the count, not the post's updated_time.
                world.add_comment(rng.choice(live), ("8002", "Vi Văn Khánh"), "nhà tôi cũng vậy")
        reels = world.reel_ids(page_id)
        if reels:
            world.add_comment(rng.choice(reels), ("8003", "Hà Thị Mai"), "reel này quay ở đâu ạ")
        albums = [p for p in posts if world.photo_ids(p)]
        if albums:
            photo = rng.choice(world.photo_ids(rng.choice(albums)))
            world.add_comment(photo, ("8004", "Lường Văn Sơn"), "ảnh này là cầu nào vậy")
    for _ in range(12):
        traffic.step()


def citizen_rows(
    sessions: sessionmaker[Session],
) -> tuple[set[tuple[str, str]], set[tuple[str, str]], dict[str, str]]:
    with sessions.begin() as s:
        rows = s.execute(
            select(Item.source, Item.external_id, Item.deleted, Item.text).where(
                Item.by_page.is_(False)
            )
        ).all()
        total = s.scalar(select(func.count()).select_from(Item).where(Item.by_page.is_(False)))
    assert total == len(rows)
    live = {(r.source, r.external_id) for r in rows if not r.deleted}
    every = {(r.source, r.external_id) for r in rows}
    texts = {r.external_id: r.text for r in rows}
    return live, every, texts


EXPLAINED = (
    "kind",
    "created_time",
    "comment_count",
    "processed_comment_count",
    "updated_time",
    "processed_updated_time",
    "comments_seen_until",
    "checked_at",
    "next_check_at",
    "failures",
    "last_error",
)


CONVERSATION_EXPLAINED = (
    "updated_time",
    "processed_updated_time",
    "failures",
    "last_error",
    "retry_at",
)


def explain(world: World, sessions: sessionmaker[Session], missed: list[tuple[str, str]]) -> str:
    """Which objects or conversations the missed items belong to, and what the daemon knew."""
    lines = [f"{len(missed)} items missed"]
    for _source, external_id in missed[:8]:
        record = world.lookup(external_id)
        created = getattr(record, "created", None)
        thread = getattr(record, "conversation_id", None)
        with sessions.begin() as s:
            if thread is not None:
                row: Post | Conversation | None = s.get(Conversation, thread)
                fields: tuple[str, ...] = CONVERSATION_EXPLAINED
                where = f"{thread} in {world.conversations[thread].folder}"
            else:
                object_id = getattr(record, "post_id", "?")
                row, fields, where = s.get(Post, object_id), EXPLAINED, object_id
            known = {k: getattr(row, k) for k in fields} if row is not None else None
        lines.append(f"{external_id} ({created}) on {where}: {known}")
    return "\n".join(lines)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def world(clock: Clock) -> World:
    w = world_with_pages(seed=11, clock=clock)
    for n, (page_id, *_) in enumerate(PAGES):
        seed_history(w, page_id, days=365, posts_per_day=3, rng=random.Random(100 + n))
    return w


def test_every_citizen_item_is_stored_exactly_once_through_random_sigkills_and_faults(
    world: World, clock: Clock, db_url: str, tmp_path: Path
) -> None:
    assert all(len(world.post_ids(p)) >= 1000 for p, *_ in PAGES)
    rng = random.Random(2026)
    traffic = Traffic(world, random.Random(7))
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    with GraphSimulator(world) as sim:
        killer = Killer(sim, rng)
        chaos, final, sweep = (tmp_path / f"{n}.yaml" for n in ("chaos", "final", "sweep"))
        write_config(chaos, sim.base_url, db_url)
        write_config(final, sim.base_url, db_url)
        write_config(
            sweep,
            sim.base_url,
            db_url,
            sweep_interval_minutes=0,
            sweep_window_days=366,
        )
        sim.faults.set(
            http_500_rate=0.03,
            html_502_rate=0.03,
            drop_rate=0.02,
            empty_page_rate=0.1,
            batch_null_rate=0.05,
        )
        for round_number in range(ROUNDS):
            clock.advance(minutes=rng.choice([3, 12, 35, 70]))
            new_activity(world, traffic, rng)
            # Killed early in one run, anywhere (often after it finished) in the other.
            first = rng.randint(1, 150 if round_number == 0 else 25)
            run_daemon(chaos, clock, killer, target=first)
            clock.advance(minutes=1)
            run_daemon(chaos, clock, killer, target=rng.randint(2, 400))
        assert killer.kills >= ROUNDS
        sim.faults.clear()
        # Past the hourly tier: one clean run checks every object of the year and reads what
        # moved. No sweep: new comments must be found by the reconciliation itself.
        clock.advance(minutes=61)
        assert run_daemon(final, clock, None, 0) == 0, "a page failed in the clean run"
        _live, every, _texts = citizen_rows(sessions)
        missed = sorted(world.citizen_items() - every)
        assert not missed, explain(world, sessions, missed)
        # Edits move neither the count nor updated_time: the sweep catches them, and
        # confirms each deletion twice before marking it.
        clock.advance(minutes=1)
        assert run_daemon(sweep, clock, None, 0) == 0
        clock.advance(minutes=1)
        assert run_daemon(sweep, clock, None, 0) == 0
    live, every, texts = citizen_rows(sessions)
    expected = world.citizen_items()
    assert live == expected, (sorted(expected - live)[:5], sorted(live - expected)[:5])
    assert every <= world.all_items_ever()
    for source, external_id in expected:
        record = world.lookup(external_id)
        if source == "facebook_comment" and record is not None:
            assert texts[external_id] == record.message  # type: ignore[union-attr]
    engine.dispose()

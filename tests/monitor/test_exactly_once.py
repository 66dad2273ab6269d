"""Nothing missed, nothing twice: a daemon killed with SIGKILL at random moments, faults on.

The daemon runs as a real subprocess (``python -m cli run --once``) against the simulator
in this process. Between runs new activity arrives: deep replies, comments on old posts, a
conversation receiving more than 25 messages, edits and deletions. A run is killed when the
simulator sees its k-th request (k random), sometimes while the request is in flight,
sometimes a few milliseconds after the answer, i.e. while the daemon writes to the database.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from simulator import GraphSimulator, World
from simulator.traffic import Traffic, seed_world
from storage.db import make_engine, session_factory
from storage.tables import Item
from tests.monitor.harness import PAGES, world_with_pages

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 4
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


def write_config(path: Path, base_url: str, database_url: str, models: Path, sweep: int) -> None:
    pages = "\n".join(
        f'  - {{id: "{pid}", name: "{name}", unit: {unit}, access_token: {token}}}'
        for pid, name, unit, token in PAGES
    )
    path.write_text(
        f"""database_url: "{database_url}"
graph:
  base_url: "{base_url}"
  max_retries: 8
  backoff_base_seconds: 0.001
  backoff_max_seconds: 0.01
  timeout_seconds: 5
poll:
  overlap_minutes: 2
  sweep_interval_minutes: {sweep}
  comments_page_limit: 7
classifier:
  models_dir: "{models}"
pages:
{pages}
""",
        encoding="utf-8",
    )


def run_daemon(config: Path, killer: Killer | None, target: int) -> int:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PAKN_CONFIG": str(config)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "run", "--once"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if killer is not None:
        killer.arm(proc, target)
    try:
        _, err = proc.communicate(timeout=240)
    finally:
        if killer is not None:
            killer.arm(None, 0)
    if proc.returncode not in (0, 1, -signal.SIGKILL):
        raise AssertionError(f"daemon crashed ({proc.returncode}): {err.decode()[-3000:]}")
    return proc.returncode


def new_activity(world: World, traffic: Traffic, rng: random.Random) -> None:
    """The kinds of change the acceptance criteria name, plus random realistic traffic."""
    cam, _, aiq = (p[0] for p in PAGES)
    posts = world.post_ids(cam)
    old = posts[0] if posts else world.add_post(cam, message="Kế hoạch chuyển đổi số")
    thread = world.add_comment(
        old, author=("7001", "Phan Thị Yến"), message="kế hoạch đến đâu rồi ạ"
    )
    reply = world.add_comment(thread, author=None, message="Xã đang triển khai ạ")
    world.add_comment(reply, author=("7002", "Ngô Văn Tùng"), message="cảm ơn ad, mong sớm có wifi")
    for n in range(rng.randint(26, 34)):
        world.add_message(aiq, user=("7003", "Đinh Thị Nga"), message=f"tin {n}: ngõ 4 mất nước")
    live = [c for c in world.comment_ids(old) if world.lookup(c) is not None]
    if len(live) > 3:
        world.edit_comment(rng.choice(live), "đã sửa: đường vào thôn ngập sâu")
        world.delete_comment(rng.choice(live))
    for _ in range(6):
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


@pytest.fixture
def world() -> World:
    w = world_with_pages(seed=11)
    seed_world(w, [(p[0], p[1], p[3]) for p in PAGES], random.Random(5), posts_per_page=5, days=75)
    # Push the oldest posts' last activity back so they are "old" to the feed.
    for post in w.posts.values():
        post.updated = min(post.updated, post.created + timedelta(days=1))
    return w


def test_every_citizen_item_is_stored_exactly_once_through_random_sigkills_and_faults(
    world: World, db_url: str, trained_models: Path, tmp_path: Path
) -> None:
    rng = random.Random(2026)
    traffic = Traffic(world, random.Random(7))
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    with GraphSimulator(world) as sim:
        killer = Killer(sim, rng)
        chaos = tmp_path / "chaos.yaml"
        write_config(chaos, sim.base_url, db_url, trained_models, sweep=360)
        sim.faults.set(
            http_500_rate=0.05,
            html_502_rate=0.05,
            drop_rate=0.03,
            empty_page_rate=0.1,
            batch_null_rate=0.1,
        )
        for _round in range(ROUNDS):
            new_activity(world, traffic, rng)
            run_daemon(chaos, killer, target=rng.randint(1, 14))
            run_daemon(chaos, killer, target=rng.randint(2, 30))
        assert killer.kills >= ROUNDS
        sim.faults.clear()
        final = tmp_path / "final.yaml"
        write_config(final, sim.base_url, db_url, trained_models, sweep=0)
        assert run_daemon(final, None, 0) == 0
        assert run_daemon(final, None, 0) == 0
    live, every, texts = citizen_rows(sessions)
    expected = world.citizen_items()
    assert live == expected, (sorted(expected - live)[:5], sorted(live - expected)[:5])
    assert every <= world.all_items_ever()
    for source, external_id in expected:
        record = world.lookup(external_id)
        if source == "facebook_comment" and record is not None:
            assert texts[external_id] == record.message  # type: ignore[union-attr]
    engine.dispose()

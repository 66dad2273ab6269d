"""Ingestion benchmark: Graph calls per idle cycle, and bulk backfill throughput.

Run: python bench/ingest_bench.py [--comments 100000] [--pages 50]

Prints, for an idle cycle (nothing new), Graph calls and HTTP requests per page against the
budget of 2 calls and 1 request per page; and for a first backfill of N comments through the
whole path (simulator over HTTP → pollers → classifier → SQLite), items per second against the
3,000 items/s target and against a baseline that only inserts pre-built records.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cli.services import LazyClassifier, ingest_policy
from config.settings import parse
from monitor.daemon import Daemon
from simulator import GraphSimulator, World
from simulator.traffic import bulk_comments
from storage.db import make_engine, session_factory, upgrade
from storage.ingest import IngestPolicy, ingest
from storage.poll_state import sync_pages
from storage.records import ItemRecord

TARGET_ITEMS_PER_SECOND = 3000


def config(base_url: str, db_url: str, models: Path, pages: list[tuple[str, str]]) -> str:
    lines = "\n".join(
        f'  - {{id: "{pid}", name: "Trang {n}", unit: u{n % 10}, access_token: {tok}}}'
        for n, (pid, tok) in enumerate(pages)
    )
    return (
        f'database_url: "{db_url}"\ngraph: {{base_url: "{base_url}", max_retries: 2}}\n'
        f'classifier: {{models_dir: "{models}"}}\npages:\n{lines}\n'
    )


def daemon_for(
    world: World, sim: GraphSimulator, pages: list[tuple[str, str]], tmp: Path, name: str
) -> Daemon:
    settings = parse(
        config(sim.base_url, f"sqlite:///{tmp / name}.db", tmp / "models", pages), env={}
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        policy = ingest_policy(settings, session, classify=LazyClassifier(settings))
    daemon = Daemon(settings, sessions, policy)
    daemon.sync()
    return daemon


def idle_cycle(tmp: Path, n_pages: int) -> None:
    world = World(seed=3)
    pages = [(f"2000000000{n:05d}", f"tok-{n}") for n in range(n_pages)]
    for pid, tok in pages:
        world.add_page(pid, f"Trang {pid}", tok)
        post = world.add_post(pid, "Thông báo", None, world.now() - timedelta(days=1))
        world.add_comment(post, ("1", "Người dân"), "cho hỏi", None)
        world.add_message(pid, ("2", "Người dân"), "ad ơi", False, None, None)
    with GraphSimulator(world) as sim:
        daemon = daemon_for(world, sim, pages, tmp, f"idle{n_pages}")
        daemon.poll_cycle()
        sim.stats.reset()
        daemon.poll_cycle()
        stats = sim.stats.snapshot()
    calls = stats["graph_calls"] / n_pages
    requests = stats["http_requests"] / n_pages
    print(
        f"idle cycle, {n_pages} pages: {calls:.2f} Graph calls/page "
        f"(budget 2, ratio {calls / 2:.2f}), "
        f"{requests:.3f} HTTP requests/page (budget 1, ratio {requests:.3f})"
    )


def backfill(tmp: Path, n_comments: int) -> None:
    world = World(seed=5)
    page = ("300000000000001", "tok-bulk")
    world.add_page(page[0], "Trang lớn", page[1])
    bulk_comments(world, page[0], n_comments, random.Random(5))
    LazyClassifier(parse(f'classifier: {{models_dir: "{tmp / "models"}"}}', env={})).load()
    with GraphSimulator(world) as sim:
        daemon = daemon_for(world, sim, [page], tmp, "bulk")
        started = time.perf_counter()
        results = daemon.poll_cycle()
        elapsed = time.perf_counter() - started
        stats = sim.stats.snapshot()
    stored = sum(r.counts.inserted for r in results)
    rate = stored / elapsed
    base_rate = baseline_insert_rate(tmp, min(stored, 20000))
    print(
        f"backfill: {stored} items in {elapsed:.1f} s = {rate:,.0f} items/s "
        f"(target {TARGET_ITEMS_PER_SECOND:,}: ratio {rate / TARGET_ITEMS_PER_SECOND:.2f}; "
        f"insert-only baseline {base_rate:,.0f} items/s: ratio {rate / base_rate:.2f}); "
        f"{stats['graph_calls']} Graph calls in {stats['http_requests']} HTTP requests"
    )


def baseline_insert_rate(tmp: Path, n: int) -> float:
    engine = make_engine(f"sqlite:///{tmp / 'baseline.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with sessions.begin() as s:
        sync_pages(s, [("u", "u", "xa")], [("1", "p", "u")])
    records = [
        ItemRecord(
            source="facebook_comment",
            external_id=f"1_{i}",
            unit_id="u",
            page_id="1",
            thread_id="1_1",
            created_time=now,
            text=f"bình luận số {i}",
        )
        for i in range(n)
    ]
    started = time.perf_counter()
    for start in range(0, n, 100):
        with sessions.begin() as s:
            ingest(s, records[start : start + 100], now=now, policy=IngestPolicy())
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        idle_cycle(tmp, 3)
        idle_cycle(tmp, args.pages)
        backfill(tmp, args.comments)


if __name__ == "__main__":
    main()

"""Comment → queue latency: webhooks on against polling only, in one run.

Run: python bench/latency_bench.py [--samples 30] [--poll-interval 20]

Each mode runs the real daemon (``Daemon.run_forever`` with its jobs, in a thread) against the
Graph simulator on the wall clock, on a fresh SQLite database. A citizen comment is added to a
month-old post every ~1.5 s and timed until its item is in the queue (committed in ``items``).
With webhooks, the simulator's sender posts signed deliveries to pakn's real receiver (waitress
on 127.0.0.1), and the daemon's consumer reads the post at once; without, the comment waits for
the next poll cycle. Prints p50/p95 per mode and their ratio; the target is p95 ≤ 5 s with
webhooks.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from cli.services import ingest_policy
from config.settings import Settings, parse
from monitor.daemon import Daemon
from monitor.jobs import register_jobs
from simulator import GraphSimulator, World
from simulator.webhooks import WebhookSender
from storage.db import make_engine, read_sessions, session_factory, upgrade
from storage.tables import Item

sys.path.insert(0, str(Path(__file__).resolve().parent))
from webhook_bench import receiver_server

SECRET = "bench-app-secret"  # noqa: S105 - the simulated app's secret on 127.0.0.1
PAGE = ("100000000000001", "Xã Cẩm Giàng", "tok-bench")
TARGET_P95 = 5.0


def classify(texts: list[str]) -> list[object]:
    """A constant label: the bench times intake, not the classifier."""
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Prediction:
        category: str = "phan_anh"
        urgent: bool = False
        field: str = "khcn_cds"
        confidence: float = 0.9
        model_version: str = "bench"

    return [Prediction() for _ in texts]


def settings(base_url: str, db_url: str, poll_interval: int, webhooks: bool) -> Settings:
    hooks = 'webhooks: {enabled: true, verify_token: "bench"}\n' if webhooks else ""
    return parse(
        f'database_url: "{db_url}"\n'
        f"poll_interval_seconds: {poll_interval}\n"
        f'graph: {{base_url: "{base_url}", app_secret: "{SECRET}"}}\n'
        f"{hooks}"
        "poll: {messenger_calls_per_second: 0}\n"
        f'pages:\n  - {{id: "{PAGE[0]}", name: "{PAGE[1]}", unit: a, access_token: {PAGE[2]},'
        " messenger: false}\n",
        env={},
    )


@contextmanager
def running(world: World, poll_interval: int, webhooks: bool) -> Iterator[tuple[str, object]]:
    """The simulator, the daemon in a thread, and (webhooks) the receiver and the sender."""
    folder = tempfile.mkdtemp(prefix="pakn-latency-")
    db_url = f"sqlite:///{folder}/pakn.db"
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = session_factory(engine)
    with GraphSimulator(world) as sim, receiver_server(sessions) as url:
        conf = settings(sim.base_url, db_url, poll_interval, webhooks)
        with sessions.begin() as session:
            policy = ingest_policy(conf, session, classify=classify)
        daemon = Daemon(conf, sessions, policy)
        daemon.sync()
        register_jobs(daemon)
        daemon.poll_cycle()  # the first backfill, before the clock starts
        sender = None
        if webhooks:
            sim.router.diagnostics.subscribe(PAGE[0], ("feed",))
            sender = WebhookSender(world, url, sim.router.diagnostics).start(0.05)
        runner = threading.Thread(target=daemon.run_forever, daemon=True)
        runner.start()
        try:
            yield db_url, engine
        finally:
            daemon.stop.set()
            runner.join(timeout=30)
            if sender is not None:
                sender.close()


def measure(samples: int, poll_interval: int, webhooks: bool) -> list[float]:
    world = World(seed=17, app_secret=SECRET)
    world.add_page(*PAGE)
    month_ago = world.now() - timedelta(days=30)
    post = world.add_post(PAGE[0], "Lịch tiếp công dân tháng 12", created_time=month_ago)
    latencies: list[float] = []
    with running(world, poll_interval, webhooks) as (_url, engine):
        readers = read_sessions(engine)  # type: ignore[arg-type]
        for n in range(samples):
            started = time.perf_counter()
            comment = world.add_comment(post, (f"5100{n:012d}", f"Người dân {n}"), f"Mất nước {n}")
            while True:
                with readers() as session:
                    found = session.scalar(select(Item.id).where(Item.external_id == comment))
                if found is not None:
                    break
                if time.perf_counter() - started > poll_interval * 3:
                    raise TimeoutError(f"comment {n} not in the queue after {poll_interval * 3} s")
                time.sleep(0.02)
            latencies.append(time.perf_counter() - started)
            time.sleep(1.5)
    return latencies


def percentiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--poll-interval", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    hooks = percentiles(measure(args.samples, args.poll_interval, webhooks=True))
    polls = percentiles(measure(args.samples, args.poll_interval, webhooks=False))
    print(f"comment → queue, {args.samples} comments, poll_interval_seconds {args.poll_interval}")
    print(f"  webhooks on:   p50 {hooks[0]:6.2f} s   p95 {hooks[1]:6.2f} s")
    print(f"  polling only:  p50 {polls[0]:6.2f} s   p95 {polls[1]:6.2f} s")
    print(f"  p95 ratio webhooks / polling: {hooks[1] / polls[1]:.3f}")
    print(
        f"  p95 with webhooks against the {TARGET_P95:.0f} s target: {hooks[1] / TARGET_P95:.2f}×"
    )


if __name__ == "__main__":
    main()

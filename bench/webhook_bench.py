"""Webhook receiver benchmark: deliveries stored per second, and comment → stored latency.

Run: python bench/webhook_bench.py [--requests 3000] [--clients 4] [--samples 100]

Throughput: pakn's receiver (signature check, then one durable transaction per delivery before
the 200) served by waitress with the 4 threads of `pakn webhook`, on SQLite and PostgreSQL,
driven over HTTP on 127.0.0.1 by a few client threads in another process (so clients and server
do not share one interpreter lock) over keep-alive connections. Each request is a signed
Meta-shaped delivery with one comment in escaped Vietnamese. Prints deliveries/s and the ratio
to the 500/s target, after checking that every request got its 200 and its row.

Latency: a comment created in the simulated world → its delivery committed by the receiver,
with the world's `WebhookSender` sending from its background thread, as in `pakn demo`.
`measure_latency()` and `live_webhooks()` are the reusable parts: pass another `arrived`
(e.g. "the consumer made the queue item") to time a later stage.

PostgreSQL: PAKN_BENCH_POSTGRES or postgresql+psycopg://postgres@127.0.0.1:5432/test, in a
throw-away schema.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import logging
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.webhook_receiver import PATH, Receiver
from simulator import World
from simulator.diagnostics import Diagnostics
from simulator.webhooks import WebhookSender
from storage.db import make_engine, read_sessions, scratch_schema, session_factory, upgrade
from storage.webhooks import deliveries

PG_URL = os.environ.get("PAKN_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_PER_SECOND = 500
SECRET = "bench-app-secret"  # noqa: S105 - signs throw-away deliveries on 127.0.0.1
PAGE = ("100000000000001", "Xã Cẩm Giàng", "tok-bench")
CITIZEN = ("5100000000000001", "Nguyễn Văn An")
TEXT = "Đường thôn Lương Xá ngập sâu sau mưa, xe máy chết máy hàng loạt, đề nghị xã xử lý"


# the receiver over HTTP -------------------------------------------------------------------------
@contextmanager
def receiver_server(sessions: sessionmaker[Session], threads: int = 4) -> Iterator[str]:
    """pakn's receiver in waitress on a free port of 127.0.0.1; yields the callback URL."""
    from waitress.server import create_server

    receiver = Receiver(sessions, app_secret=SECRET, verify_token="bench")  # noqa: S106
    server: Any = create_server(receiver, host="127.0.0.1", port=0, threads=threads)
    runner = threading.Thread(target=server.run, name="bench-webhook", daemon=True)
    runner.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}{PATH}"
    finally:
        server.close()
        runner.join(timeout=5)


def delivery_body(n: int) -> bytes:
    value = {
        "item": "comment",
        "verb": "add",
        "comment_id": f"901097836652708_{903438993085259 + n}",
        "post_id": f"{PAGE[0]}_901097836652708",
        "parent_id": f"{PAGE[0]}_901097836652708",
        "from": {"id": CITIZEN[0], "name": CITIZEN[1]},
        "created_time": 1796550159 + n,
        "message": f"{TEXT} ({n})",
    }
    entry = {"id": PAGE[0], "time": 1796550159 + n, "changes": [{"field": "feed", "value": value}]}
    return json.dumps({"object": "page", "entry": [entry]}, separators=(",", ":")).encode()


def _client(port: int, first: int, count: int, failures: list[str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n in range(first, first + count):
        body = delivery_body(n)
        digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}
        connection.request("POST", PATH, body, headers)
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            failures.append(f"request {n}: HTTP {answer.status}")
    connection.close()


def drive(port: int, requests: int, clients: int) -> tuple[float, list[str]]:
    """In a child process: `clients` threads share `requests` POSTs; (seconds, failures)."""
    failures: list[str] = []
    share = -(-requests // clients)
    workers = [
        threading.Thread(
            target=_client, args=(port, k * share, min(share, requests - k * share), failures)
        )
        for k in range(clients)
        if k * share < requests
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started, failures


def _drive_in_child(port: int, requests: int, clients: int, out: Any) -> None:
    out.put(drive(port, requests, clients))


def throughput(engine: Engine, requests: int, clients: int) -> float:
    sessions = session_factory(engine)
    with receiver_server(sessions) as url:
        port = int(url.split(":")[2].split("/")[0])
        spawn = multiprocessing.get_context("spawn")
        results: Any = spawn.Queue()
        child = spawn.Process(target=_drive_in_child, args=(port, requests, clients, results))
        child.start()
        seconds, failures = results.get(timeout=600)
        child.join()
    with sessions.begin() as session:
        stored = len(deliveries(session))
    if failures or stored != requests:
        raise SystemExit(
            f"{len(failures)} requests failed, {stored} of {requests} stored: {failures[:3]}"
        )
    return requests / seconds


# comment created → delivery stored ------------------------------------------------------------
@dataclass
class LiveWebhooks:
    """A simulated page whose world sends webhooks to pakn's receiver, from a thread."""

    world: World
    sender: WebhookSender
    post_id: str
    url: str

    def comment(self, n: int) -> str:
        return self.world.add_comment(self.post_id, CITIZEN, f"{TEXT} ({n})")


@contextmanager
def live_webhooks(sessions: sessionmaker[Session], batch_size: int = 50) -> Iterator[LiveWebhooks]:
    """A world (real clock) with one subscribed page and a post, its sender started."""
    world = World(seed=11, app_secret=SECRET)
    world.add_page(*PAGE)
    post_id = world.add_post(PAGE[0], "Lịch tiếp công dân tháng 12")
    diagnostics = Diagnostics(world)
    diagnostics.subscribe(PAGE[0], ("feed", "messages"))
    with receiver_server(sessions) as url:
        sender = WebhookSender(world, url, diagnostics, batch_size=batch_size).start()
        try:
            yield LiveWebhooks(world, sender, post_id, url)
        finally:
            sender.close()


def delivery_stored(engine: Engine) -> Callable[[str], bool]:
    """`arrived` for measure_latency: a committed delivery mentions this comment id."""
    readers = read_sessions(engine)

    def arrived(comment_id: str) -> bool:
        needle = comment_id.encode()
        with readers() as session:
            return any(needle in d.body for d in reversed(deliveries(session)))

    return arrived


def comment_to_stored(engine: Engine, samples: int) -> list[float]:
    """Latencies (s) from a comment in the world to its delivery committed by the receiver."""
    with live_webhooks(session_factory(engine)) as live:
        return measure_latency(live.comment, delivery_stored(engine), samples)


def measure_latency(
    create: Callable[[int], str],
    arrived: Callable[[str], bool],
    samples: int,
    *,
    timeout_seconds: float = 10.0,
    pause_seconds: float = 0.02,
    poll_seconds: float = 0.001,
) -> list[float]:
    """Seconds from `create(n)` (which returns a key) until `arrived(key)`, one sample at a time."""
    latencies: list[float] = []
    for n in range(samples):
        started = time.perf_counter()
        key = create(n)
        while not arrived(key):
            if time.perf_counter() - started > timeout_seconds:
                raise TimeoutError(f"sample {n} ({key}) did not arrive in {timeout_seconds} s")
            time.sleep(poll_seconds)
        latencies.append(time.perf_counter() - started)
        time.sleep(pause_seconds)
    return latencies


def percentiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94]


# runs ------------------------------------------------------------------------------------------
@contextmanager
def fresh_database(kind: str, pg_url: str) -> Iterator[Engine]:
    """A migrated, empty SQLite file or throw-away PostgreSQL schema."""
    if kind == "SQLite":
        with tempfile.TemporaryDirectory(prefix="pakn-webhook-bench-") as tmp:
            engine = _migrated(f"sqlite:///{tmp}/pakn.db")
            yield engine
            engine.dispose()
        return
    with scratch_schema(pg_url, "bench") as url:
        engine = _migrated(url)
        yield engine
        engine.dispose()


def _migrated(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--postgres", default=PG_URL)
    args = parser.parse_args()
    # waitress warns on every queued request; a benchmark queues on purpose.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    for name in ("SQLite", "PostgreSQL"):
        with fresh_database(name, args.postgres) as engine:
            rate = throughput(engine, args.requests, args.clients)
        print(
            f"{name:10} receiver: {rate:7.0f} deliveries/s ({args.requests} signed POSTs, "
            f"{args.clients} clients) = {rate / TARGET_PER_SECOND:.2f}x the "
            f"{TARGET_PER_SECOND}/s target"
        )
        with fresh_database(name, args.postgres) as engine:
            latencies = comment_to_stored(engine, args.samples)
        p50, p95 = percentiles(latencies)
        print(
            f"{name:10} comment created → delivery stored: p50 {p50 * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms ({args.samples} comments, one at a time)"
        )


if __name__ == "__main__":
    main()

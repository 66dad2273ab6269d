"""Officers reading while the daemon writes, on SQLite: page latency and the daemon's pace.

``--readers`` signed-in officers and leaders (no think time) request queue views, item pages
and searches from the web UI, served by waitress (``--threads``) in its own process, while a
daemon-like writer in another process ingests ``--rate`` items/s, one small batch at a time.

Two runs on copies of one database: "before" as the web used to run (every GET takes the write
lock with ``BEGIN IMMEDIATE``; no index on items.duplicate_of_id), and "after" as it runs now
(GETs read with a deferred ``BEGIN``). Prints latency percentiles, the items/s the writer
achieved against the rate it was offered, how far behind it fell, and the ratios.

    python3 bench/sqlite_load_bench.py [--items 50000] [--readers 10] [--seconds 30] [--rate 20]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import multiprocessing as mp
import random
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher
from sqlalchemy import select, text, update

from classifier.labels import DEFAULT_DEPARTMENT
from storage.db import make_engine, session_factory, upgrade
from storage.deadlines import load_policy
from storage.ingest import IngestPolicy, ingest
from storage.records import ItemRecord
from storage.tables import Item

sys.path.insert(0, str(Path(__file__).resolve().parent))
from queue_bench import PASSWORD, UNITS, fill  # the same data as the PostgreSQL bench

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PAGES = ("/queue/triage", "/queue/all", "/queue/mine", "/queue/overdue")
SEARCHES = tuple("/search?" + urllib.parse.urlencode({"text": t}) for t in ("mất sóng", "đèn"))


@dataclass
class Run:
    label: str
    latencies: list[float]
    by_kind: dict[str, list[float]]
    errors: int
    seconds: float
    writer: dict[str, float]

    def pct(self, q: float, kind: str | None = None) -> float:
        ordered = sorted(self.latencies if kind is None else self.by_kind.get(kind, []))
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def prepare(path: Path, items: int, seed: int) -> list[int]:
    """A migrated database with ``items`` items; returns the ids of items officers open."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sessions = session_factory(engine)
    rng = random.Random(seed)
    fill(sessions, items, rng)
    with sessions.begin() as session:
        # One item in fifty marked a duplicate of an earlier one, as officers do.
        ids = list(session.scalars(select(Item.id).order_by(Item.id)))
        for item_id in ids[100::50]:
            session.execute(
                update(Item).where(Item.id == item_id).values(duplicate_of_id=item_id - 7)
            )
        readable = list(
            session.scalars(
                select(Item.id).where(Item.unit_id == UNITS[0][0], Item.confidential.is_(False))
            )
        )
    engine.dispose()  # the last connection to close checkpoints the WAL: one file to copy
    return readable


def serve(db: str, port: int, threads: int, before: bool, ready: Any) -> None:
    """The web process (forked): waitress around the Flask app."""
    import waitress

    import review.app
    from cli.web import summarise_queue_warnings
    from config.schema import Secret
    from config.settings import Settings, UnitSettings, WebSettings
    from storage.users import Passwords

    Passwords.hasher = CHEAP
    if before:
        review.app.read_sessions = session_factory  # type: ignore[assignment]
    engine = make_engine(f"sqlite:///{db}")
    settings = Settings(
        units=[UnitSettings(u, name) for u, name in UNITS],
        web=WebSettings(secret_key=Secret("b" * 48), threads=threads),
    )
    app = review.app.create_app(settings, session_factory(engine), policy=_policy())
    summarise_queue_warnings()
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=threads)
    ready.set()
    server.run()


def _policy() -> IngestPolicy:
    return IngestPolicy(classify=None, due_at=load_policy().deadline, routing=DEFAULT_DEPARTMENT)


def write(db: str, rate: float, batch: int, seconds: float, go: Any, out: Any) -> None:
    """The daemon (forked): ``rate`` items/s arrive; each batch is one ingest transaction."""
    sessions = session_factory(make_engine(f"sqlite:///{db}"))
    policy, stored, worst_lag, n = _policy(), 0, 0.0, 0
    go.wait()
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        due = started + n * batch / rate
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        now = datetime.now(UTC)
        records = [_record(n * batch + k, now) for k in range(batch)]
        with sessions.begin() as session:
            stored += len(ingest(session, records, now=now, policy=policy).inserted)
        worst_lag = max(worst_lag, time.monotonic() - due)
        n += 1
    elapsed = time.monotonic() - started
    out.put({"stored": stored, "per_second": stored / elapsed, "worst_lag": worst_lag})


def _record(n: int, now: datetime) -> ItemRecord:
    unit = UNITS[n % len(UNITS)][0]
    return ItemRecord(
        source="facebook_comment",
        external_id=f"live_{n}",
        unit_id=unit,
        created_time=now - timedelta(seconds=5),
        text=f"Thôn {n % 40} mất điện từ sáng, đề nghị xã báo điện lực",
        author_id=str(2 * 10**9 + n),
        author_name=f"Người dân mới {n}",
    )


def login(base: str, username: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert token is not None
    data = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    opener.open(f"{base}/login", urllib.parse.urlencode(data).encode()).read()
    return opener


def read(
    opener: urllib.request.OpenerDirector,
    base: str,
    ids: list[int],
    start: threading.Barrier,
    until: list[float],
    out: list[tuple[str, float]],
    errors: list[int],
    seed: int,
) -> None:
    rng = random.Random(seed)
    start.wait()
    while time.monotonic() < until[0]:
        roll = rng.random()
        if roll < 0.5:
            kind, url = "item", f"/items/{rng.choice(ids)}"
        elif roll < 0.9:
            kind, url = "queue", rng.choice(PAGES)
        else:
            kind, url = "search", rng.choice(SEARCHES)
        began = time.perf_counter()
        try:
            opener.open(base + url).read()
        except urllib.error.URLError:
            errors.append(1)
            continue
        out.append((kind, (time.perf_counter() - began) * 1000))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run(label: str, db: Path, ids: list[int], args: argparse.Namespace) -> Run:
    ctx = mp.get_context("fork")
    before = label == "before"
    if before:
        engine = make_engine(f"sqlite:///{db}")
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_items_duplicate_of_id"))
        engine.dispose()
    port, ready = free_port(), ctx.Event()
    web = ctx.Process(target=serve, args=(str(db), port, args.threads, before, ready), daemon=True)
    web.start()
    ready.wait(60)
    base = f"http://127.0.0.1:{port}"
    openers = [login(base, ("officer", "leader")[i % 2]) for i in range(args.readers)]
    results, go = ctx.Queue(), ctx.Event()
    # Forked before the reader threads exist: forking a process with threads running is unsafe.
    writer = ctx.Process(
        target=write, args=(str(db), args.rate, args.batch, args.seconds, go, results), daemon=True
    )
    writer.start()
    latencies: list[tuple[str, float]] = []
    errors: list[int] = []
    start, until = threading.Barrier(args.readers + 1), [0.0]
    readers = [
        threading.Thread(
            target=read, args=(o, base, ids, start, until, latencies, errors, i), daemon=True
        )
        for i, o in enumerate(openers)
    ]
    for reader in readers:
        reader.start()
    until[0] = time.monotonic() + args.seconds
    go.set()
    start.wait()
    for reader in readers:
        reader.join()
    outcome = results.get(timeout=600)
    writer.join()
    web.terminate()
    web.join()
    by_kind: dict[str, list[float]] = {}
    for kind, ms in latencies:
        by_kind.setdefault(kind, []).append(ms)
    all_ms = [ms for _, ms in latencies]
    return Run(label, all_ms, by_kind, len(errors), args.seconds, outcome)


def report(run: Run, offered: float) -> None:
    w = run.writer
    print(
        f"{run.label:<7} {len(run.latencies) / run.seconds:6.1f} req/s  "
        f"p50 {run.pct(0.50):7.1f} ms  p95 {run.pct(0.95):7.1f} ms  "
        f"p99 {run.pct(0.99):7.1f} ms  max {max(run.latencies, default=0):8.1f} ms  "
        f"errors {run.errors}  | writer {w['per_second']:5.1f} of {offered:g} items/s, "
        f"fell {w['worst_lag']:.1f} s behind at worst"
    )
    kinds = ", ".join(f"{k} {run.pct(0.95, k):.0f} ms" for k in ("item", "queue", "search"))
    print(f"        p95 by page: {kinds}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--readers", type=int, default=10)
    parser.add_argument("--threads", type=int, default=8, help="web.threads")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=20, help="items/s offered to the writer")
    parser.add_argument("--batch", type=int, default=1, help="items per ingest transaction")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=("before", "after"), help="one of the two runs")
    args = parser.parse_args()
    from storage.users import Passwords

    Passwords.hasher = CHEAP  # sign-in is not what is measured
    with tempfile.TemporaryDirectory() as tmp:
        master = Path(tmp) / "master.db"
        started = time.perf_counter()
        ids = prepare(master, args.items, args.seed)
        print(
            f"{args.items} items stored in {time.perf_counter() - started:.1f} s; "
            f"{args.readers} readers, {args.threads} web threads, {args.seconds:g} s each"
        )
        runs = {}
        for label in ("before", "after"):
            if args.only in (None, label):
                db = Path(tmp) / f"{label}.db"
                shutil.copy(master, db)
                runs[label] = run(label, db, ids, args)
                report(runs[label], args.rate)
    if len(runs) == 2:
        b, a = runs["before"], runs["after"]
        print(
            f"ratios after/before: p95 {a.pct(0.95) / b.pct(0.95):.2f}, "
            f"p99 {a.pct(0.99) / b.pct(0.99):.2f}, "
            f"requests/s {len(a.latencies) / max(len(b.latencies), 1):.2f}, "
            f"writer items/s {a.writer['per_second'] / b.writer['per_second']:.2f}"
        )


if __name__ == "__main__":
    main()

"""Queue page latency at city scale, officers working at the same time.

PostgreSQL: 1,000,000 items over 114 units, 20 officers at once (target p95 ≤ 150 ms per view).
SQLite: 200,000 items while a writer ingests new ones (target p95 ≤ 300 ms per view).

    python3 bench/queue_bench.py                                   # PostgreSQL, as above
    python3 bench/queue_bench.py --db sqlite --items 200000 --writer
    python3 bench/queue_bench.py --items 20000 --rounds 3          # a quick look

Each officer is a thread with its own signed-in session (Flask's test client: the whole request,
access rules, queries and template) and its own units (1 to 6 of them). It goes through every
queue view, filtered views, the list alone (the live refresh), the search and the live poll,
waiting ``--think`` seconds between pages on average (2: a page every two seconds per officer,
several times what an officer reading items does; 0 measures saturation, not latency); at most
``--web-threads`` requests run at once, as in waitress, and the time a request waits for a
thread counts. Each view is first requested alone (one officer, nobody else): what a request
costs before it waits, the "alone" column. The writer, when asked, ingests
``--writer-batch`` items every second through ``storage.ingest.ingest`` (classification stub,
deadlines, insert-or-ignore), as a daemon does.

The items are written with COPY (PostgreSQL) or one executemany per chunk (SQLite) into a table
without its secondary indexes, which are built afterwards; then the statistics are gathered, as
autovacuum would soon after. PostgreSQL: PAKN_BENCH_POSTGRES or
postgresql+psycopg://postgres@127.0.0.1:5432/test, in a scratch schema dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher
from queue_bench_data import NOW, PASSWORD, Officer, item_rows, officers_for, reply_rows
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from config.schema import Secret
from config.settings import Settings, UnitSettings, WebSettings
from review.app import create_app
from storage.db import make_engine, scratch_schema, session_factory, upgrade
from storage.deadlines import load_policy
from storage.ingest import IngestPolicy, ingest
from storage.records import ItemRecord
from storage.tables import Item, Reply
from storage.users import Passwords, create_user, ensure_units

PG_URL = os.environ.get("PAKN_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_MS = {"postgresql": 150.0, "sqlite": 300.0}
FILTERED = "/queue/all?category=phan_anh&urgent=no&reply=no"
FILTERED_TRIAGE = "/queue/triage?field=ha_tang_moi_truong&assignee=none&source=facebook_comment"
VIEWS = (
    ("triage", "/queue/triage"),
    ("mine", "/queue/mine"),
    ("due_soon", "/queue/due_soon"),
    ("overdue", "/queue/overdue"),
    ("small_talk", "/queue/small_talk"),
    ("all", "/queue/all"),
    ("filtered all", FILTERED),
    ("filtered triage", FILTERED_TRIAGE),
    ("list alone", "/queue/triage?partial=1"),
    ("search words", "/search?text=m%E1%BA%A5t+s%C3%B3ng"),
    ("search phone", "/search?text=0912345"),
    ("live poll", "/live/changes?since={cursor}"),
)


@dataclass(frozen=True)
class Plan:
    db: str
    items: int
    units: int
    officers: int
    rounds: int
    think: float
    web_threads: int
    writer: bool
    writer_batch: int
    seed: int


# ------------------------------------------------------------------------------ loading


def build(engine: Engine, plan: Plan) -> list[Officer]:
    """Units, officers and the items with their replies; returns the officers."""
    sessions = session_factory(engine)
    unit_ids = [f"u{n:03d}" for n in range(plan.units)]
    with sessions.begin() as session:
        ensure_units(session, [(u, f"UBND xã số {u[1:]}", "xa") for u in unit_ids])
    officers = officers_for(unit_ids, plan.officers)
    with sessions.begin() as session:
        for officer in officers:
            officer.user_id = create_user(
                session,
                username=officer.username,
                display_name=officer.username,
                password=PASSWORD,
                role="officer",
                unit_ids=list(officer.units),
                now=NOW,
            ).id
    started = time.perf_counter()
    dropped = _drop_indexes(engine)
    _copy(engine, Item.__table__.name, item_rows(plan.items, unit_ids, officers, plan.seed))
    _copy(engine, Reply.__table__.name, reply_rows(plan.items, unit_ids, plan.seed))
    loaded = time.perf_counter()
    _create_indexes(engine, dropped)
    _analyze(engine)
    print(
        f"  {plan.items:,} items: rows {loaded - started:.0f} s, "
        f"indexes and statistics {time.perf_counter() - loaded:.0f} s",
        flush=True,
    )
    return officers


def _drop_indexes(engine: Engine) -> list[str]:
    """Drop the items' secondary indexes; returns the statements that build them again, as the
    migrations wrote them (the trigram one names the schema of pg_trgm, for instance)."""
    if engine.dialect.name == "postgresql":
        listing = (
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'items' AND schemaname = current_schema()"
        )
    else:
        listing = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items'"
    with engine.begin() as conn:
        found = [(n, d) for n, d in conn.execute(text(listing)) if n.startswith("ix_") and d]
        for name, _definition in found:
            conn.execute(text(f'DROP INDEX "{name}"'))
    return [definition for _name, definition in found]


def _create_indexes(engine: Engine, statements: list[str]) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET maintenance_work_mem = '256MB'"))
        for statement in statements:
            conn.execute(text(statement))


def _copy(engine: Engine, table: str, rows: Iterator[dict[str, Any]]) -> None:
    if engine.dialect.name == "postgresql":
        _copy_postgresql(engine, table, rows)
    else:
        _insert_sqlite(engine, table, rows)


def _copy_postgresql(engine: Engine, table: str, rows: Iterator[dict[str, Any]]) -> None:
    first = next(rows)
    columns = list(first)
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        with driver.cursor() as cur:
            # Foreign keys are not checked row by row during the load (the bench wrote them).
            cur.execute("SET session_replication_role = replica")
            names = ", ".join(columns)
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                copy.write_row([first[c] for c in columns])
                for row in rows:
                    copy.write_row([row[c] for c in columns])
            cur.execute("SET session_replication_role = origin")
            cur.execute(  # our own table's name, not input
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        driver.commit()
    finally:
        raw.close()


def _insert_sqlite(engine: Engine, table: str, rows: Iterator[dict[str, Any]]) -> None:
    first = next(rows)
    columns = list(first)
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - our names
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        chunk = [_sqlite_values(first, columns)]
        for row in rows:
            chunk.append(_sqlite_values(row, columns))
            if len(chunk) == 50_000:
                _write_chunk(driver, sql, chunk)
                chunk = []
        _write_chunk(driver, sql, chunk)
    finally:
        raw.close()


def _sqlite_values(row: dict[str, Any], columns: list[str]) -> tuple[Any, ...]:
    # What UTCDateTime stores: naive UTC in SQLite's text format.
    return tuple(row[c].isoformat(" ") if hasattr(row[c], "isoformat") else row[c] for c in columns)


def _write_chunk(driver: Any, sql: str, chunk: list[tuple[Any, ...]]) -> None:
    driver.execute("BEGIN IMMEDIATE")
    driver.executemany(sql, chunk)
    driver.execute("COMMIT")


def _analyze(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE items"))
            conn.execute(text("VACUUM ANALYZE replies"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


# ---------------------------------------------------------------------------- measuring


class Timings:
    def __init__(self) -> None:
        self.by_view: dict[str, list[float]] = {name: [] for name, _url in VIEWS}
        # Each view alone (one officer, nobody else): what a request costs before it waits.
        self.alone: dict[str, float] = {}
        self.lock = threading.Lock()
        self.errors: list[str] = []

    def add(self, view: str, ms: float) -> None:
        with self.lock:
            self.by_view[view].append(ms)


def officer_work(
    client: Any, officer: Officer, plan: Plan, gate: threading.Semaphore, out: Timings
) -> None:
    try:
        _officer_day(client, officer, plan, gate, out)
    except BaseException as exc:  # SystemExit too: a thread would end without a word
        out.errors.append(f"{officer.username}: {exc!r}")


def _officer_day(
    client: Any, officer: Officer, plan: Plan, gate: threading.Semaphore, out: Timings
) -> None:
    cursor = client.get("/live/changes").get_json()["cursor"]
    pause = threading.Event()
    rng = random.Random(officer.username)
    for _round in range(plan.rounds):
        for name, url in VIEWS:
            pause.wait(rng.uniform(0, 2 * plan.think))  # thinking, not a sleep of the app
            started = time.perf_counter()
            with gate:  # waitress serves web.threads requests at once; the others wait
                response = client.get(url.format(cursor=cursor))
            out.add(name, (time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                out.errors.append(f"{officer.username} {url}: {response.status_code}")
            elif name == "live poll":
                cursor = response.get_json()["cursor"]


def signed_in(app: Any, username: str) -> Any:
    """A client of its own, signed in before the clock starts (sign-in is not measured, and a
    burst of sign-ins from one address is slowed down on purpose)."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert token is not None
    data = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    answer = client.post("/login", data=data)
    if answer.status_code != 302:
        raise SystemExit(f"could not sign in as {username}: {answer.status_code}")
    return client


def writer_work(sessions: sessionmaker[Session], plan: Plan, stop: threading.Event) -> int:
    """Ingest ``writer_batch`` items a second until ``stop``; returns how many were stored."""
    policy = IngestPolicy(classify=None, due_at=load_policy().deadline)
    stored, n = 0, 0
    while not stop.wait(1.0):
        records = []
        for _ in range(plan.writer_batch):
            n += 1
            records.append(
                ItemRecord(
                    source="facebook_comment",
                    external_id=f"live_{n}",
                    unit_id=f"u{n % plan.units:03d}",
                    created_time=NOW,
                    text=f"Đường thôn {n % 40} ngập sâu sau mưa, xe máy chết máy",
                    author_name=f"Người dân mới {n}",
                )
            )
        with sessions.begin() as session:
            stored += len(ingest(session, records, now=NOW, policy=policy).inserted)
    return stored


def _alone(client: Any, out: Timings, repeats: int = 7) -> None:
    """The median of each view requested on its own, one after the other, after one warm-up."""
    cursor = client.get("/live/changes").get_json()["cursor"]
    for name, url in VIEWS:
        client.get(url.format(cursor=cursor))
        took = []
        for _ in range(repeats):
            started = time.perf_counter()
            client.get(url.format(cursor=cursor))
            took.append((time.perf_counter() - started) * 1000)
        out.alone[name] = statistics.median(took)


def measure(sessions: sessionmaker[Session], officers: list[Officer], plan: Plan) -> Timings:
    settings = Settings(
        units=[UnitSettings(f"u{n:03d}", f"UBND xã số {n:03d}") for n in range(plan.units)],
        web=WebSettings(secret_key=Secret("b" * 48), threads=plan.web_threads),
    )
    policy = IngestPolicy(due_at=load_policy().deadline)
    app = create_app(settings, sessions, policy=policy, clock=lambda: NOW)
    out, gate, stop = Timings(), threading.Semaphore(plan.web_threads), threading.Event()
    _alone(signed_in(app, officers[-1].username), out)
    workers = [
        threading.Thread(target=officer_work, args=(signed_in(app, o.username), o, plan, gate, out))
        for o in officers
    ]
    written: list[int] = []
    writer = threading.Thread(target=lambda: written.append(writer_work(sessions, plan, stop)))
    started = time.perf_counter()
    if plan.writer:
        writer.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    stop.set()
    if plan.writer:
        writer.join()
        took = time.perf_counter() - started
        print(f"  the writer stored {written[0]:,} items in {took:.0f} s meanwhile", flush=True)
    return out


# ------------------------------------------------------------------------------- report


def report(out: Timings, plan: Plan) -> bool:
    target = TARGET_MS[plan.db]
    print(f"\n{'view':<18} {'requests':>8} {'alone':>9} {'p50':>9} {'p95':>9} {'p95/alone':>10}")
    worst = 0.0
    for name, _url in VIEWS:
        timings = sorted(out.by_view[name])
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        worst = max(worst, p95)
        alone = out.alone[name]
        print(
            f"{name:<18} {len(timings):>8} {alone:7.1f}ms {statistics.median(timings):7.1f}ms "
            f"{p95:7.1f}ms {p95 / alone:9.1f}x"
        )
    everything = sorted(t for ts in out.by_view.values() for t in ts)
    p95_all = everything[max(0, int(len(everything) * 0.95) - 1)]
    alone_all = statistics.mean(out.alone.values())
    print(
        f"{'every request':<18} {len(everything):>8} {alone_all:7.1f}ms "
        f"{statistics.median(everything):7.1f}ms {p95_all:7.1f}ms {p95_all / alone_all:9.1f}x"
    )
    speed = _python_speed()
    print(f"  (this machine: {speed:.2f} s for a fixed loop of pure Python; lower is faster)")
    for error in out.errors[:10]:
        print("  error:", error)
    ok = worst <= target and not out.errors
    print(
        f"\nworst p95 of a view: {worst:.1f} ms (target ≤ {target:.0f} ms): "
        f"{'met' if ok else 'NOT met'}"
    )
    return ok


def _python_speed() -> float:
    """A fixed amount of pure Python: shared machines slow down and speed up, and the same code
    measured an hour apart differed by a third; this says which kind of hour it was."""
    started = time.perf_counter()
    total = 0
    for n in range(5_000_000):
        total += n
    return time.perf_counter() - started


def run(plan: Plan, keep: str | None = None) -> bool:
    # Sign-in is not what is measured: a cheap hash keeps the setup short.
    Passwords.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if plan.db == "postgresql" and keep:
        return _run_on(_kept_schema(keep, plan), plan)
    if plan.db == "postgresql":
        with scratch_schema(PG_URL, "bench") as url:
            return _run_on(make_engine(url, pool_size=plan.web_threads + 2), plan)
    with tempfile.TemporaryDirectory() as folder:
        return _run_on(make_engine(f"sqlite:///{folder}/bench.db"), plan)


def _kept_schema(name: str, plan: Plan) -> Engine:
    """A schema that stays after the run (to look at query plans): built the first time."""
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{name}"'))
    admin.dispose()
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{name}"
    return make_engine(url, pool_size=plan.web_threads + 2)


def _officers(engine: Engine, plan: Plan) -> list[Officer]:
    """The officers of a database built before, or a new build."""
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT username, id FROM users")).all())
    if not ids:
        return build(engine, plan)
    found = officers_for([f"u{n:03d}" for n in range(plan.units)], plan.officers)
    for officer in found:
        officer.user_id = ids[officer.username]
    print("  kept schema: its items are measured again", flush=True)
    return found


def _run_on(engine: Engine, plan: Plan) -> bool:
    try:
        print(f"{plan.db}: {engine.url.render_as_string(hide_password=True)}", flush=True)
        upgrade(engine)
        officers = _officers(engine, plan)
        print(
            f"  {plan.officers} officers, {plan.rounds} rounds of {len(VIEWS)} pages each, "
            f"thinking {plan.think:g} s on average, {plan.web_threads} requests at once",
            flush=True,
        )
        return report(measure(session_factory(engine), officers, plan), plan)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--items", type=int, help="1,000,000 on PostgreSQL, 200,000 on SQLite")
    parser.add_argument("--units", type=int, default=114)
    parser.add_argument("--officers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10, help="passes over every page")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between pages")
    parser.add_argument("--web-threads", type=int, default=8, help="as web.threads")
    parser.add_argument("--writer", action="store_true", help="ingest while officers work")
    parser.add_argument("--writer-batch", type=int, default=20, help="items a second")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-schema", help="PostgreSQL: build into this schema and keep it")
    args = parser.parse_args()
    items = args.items or (1_000_000 if args.db == "postgresql" else 200_000)
    plan = Plan(
        args.db,
        items,
        args.units,
        args.officers,
        args.rounds,
        args.think,
        args.web_threads,
        args.writer,
        args.writer_batch,
        args.seed,
    )
    raise SystemExit(0 if run(plan, args.keep_schema) else 1)


if __name__ == "__main__":
    main()

"""Queue page latency with 100,000 items on PostgreSQL (issue target: p95 under 200 ms).

Fills a fresh schema with items across 3 units, signs in an officer (one unit) and a city-level
leader (all three units) and requests the first page of every queue view through Flask's test
client (the whole request: session, access rules, queries, template), ``--repeat`` times each.
The same runs on a 1,000-item schema give the baseline; the ratio shows how the pages scale.

    python3 bench/queue_bench.py [--items 100000] [--baseline 1000] [--repeat 200]

PostgreSQL: PAKN_BENCH_POSTGRES or postgresql+psycopg://postgres@127.0.0.1:5432/test. The
schemas are dropped at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from classifier.labels import CATEGORIES, DEFAULT_DEPARTMENT, FIELDS
from config.schema import Secret
from config.settings import Settings, UnitSettings, WebSettings
from review.app import create_app
from storage.db import make_engine, scratch_schema, session_factory, upgrade
from storage.deadlines import load_policy
from storage.ingest import IngestPolicy
from storage.tables import OPEN_STATUSES, Item
from storage.users import Passwords, create_user, ensure_units

PG_URL = os.environ.get("PAKN_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
UNITS = (
    ("cam-giang", "UBND xã Cẩm Giàng"),
    ("ai-quoc", "UBND phường Ái Quốc"),
    ("cat-hai", "Đặc khu Cát Hải"),
)
VIEWS = ("triage", "mine", "due_soon", "overdue", "all")
PASSWORD = "mật khẩu đo hiệu năng"  # noqa: S105 - a throwaway account in a throwaway schema
CLOSED = ("answered", "closed", "not_actionable")
TEXTS = (
    "Thôn {n} mất sóng 4G cả tuần nay rồi ad ơi",
    "cho em hỏi làm định danh mức 2 ở xã hay công an ạ",
    "Đề nghị xã lắp wifi miễn phí ở nhà văn hoá thôn {n}",
    "Đèn đường ngõ {n} tắt mấy hôm nay, tối đi lại nguy hiểm",
    "Hồ sơ dịch vụ công của tôi bị trả lại không rõ lý do, đề nghị xem lại",
    "Cán bộ một cửa đòi {n}00k phí làm nhanh",
    "Cảm ơn xã đã hỗ trợ bà con cài VNeID",
    "Dây điện đứt rơi xuống ngõ {n}, đang tóe lửa",
)


@dataclass(frozen=True)
class Result:
    label: str
    median_ms: float
    p95_ms: float


def fill(sessions: sessionmaker[Session], count: int, rng: random.Random) -> tuple[int, int]:
    """``count`` items across the units; returns the officer's and the leader's ids."""
    with sessions.begin() as session:
        ensure_units(session, [(u, name, "xa") for u, name in UNITS])
        officer = create_user(
            session,
            username="officer",
            display_name="Cán bộ đo",
            password=PASSWORD,
            role="officer",
            unit_ids=[UNITS[0][0]],
            now=NOW,
        ).id
        leader = create_user(
            session,
            username="leader",
            display_name="Lãnh đạo thành phố",
            password=PASSWORD,
            role="leader",
            unit_ids=[u for u, _ in UNITS],
            now=NOW,
        ).id
    rows = (_row(i, rng, officer) for i in range(count))
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 5000:
            _insert(sessions, chunk)
            chunk = []
    if chunk:
        _insert(sessions, chunk)
    return officer, leader


def vacuum(engine: Engine) -> None:
    """What autovacuum does soon after a bulk load: statistics and the visibility map (which
    lets the queue counts read the partial index alone)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE items"))


def _insert(sessions: sessionmaker[Session], rows: list[dict[str, Any]]) -> None:
    with sessions.begin() as session:
        session.execute(insert(Item), rows)


def _row(i: int, rng: random.Random, officer: int) -> dict[str, Any]:
    unit = UNITS[i % len(UNITS)][0]
    created = NOW - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
    message = rng.choice(TEXTS).format(n=rng.randrange(1, 40))
    category = rng.choice(CATEGORIES)
    field = rng.choice(FIELDS)
    urgent = rng.random() < 0.03
    # Most items of a year-old queue are done; a quarter is still open (a heavy backlog).
    status = rng.choice(CLOSED) if rng.random() < 0.75 else rng.choice(OPEN_STATUSES)
    due = created + timedelta(hours=4) if urgent else created + timedelta(days=rng.randrange(2, 12))
    return {
        "source": "facebook_comment",
        "external_id": f"{unit}_{i}",
        "unit_id": unit,
        "thread_id": f"{unit}_post_{i // 20}",
        "parent_id": f"{unit}_post_{i // 20}",
        "author_id": str(10**9 + i),
        "author_name": f"Người dân {i}",
        "text": message,
        "content_hash": hashlib.sha256(message.encode()).hexdigest(),
        "created_time": created,
        "first_seen_at": created,
        "last_seen_at": created,
        "pred_category": category,
        "pred_urgent": urgent,
        "pred_field": field,
        "confidence": rng.random(),
        "model_version": "bench",
        "classified_at": created,
        "category": category,
        "urgent": urgent,
        "field": field,
        "status": status,
        "flagged": status in OPEN_STATUSES and rng.random() < 0.3,
        "flag_reasons": "low_confidence",
        "confidential": category == "to_cao",
        "department": DEFAULT_DEPARTMENT[field],
        "assignee_id": officer if unit == UNITS[0][0] and rng.random() < 0.2 else None,
        "due_at": due,
        "deadline_rule": "bench",
    }


def measure(sessions: sessionmaker[Session], repeat: int) -> list[Result]:
    policy = IngestPolicy(classify=None, due_at=load_policy().deadline, routing=DEFAULT_DEPARTMENT)
    settings = Settings(
        units=[UnitSettings(u, name) for u, name in UNITS],
        web=WebSettings(secret_key=Secret("b" * 48)),
    )
    app = create_app(settings, sessions, policy=policy, clock=lambda: NOW)
    results = []
    for username in ("officer", "leader"):
        client = app.test_client()
        _login(client, username)
        pages = [(f"/queue/{v}", v) for v in VIEWS] + [
            ("/search?text=m%E1%BA%A5t+s%C3%B3ng", "search")
        ]
        for url, name in pages:
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
            timings.sort()
            p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
            results.append(Result(f"{username:<8} {name}", statistics.median(timings), p95))
    return results


def _login(client: Any, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert token is not None
    data = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    response = client.post("/login", data=data)
    if response.status_code != 302:
        raise SystemExit(f"could not sign in as {username}")


def run(count: int, repeat: int, seed: int) -> list[Result]:
    with scratch_schema(PG_URL, "bench") as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = session_factory(engine)
        started = time.perf_counter()
        fill(sessions, count, random.Random(seed))
        vacuum(engine)
        print(f"  {count:>7} items stored in {time.perf_counter() - started:.1f} s", flush=True)
        try:
            return measure(sessions, repeat)
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    # Sign-in is not what is measured: a cheap hash keeps the setup short.
    Passwords.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    print(f"PostgreSQL: {make_engine(PG_URL).url.render_as_string(hide_password=True)}")
    base = {r.label: r for r in run(args.baseline, args.repeat, args.seed)}
    full = run(args.items, args.repeat, args.seed)
    print(
        f"\n{'page':<20} {'median':>8} {'p95':>8}   {'p95 @' + str(args.baseline):>10} {'ratio':>6}"
    )
    worst = 0.0
    for r in full:
        b = base[r.label]
        worst = max(worst, r.p95_ms)
        ratio = r.p95_ms / b.p95_ms
        print(
            f"{r.label:<20} {r.median_ms:7.1f}ms {r.p95_ms:7.1f}ms {b.p95_ms:9.1f}ms {ratio:6.2f}"
        )
    print(f"\nworst p95 with {args.items} items: {worst:.1f} ms (target < 200 ms)")


if __name__ == "__main__":
    main()

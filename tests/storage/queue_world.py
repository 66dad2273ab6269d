"""A small world for the queue tests: two units, four people, items that enter through ingest."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier.labels import DEFAULT_DEPARTMENT
from storage.deadlines import load_policy
from storage.ingest import IngestPolicy, ingest
from storage.records import ItemRecord
from storage.tables import Item, Unit
from storage.users import create_user

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội
PASSWORD = "mật khẩu đủ dài"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@dataclass(frozen=True)
class Pred:
    category: str
    urgent: bool
    field: str
    confidence: float = 0.9
    model_version: str = "test-1"


def keyword_classifier(texts: Sequence[str]) -> list[Pred]:
    """Stands in for the model: a few words decide the labels."""
    out = []
    for text in texts:
        low = text.lower()
        if "đòi" in low:
            out.append(Pred("to_cao", False, "hanh_chinh"))
        elif "cháy" in low:
            out.append(Pred("phan_anh", True, "ha_tang_moi_truong", 0.95))
        elif "từ chối" in low:
            out.append(Pred("khieu_nai", False, "khcn_cds"))
        elif "?" in low:
            out.append(Pred("hoi_dap", False, "khcn_cds", 0.4))
        else:
            out.append(Pred("phan_anh", False, "khcn_cds"))
    return out


@functools.cache
def policy() -> IngestPolicy:
    deadlines = load_policy()
    return IngestPolicy(
        classify=keyword_classifier, due_at=deadlines.deadline, routing=dict(DEFAULT_DEPARTMENT)
    )


@dataclass(frozen=True)
class People:
    officer_a: int
    officer_b: int
    leader_a: int
    admin: int


def populate(session: Session) -> People:
    session.add_all([Unit(id="a", name="Xã A"), Unit(id="b", name="Phường B")])
    session.flush()

    def person(username: str, role: str, units: list[str]) -> int:
        user = create_user(
            session,
            username=username,
            display_name=username.title(),
            password=PASSWORD,
            role=role,
            unit_ids=units,
            now=NOW,
        )
        return user.id

    return People(
        officer_a=person("officer.a", "officer", ["a"]),
        officer_b=person("officer.b", "officer", ["b"]),
        leader_a=person("leader.a", "leader", ["a"]),
        admin=person("admin", "admin", []),
    )


_counter = iter(range(1, 10**9))


def add_item(
    session: Session,
    text: str,
    *,
    unit: str = "a",
    received: datetime | None = None,
    **record: object,
) -> Item:
    n = next(_counter)
    fields: dict[str, object] = {
        "source": "facebook_comment",
        "external_id": f"post_{n}_c",
        "unit_id": unit,
        "created_time": received or NOW - timedelta(minutes=n % 50),
        "text": text,
        "author_id": f"u{n}",
        "author_name": f"Người dân {n}",
        "thread_id": f"post_{unit}",
        "parent_id": f"post_{unit}",
    }
    fields.update(record)
    result = ingest(session, [ItemRecord(**fields)], now=NOW, policy=policy())  # type: ignore[arg-type]
    item = session.scalars(select(Item).where(Item.id == result.inserted[0])).one()
    return item

"""storage.page_answers through ingest(): a backfill's page replies, the direction rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.ingest import ingest
from storage.proposals import require_direction
from storage.records import ItemRecord
from storage.tables import AuditEntry, Item, Reply
from tests.storage.queue_world import NOW, People, policy, populate


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Iterator[tuple[Session, People]]:
    with sessions.begin() as session:
        yield session, populate(session)


def comment(n: int, parent: str, *, by_page: bool = False, text: str = "") -> ItemRecord:
    return ItemRecord(
        source="facebook_comment",
        external_id=f"bp_{n}",
        unit_id="a",
        thread_id="bp",
        parent_id=parent,
        author_id="page" if by_page else f"u{n}",
        author_name="UBND xã" if by_page else f"Người dân {n}",
        by_page=by_page,
        text=text or f"Bình luận {n}: đường thôn {n} ngập",
        created_time=NOW - timedelta(hours=2) + timedelta(minutes=n),
    )


def test_a_backfill_storing_questions_and_the_pages_answers_together_marks_each_answered(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    asked = [comment(n, "bp") for n in range(0, 60, 2)]
    answers = [
        comment(n + 1, f"bp_{n}", by_page=True, text=f"Đã ghi nhận {n}") for n in range(0, 60, 2)
    ]
    ingest(session, [*answers, *asked], now=NOW, policy=policy())
    statuses = session.execute(
        select(Item.status, func.count()).where(Item.by_page.is_(False)).group_by(Item.status)
    ).all()
    assert [(s, n) for s, n in statuses] == [("answered", 30)]
    assert session.scalar(select(func.count()).select_from(Reply)) == 30


def test_a_page_reply_before_a_required_direction_is_audited_but_does_not_answer(
    world: tuple[Session, People],
) -> None:
    session, people = world
    ingest(session, [comment(1, "bp")], now=NOW, policy=policy())
    asked = session.scalars(select(Item).where(Item.external_id == "bp_1")).one()
    require_direction(session, "a", asked.category or "", True, people.leader_a, NOW)
    ingest(session, [comment(2, "bp_1", by_page=True)], now=NOW, policy=policy())
    assert asked.status != "answered"
    assert session.scalar(select(func.count()).select_from(Reply)) == 0
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.item_id == asked.id)))
    assert "reply_direct_not_counted" in actions

"""storage.page_answers through ingest(): a backfill's page replies, the direction rule."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
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


def message(n: int, *, by_page: bool = False, minutes: int = 0) -> ItemRecord:
    return ItemRecord(
        source="facebook_message",
        external_id=f"m_{n}",
        unit_id="a",
        thread_id="t_1",
        author_id="page" if by_page else "psid_7",
        author_name="UBND xã" if by_page else "Người dân 7",
        by_page=by_page,
        text=f"Tin nhắn {n}: hỏi về kích hoạt VNeID",
        created_time=NOW - timedelta(hours=2) + timedelta(minutes=minutes),
    )


def _status(session: Session, external_id: str) -> str:
    return session.scalars(select(Item.status).where(Item.external_id == external_id)).one()


def test_a_comment_stored_after_the_pages_reply_to_it_is_marked_answered_once(
    world: tuple[Session, People],
) -> None:
    """The reply came first (a later page of a listing, a webhook): the other way round."""
    session, _people = world
    ingest(
        session, [comment(2, "bp_1", by_page=True, text="Xã đã ghi nhận")], now=NOW, policy=policy()
    )
    ingest(session, [comment(1, "bp"), comment(3, "bp")], now=NOW, policy=policy())
    assert _status(session, "bp_1") == "answered"
    assert _status(session, "bp_3") != "answered"  # no page reply under it
    ingest(session, [comment(1, "bp")], now=NOW, policy=policy())  # read again: nothing new
    replies = session.scalars(select(Reply)).all()
    assert [(r.graph_id, r.status) for r in replies] == [("bp_2", "sent")]


def test_a_visitor_post_stored_after_the_pages_comment_on_it_is_marked_answered(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    page_comment = comment(5, "vp_1", by_page=True, text="Cảm ơn bạn, xã sẽ xử lý")
    ingest(session, [replace(page_comment, thread_id="vp_1")], now=NOW, policy=policy())
    post = ItemRecord(
        source="facebook_post",
        external_id="vp_1",
        unit_id="a",
        thread_id="vp_1",
        author_id="u9",
        author_name="Người dân 9",
        text="Đèn đường thôn 2 tắt cả tuần nay",
        created_time=NOW - timedelta(hours=3),
    )
    ingest(session, [post], now=NOW, policy=policy())
    assert _status(session, "vp_1") == "answered"


def test_citizen_messages_stored_after_the_pages_answer_follow_the_same_rule(
    world: tuple[Session, People],
) -> None:
    """The page's first message at or after a citizen message answers it, whichever was stored
    first; a citizen message after the page's last one stays open."""
    session, _people = world
    ingest(session, [message(3, by_page=True, minutes=30)], now=NOW, policy=policy())
    ingest(
        session,
        [message(1, minutes=10), message(2, minutes=20), message(4, minutes=40)],
        now=NOW,
        policy=policy(),
    )
    assert [_status(session, f"m_{n}") for n in (1, 2)] == ["answered", "answered"]
    assert _status(session, "m_4") != "answered"
    replies = session.scalars(select(Reply).order_by(Reply.item_id)).all()
    assert [r.graph_id for r in replies] == ["m_3", "m_3"]

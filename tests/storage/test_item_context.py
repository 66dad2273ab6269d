from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storage.ingest import ingest
from storage.item_context import item_context
from storage.records import ItemRecord
from storage.replies import create_reply
from storage.review_queue import add_note, change_status, mark_duplicate
from storage.tables import Conversation, Item, Page, Post, User
from storage.visibility import MASK, Viewer, viewer_for
from tests.storage.queue_world import NOW, People, add_item, populate


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Iterator[tuple[Session, People]]:
    with sessions.begin() as session:
        people = populate(session)
        session.add(Page(id="100", unit_id="a", name="Xã A"))
        session.add(
            Post(id="100_1", page_id="100", created_time=NOW, message="Lịch tiêm chủng tháng 3")
        )
        session.flush()
        yield session, people


def viewer(session: Session, user_id: int) -> Viewer:
    user = session.get(User, user_id)
    assert user is not None
    return viewer_for(session, user)


def comment(session: Session, text: str, n: int, **kw: object) -> int:
    return add_item(
        session,
        text,
        external_id=f"100_1_{n}",
        page_id="100",
        thread_id="100_1",
        parent_id=kw.pop("parent_id", "100_1"),
        **kw,
    ).id


def test_a_reply_comment_shows_its_post_parent_and_thread(world: tuple[Session, People]) -> None:
    session, people = world
    parent = comment(session, "Lịch tiêm ở đâu ạ?", 1, author_name="Hoa")
    child = comment(session, "Em cũng muốn hỏi", 2, parent_id="100_1_1")
    item = session.get(Item, child)
    assert item is not None
    ctx = item_context(session, item, viewer(session, people.officer_a))
    assert ctx.post is not None and ctx.post.message == "Lịch tiêm chủng tháng 3"
    assert ctx.parent is not None and ctx.parent.id == parent
    assert [c.id for c in ctx.thread] == [parent]


def test_context_lists_replies_notes_earlier_texts_duplicates_and_audit(
    world: tuple[Session, People],
) -> None:
    session, people = world
    first = session.get(Item, comment(session, "Đèn ngõ 5 hỏng", 1))
    second = session.get(Item, comment(session, "Ngõ 5 tối", 2))
    assert first is not None and second is not None
    edit = ItemRecord(
        source="facebook_comment",
        external_id="100_1_1",
        unit_id="a",
        created_time=first.created_time,
        text="Đèn ngõ 5 hỏng cả tuần",
        page_id="100",
        thread_id="100_1",
        parent_id="100_1",
    )
    ingest(session, [edit], now=NOW + timedelta(hours=1))
    session.refresh(first)
    add_note(session, first, "Đã báo điện lực", people.officer_a, NOW)
    create_reply(session, first, "public_comment", "Xã đã tiếp nhận", people.officer_a, NOW)
    change_status(session, first, "acknowledged", people.officer_a, NOW)
    mark_duplicate(session, second, first.id, people.officer_a, NOW)
    ctx = item_context(session, first, viewer(session, people.officer_a))
    assert [v.text for v in ctx.versions] == ["Đèn ngõ 5 hỏng"]
    assert [n.note.text for n in ctx.notes] == ["Đã báo điện lực"]
    assert ctx.notes[0].author == "Officer.A"
    assert [(r.kind, r.status) for r in ctx.replies] == [("public_comment", "pending")]
    assert [d.id for d in ctx.duplicates] == [second.id]
    assert {a.entry.action for a in ctx.audit} >= {"note", "reply_created", "status"}
    other = item_context(session, second, viewer(session, people.officer_a))
    assert other.duplicate_of is not None and other.duplicate_of.id == first.id


def test_a_messenger_conversation_with_a_denunciation_masks_the_citizen_throughout(
    world: tuple[Session, People],
) -> None:
    session, people = world
    session.add(Conversation(id="t_9", page_id="100", participant_name="Vũ Thị Én"))
    ids = [
        add_item(
            session,
            text,
            source="facebook_message",
            external_id=f"m_{n}",
            page_id="100",
            thread_id="t_9",
            parent_id="t_9",
            author_id="555",
            author_name="Vũ Thị Én",
        ).id
        for n, text in enumerate(["Chào xã", "Cán bộ thôn đòi tiền hỗ trợ", "Mất sóng"])
    ]
    greeting = session.get(Item, ids[0])
    assert greeting is not None and not greeting.confidential
    officer_view = item_context(session, greeting, viewer(session, people.officer_a))
    assert [c.author_name for c in officer_view.thread] == [MASK, MASK]
    leader_view = item_context(session, greeting, viewer(session, people.leader_a))
    assert [c.author_name for c in leader_view.thread] == ["Vũ Thị Én", "Vũ Thị Én"]
    assert leader_view.conversation is not None

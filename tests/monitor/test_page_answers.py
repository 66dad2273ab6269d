"""A reply the page makes on Facebook itself marks the citizen item it answers, once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.daemon import Daemon
from monitor.replies import ReplySender
from simulator import GraphSimulator, World
from storage import replies
from storage.tables import AuditEntry, Item, Reply
from tests.monitor.harness import PAGES, make_daemon, settings_for

CAM = PAGES[0][0]
CITIZEN = ("8001", "Lê Thị Thu")
NEIGHBOUR = ("8002", "Trần Văn Bình")


@pytest.fixture
def daemon(sim: GraphSimulator, sessions: sessionmaker[Session], clock: object) -> Daemon:
    return make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)


def _item(sessions: sessionmaker[Session], external_id: str) -> Item:
    with sessions.begin() as session:
        item = session.scalar(select(Item).where(Item.external_id == external_id))
        assert item is not None
        return item


def _replies(sessions: sessionmaker[Session], item_id: int) -> list[Reply]:
    with sessions.begin() as session:
        return list(session.scalars(select(Reply).where(Reply.item_id == item_id)))


def _actions(sessions: sessionmaker[Session], item_id: int) -> list[str]:
    with sessions.begin() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.item_id == item_id)
                .order_by(AuditEntry.id)
            )
        )


def _citizen_messages(sessions: sessionmaker[Session]) -> list[Item]:
    with sessions.begin() as session:
        return list(
            session.scalars(
                select(Item)
                .where(Item.source == "facebook_message", Item.by_page.is_(False))
                .order_by(Item.created_time)
            )
        )


def test_a_page_reply_under_a_citizen_comment_on_facebook_marks_that_comment_answered(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> None:
    post = world.add_post(CAM, message="Lịch tiếp công dân tháng 3")
    asked = world.add_comment(post, author=CITIZEN, message="thứ 7 có làm việc không ạ?")
    other = world.add_comment(post, author=NEIGHBOUR, message="đường thôn 3 bao giờ sửa?")
    daemon.poll_cycle()
    clock.advance(minutes=30)
    answer = world.add_comment(asked, None, "Thứ 7 bộ phận một cửa làm việc buổi sáng ạ.")
    world.add_comment(post, None, "Cảm ơn bà con đã quan tâm.")  # top level: answers nobody
    daemon.poll_cycle()

    item = _item(sessions, asked)
    assert item.status == "answered"
    (reply,) = _replies(sessions, item.id)
    assert (reply.status, reply.kind, reply.graph_id, reply.created_by) == (
        "sent",
        "public_comment",
        answer,
        None,
    )
    assert {"reply_direct", "status"} <= set(_actions(sessions, item.id))
    untouched = _item(sessions, other)
    assert untouched.status == "new"
    assert _replies(sessions, untouched.id) == []


def test_a_page_message_answers_the_citizen_messages_before_it_and_not_the_later_ones(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> None:
    world.add_message(CAM, user=CITIZEN, message="ad ơi nhà em mất nước từ sáng")
    clock.advance(minutes=2)
    world.add_message(CAM, user=CITIZEN, message="cả xóm em đều mất ạ")
    clock.advance(minutes=10)
    world.add_message(CAM, user=CITIZEN, message="Xã đã báo công ty nước ạ.", from_page=True)
    clock.advance(minutes=5)
    world.add_message(CAM, user=CITIZEN, message="bao giờ có lại ạ?")
    daemon.poll_cycle()

    first, second, later = _citizen_messages(sessions)
    assert [first.status, second.status, later.status] == ["answered", "answered", "new"]
    assert [len(_replies(sessions, i.id)) for i in (first, second, later)] == [1, 1, 0]
    assert _replies(sessions, first.id)[0].kind == "messenger"

    # The next page message answers only what came after the previous one.
    clock.advance(minutes=5)
    world.add_message(CAM, user=CITIZEN, message="Chiều nay có nước lại ạ.", from_page=True)
    daemon.poll_cycle()
    first, second, later = _citizen_messages(sessions)
    assert later.status == "answered"
    assert [len(_replies(sessions, i.id)) for i in (first, second, later)] == [1, 1, 1]


def test_our_own_reply_read_back_from_facebook_is_not_counted_twice(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> None:
    world.add_message(CAM, user=CITIZEN, message="cho hỏi lịch tiêm phòng dại")
    daemon.poll_cycle()
    (asked,) = _citizen_messages(sessions)
    with sessions.begin() as session:
        item = session.get(Item, asked.id)
        assert item is not None
        replies.create_reply(session, item, "messenger", "Thứ 4 tuần này ạ.", None, clock())
    sender = ReplySender(daemon.settings, daemon.sessions, daemon.client, daemon.clock, "t")
    assert sender.send_due() == 1
    clock.advance(minutes=1)
    daemon.poll_cycle()  # reads the page's message (our reply) back from the conversation

    with sessions.begin() as session:
        echoed = session.scalar(
            select(Item).where(Item.source == "facebook_message", Item.by_page.is_(True))
        )
        assert echoed is not None
    (reply,) = _replies(sessions, asked.id)
    assert reply.graph_id == echoed.external_id
    assert "reply_direct" not in _actions(sessions, asked.id)
    assert _item(sessions, asked.external_id).status == "answered"


def test_a_public_page_comment_does_not_answer_a_denunciation(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> None:
    post = world.add_post(CAM, message="Lịch tiếp công dân tháng 3")
    asked = world.add_comment(post, author=CITIZEN, message="tôi tố cáo cán bộ địa chính")
    daemon.poll_cycle()
    with sessions.begin() as session:
        item = session.scalar(select(Item).where(Item.external_id == asked))
        assert item is not None
        item.category, item.confidential = "to_cao", True
    world.add_comment(asked, None, "Đề nghị ông/bà liên hệ trực tiếp UBND xã.")
    daemon.poll_cycle()

    item = _item(sessions, asked)
    assert item.status == "new"
    assert _replies(sessions, item.id) == []
    assert "reply_direct_not_counted" in _actions(sessions, item.id)

"""Officers' replies leave through the daemon: windows, states, failures, never twice."""

from __future__ import annotations

from datetime import timedelta

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


@pytest.fixture
def daemon(sim: GraphSimulator, sessions: sessionmaker[Session], clock: object) -> Daemon:
    return make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)


def sender(daemon: Daemon, owner: str = "test") -> ReplySender:
    return ReplySender(daemon.settings, daemon.sessions, daemon.client, daemon.clock, owner)


def item_for(sessions: sessionmaker[Session], external_id: str) -> Item:
    with sessions.begin() as session:
        item = session.scalar(select(Item).where(Item.external_id == external_id))
        assert item is not None
        return item


def queue_reply(
    sessions: sessionmaker[Session], external_id: str, kind: str, text: str, now: object
) -> int:
    with sessions.begin() as session:
        item = session.scalar(select(Item).where(Item.external_id == external_id))
        assert item is not None
        return replies.create_reply(session, item, kind, text, None, now).id  # type: ignore[arg-type]


def reply_row(sessions: sessionmaker[Session], reply_id: int) -> Reply:
    with sessions.begin() as session:
        row = session.get(Reply, reply_id)
        assert row is not None
        return row


def test_a_public_reply_is_posted_under_the_comment_once_and_answers_the_item(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: object
) -> None:
    post = world.add_post(CAM, message="Thông báo lịch tiếp công dân")
    comment = world.add_comment(post, author=CITIZEN, message="thứ 7 có làm việc không ạ?")
    daemon.poll_cycle()
    reply_id = queue_reply(
        sessions, comment, "public_comment", "Thứ 7 bộ phận một cửa làm việc buổi sáng ạ.", clock()
    )  # type: ignore[operator]
    assert sender(daemon).send_due() == 1
    assert sender(daemon).send_due() == 0
    sent = [e for e in world.sent_by_page(CAM) if e["kind"] == "comment"]
    assert [(e["target"], e["message"]) for e in sent] == [
        (comment, "Thứ 7 bộ phận một cửa làm việc buổi sáng ạ.")
    ]
    row = reply_row(sessions, reply_id)
    assert row.status == "sent"
    assert row.graph_id == sent[0]["id"]
    item = item_for(sessions, comment)
    assert item.status == "answered"
    with sessions.begin() as session:
        actions = set(
            session.scalars(select(AuditEntry.action).where(AuditEntry.item_id == item.id))
        )
    assert {"reply_created", "reply_sent", "status"} <= actions


def test_messenger_replies_use_the_24_hour_window_then_the_human_agent_tag(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: object
) -> None:
    world.add_message(CAM, user=CITIZEN, message="ad ơi nhà em mất nước từ sáng")
    daemon.poll_cycle()
    (message_id,) = [e for s, e in _stored(sessions) if s == "facebook_message"]
    queue_reply(
        sessions, message_id, "messenger", "Xã đã báo công ty nước, chiều nay có lại ạ.", clock()
    )  # type: ignore[operator]
    sender(daemon).send_due()
    clock.advance(days=2)  # type: ignore[attr-defined]
    queue_reply(sessions, message_id, "messenger", "Nhà mình đã có nước chưa ạ?", clock())  # type: ignore[operator]
    sender(daemon).send_due()
    sent = [e for e in world.sent_by_page(CAM) if e["kind"] == "message"]
    assert [(e["messaging_type"], e["tag"]) for e in sent] == [
        ("RESPONSE", None),
        ("MESSAGE_TAG", "HUMAN_AGENT"),
    ]
    clock.advance(days=6)  # type: ignore[attr-defined]
    with pytest.raises(replies.ReplyRefusedError, match="quá 7 ngày"):
        queue_reply(sessions, message_id, "messenger", "Xin lỗi vì trả lời muộn", clock())  # type: ignore[operator]


def test_a_window_that_closes_while_a_reply_waits_fails_it_with_the_reason(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: object
) -> None:
    world.add_message(CAM, user=CITIZEN, message="cho hỏi lịch tiêm")
    daemon.poll_cycle()
    (message_id,) = [e for s, e in _stored(sessions) if s == "facebook_message"]
    clock.advance(days=6, hours=23)  # type: ignore[attr-defined]
    reply_id = queue_reply(sessions, message_id, "messenger", "Lịch tiêm là thứ 4 ạ", clock())  # type: ignore[operator]
    clock.advance(hours=2)  # type: ignore[attr-defined]  # the daemon was down for two hours
    sender(daemon).send_due()
    row = reply_row(sessions, reply_id)
    assert row.status == "failed"
    assert "quá 7 ngày" in (row.error or "")
    assert not [e for e in world.sent_by_page(CAM) if e["kind"] == "message"]


def test_only_one_private_reply_per_comment(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: object
) -> None:
    post = world.add_post(CAM, message="Hướng dẫn VNeID")
    comment = world.add_comment(post, author=CITIZEN, message="em bị khóa tài khoản VNeID rồi")
    daemon.poll_cycle()
    queue_reply(
        sessions,
        comment,
        "private_reply",
        "Bạn nhắn số điện thoại để công an xã hỗ trợ nhé",
        clock(),
    )  # type: ignore[operator]
    with pytest.raises(replies.ReplyRefusedError, match="một lần"):
        queue_reply(sessions, comment, "private_reply", "Nhắc lại ạ", clock())  # type: ignore[operator]
    sender(daemon).send_due()
    assert [e["target"] for e in world.sent_by_page(CAM) if e["kind"] == "private_reply"] == [
        comment
    ]


def test_a_revoked_token_fails_the_reply_in_plain_words(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: object
) -> None:
    post = world.add_post(CAM, message="Thông báo")
    comment = world.add_comment(post, author=CITIZEN, message="cảm ơn xã")
    daemon.poll_cycle()
    reply_id = queue_reply(sessions, comment, "public_comment", "Cảm ơn bạn", clock())  # type: ignore[operator]
    world.revoke_token(CAM)
    sender(daemon).send_due()
    row = reply_row(sessions, reply_id)
    assert row.status == "failed"
    assert "Mã truy cập trang không còn hiệu lực" in (row.error or "")
    with sessions.begin() as session:
        replies.retry(session, session.get(Reply, reply_id), None, clock())  # type: ignore[arg-type]
    assert reply_row(sessions, reply_id).status == "pending"


def test_a_send_whose_answer_was_lost_is_not_sent_again(
    world: World,
    daemon: Daemon,
    sim: GraphSimulator,
    sessions: sessionmaker[Session],
    clock: object,
) -> None:
    post = world.add_post(CAM, message="Thông báo")
    comment = world.add_comment(post, author=CITIZEN, message="đường ngõ 5 tối om")
    daemon.poll_cycle()
    reply_id = queue_reply(sessions, comment, "public_comment", "Xã đã báo điện lực", clock())  # type: ignore[operator]
    sim.faults.set(drop_rate=1.0)
    sender(daemon).send_due()
    sim.faults.clear()
    row = reply_row(sessions, reply_id)
    assert row.status == "failed"
    assert "Kiểm tra trên trang" in (row.error or "")
    assert sender(daemon).send_due() == 0


def test_two_daemons_claiming_at_once_send_each_reply_once(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: object
) -> None:
    post = world.add_post(CAM, message="Thông báo")
    comments = [world.add_comment(post, author=CITIZEN, message=f"câu hỏi {n}") for n in range(3)]
    daemon.poll_cycle()
    for comment in comments:
        queue_reply(sessions, comment, "public_comment", "Đã tiếp nhận", clock())  # type: ignore[operator]
    with sessions.begin() as session:
        first = replies.claim_due(session, "daemon-a", clock(), timedelta(minutes=5))  # type: ignore[arg-type]
    with sessions.begin() as session:
        second = replies.claim_due(session, "daemon-b", clock(), timedelta(minutes=5))  # type: ignore[arg-type]
    assert len(first) == 3
    assert second == []


def _stored(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions.begin() as session:
        rows = session.execute(select(Item.source, Item.external_id).where(Item.by_page.is_(False)))
        return [(s, e) for s, e in rows]

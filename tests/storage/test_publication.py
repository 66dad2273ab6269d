"""Published answers: listed per unit with the sender masked, never for a denunciation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.publication import (
    PublicationRefusedError,
    publication_of,
    publish_reply,
    publish_result,
    published_answer,
    published_list,
    withdraw,
)
from storage.replies import create_reply, mark_failed
from storage.review_queue import review_labels
from storage.tables import AuditEntry
from tests.storage.queue_world import NOW, People, add_item, policy

NAME, PHONE = "Nguyễn Văn Hùng", "0912 345 678"
TEXT = f"Tôi là {NAME}, nhà số 12 ngõ 5 đường Lê Lợi, sđt {PHONE}. Cống trước nhà tắc."


def test_a_published_reply_shows_the_issue_and_the_answer_with_the_sender_masked(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, TEXT, author_name="Hùng Nguyễn", author_phone="0912345678")
    answer = f"Chào {NAME}, tổ công tác sẽ thông cống trước số 12 ngõ 5. Gọi lại {PHONE}."
    reply = create_reply(session, item, "private_reply", answer, people.officer_a, NOW)
    publish_reply(session, item, reply.id, people.officer_a, NOW)
    (shown,) = published_list(session, "a")
    assert published_answer(session, item.id) == shown
    public = shown.question + shown.answer
    for secret in (NAME, PHONE, "0912345678", "12 ngõ 5", "Hùng Nguyễn"):
        assert secret not in public
    assert "Cống trước nhà tắc" in shown.question and "tổ công tác" in shown.answer
    assert published_list(session, "b") == []
    (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "published"))
    assert (entry.user_id, json.loads(entry.after or "{}")) == (
        people.officer_a,
        {"reply_id": reply.id, "result": False},
    )


def test_a_denunciation_is_never_published_whatever_is_clicked(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Cán bộ địa chính đòi tiền mới làm sổ")
    reply = create_reply(session, item, "private_reply", "Xã đã nhận.", people.leader_a, NOW)
    with pytest.raises(PublicationRefusedError, match="tố cáo"):
        publish_reply(session, item, reply.id, people.leader_a, NOW)
    with pytest.raises(PublicationRefusedError, match="tố cáo"):
        publish_result(session, item, "Đã xử lý kỷ luật cán bộ.", people.leader_a, NOW)
    assert publication_of(session, item.id) is None
    assert published_list(session, "a") == []


def test_an_answer_published_before_the_item_became_a_denunciation_leaves_the_public_pages(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Mất sóng 4G ở thôn 3")
    publish_result(session, item, "Nhà mạng đã lắp thêm trạm.", people.officer_a, NOW)
    assert len(published_list(session, "a")) == 1
    review_labels(
        session,
        item,
        category="to_cao",
        urgent=False,
        field="hanh_chinh",
        user_id=people.leader_a,
        now=NOW,
        policy=policy(),
    )
    assert published_list(session, "a") == []
    assert published_answer(session, item.id) is None


def test_a_result_text_replaces_the_reply_and_can_be_withdrawn(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Đèn đường thôn 2 hỏng")
    reply = create_reply(session, item, "public_comment", "Đã báo điện lực.", people.officer_a, NOW)
    publish_reply(session, item, reply.id, people.officer_a, NOW)
    publish_result(session, item, "  Điện lực đã thay bóng ngày 3/3.  ", people.leader_a, NOW)
    assert [a.answer for a in published_list(session, "a")] == ["Điện lực đã thay bóng ngày 3/3."]
    assert withdraw(session, item, people.leader_a, NOW) is True
    assert withdraw(session, item, people.leader_a, NOW) is False
    assert published_list(session, "a") == []


def test_a_failed_reply_or_an_empty_result_is_not_published(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Đèn đường thôn 2 hỏng")
    reply = create_reply(session, item, "public_comment", "Đã báo điện lực.", people.officer_a, NOW)
    mark_failed(session, reply, "(#100) không gửi được", NOW)
    with pytest.raises(PublicationRefusedError, match="thất bại"):
        publish_reply(session, item, reply.id, people.officer_a, NOW)
    with pytest.raises(PublicationRefusedError, match="trống"):
        publish_result(session, item, "   ", people.officer_a, NOW)
    other = add_item(session, "Rác chưa thu ở chợ")
    with pytest.raises(PublicationRefusedError, match="Không có trả lời"):
        publish_reply(session, other, reply.id, people.officer_a, NOW)

"""Triage through the web: labels, status, assignment, notes, duplicates, replies."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select

from storage.deadlines import load_policy
from storage.replies import mark_failed
from storage.tables import AuditEntry, Reply
from tests.review.personas import Visitor, World, add_item, item

SignIn = Callable[[str], Visitor]


def audit(world: World, item_id: int, action: str) -> list[AuditEntry]:
    with world.sessions.begin() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.item_id == item_id, AuditEntry.action == action)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def test_the_item_page_shows_labels_confidence_model_deadline_rule_and_flags(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "cho em hỏi làm định danh mức 2 ở đâu?")
    page = signed_in("officer.a").text(f"/items/{item_id}")
    # The model's doubt in words, not a percentage that reads as certainty.
    assert "Hỏi đáp" in page and "(máy không chắc; cần cán bộ phân loại)" in page
    assert "kw-1" in page and "42%" not in page
    assert "Hỏi đáp: thời hạn mặc định" in page  # the rule, named, with its legal basis beside it
    assert "hoi_dap_mac_dinh" not in page
    assert "Máy phân loại chưa chắc chắn" in page  # the flag reason in words


def test_an_urgent_item_carries_the_urgent_badge_in_the_queue(
    world: World, signed_in: SignIn
) -> None:
    add_item(world.sessions, world.now(), "Dây điện đứt rơi xuống ngõ 12, đang tóe lửa")
    page = signed_in("officer.a").text("/queue/triage")
    assert "badge-urgent" in page and "KHẨN" in page


def test_confirming_labels_through_the_form_records_the_officer(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn 3")
    officer = signed_in("officer.a")
    response = officer.post(
        f"/items/{item_id}/labels", {"category": "phan_anh", "field": "khcn_cds"}
    )
    assert response.status_code == 302
    stored = item(world.sessions, item_id)
    assert stored.labels_reviewed_by == world.people.officer_a and not stored.labels_corrected
    assert stored.status == "in_triage"
    assert "Cán bộ An xác nhận" in officer.text(f"/items/{item_id}")


def test_correcting_a_label_recomputes_the_deadline_and_is_audited(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn 3")
    officer = signed_in("officer.a")
    officer.post(
        f"/items/{item_id}/labels", {"category": "kien_nghi", "field": "khcn_cds", "urgent": "y"}
    )
    stored = item(world.sessions, item_id)
    assert stored.labels_corrected and stored.urgent and stored.category == "kien_nghi"
    expected = load_policy().deadline("kien_nghi", True, stored.created_time)
    assert (stored.due_at, stored.deadline_rule) == expected
    (entry,) = audit(world, item_id, "labels_corrected")
    assert entry.user_id == world.people.officer_a
    assert json.loads(entry.after or "{}")["category"] == "kien_nghi"


def test_correcting_to_a_denunciation_sends_the_officer_back_to_the_queue(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Xã thu tiền làm giấy sai quy định")
    officer = signed_in("officer.a")
    response = officer.post(
        f"/items/{item_id}/labels",
        {"category": "to_cao", "field": "hanh_chinh"},
        follow_redirects=True,
    )
    assert response.request.path == "/queue/triage"
    assert "chuyển sang bảo mật" in response.get_data(as_text=True)
    assert item(world.sessions, item_id).confidential


def test_the_status_form_moves_along_the_workflow_and_refuses_a_jump(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn 3")
    officer = signed_in("officer.a")
    officer.post(f"/items/{item_id}/status", {"status": "acknowledged", "note": "Đã gọi lại"})
    stored = item(world.sessions, item_id)
    assert stored.status == "acknowledged"
    refused = officer.post(f"/items/{item_id}/status", {"status": "closed"}, follow_redirects=True)
    assert item(world.sessions, item_id).status == "acknowledged"
    assert "flash-error" in refused.get_data(as_text=True)
    page = officer.text(f"/items/{item_id}")
    assert "Đã gọi lại" in page and "Đổi trạng thái" in page


def test_a_duplicate_shows_the_link_on_both_items(world: World, signed_in: SignIn) -> None:
    first = add_item(world.sessions, world.now(), "Đèn đường ngõ 5 tắt")
    second = add_item(world.sessions, world.now(), "Ngõ 5 tối om")
    officer = signed_in("officer.a")
    officer.post(f"/items/{second}/duplicate", {"original_id": str(first)})
    assert item(world.sessions, second).status == "not_actionable"
    assert f'href="/items/{first}"' in officer.text(f"/items/{second}")
    assert f'href="/items/{second}"' in officer.text(f"/items/{first}")


def test_a_reply_is_queued_as_pending_and_shown_with_its_state(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn 3")
    officer = signed_in("officer.a")
    response = officer.post(
        f"/items/{item_id}/replies",
        {"kind": "public_comment", "text": "Xã đã tiếp nhận và báo nhà mạng."},
    )
    assert response.status_code == 302
    page = officer.text(f"/items/{item_id}")
    assert "Xã đã tiếp nhận và báo nhà mạng." in page and "Đang chờ gửi" in page
    assert audit(world, item_id, "reply_created")


def test_a_public_reply_naming_a_denouncer_is_refused_and_the_text_is_kept(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(
        world.sessions, world.now(), "Cán bộ địa chính đòi 3 triệu", author_name="Đỗ Minh Khoa"
    )
    leader = signed_in("leader.a")
    response = leader.post(
        f"/items/{item_id}/replies",
        {"kind": "public_comment", "text": "Cảm ơn anh Đỗ Minh Khoa đã phản ánh"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "không được nêu danh tính người tố cáo" in page
    assert "Cảm ơn anh Đỗ Minh Khoa đã phản ánh</textarea>" in page
    with world.sessions.begin() as session:
        assert session.scalars(select(Reply)).all() == []


def test_a_failed_reply_shows_its_reason_and_can_be_sent_again(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn 3")
    officer = signed_in("officer.a")
    officer.post(f"/items/{item_id}/replies", {"kind": "public_comment", "text": "Đã nhận."})
    with world.sessions.begin() as session:
        reply = session.scalars(select(Reply)).one()
        mark_failed(session, reply, "Bình luận đã bị người viết xoá", world.now())
        reply_id = reply.id
    page = officer.text(f"/items/{item_id}")
    assert "Gửi thất bại" in page and "Bình luận đã bị người viết xoá" in page
    officer.post(f"/items/{item_id}/replies/{reply_id}/retry")
    with world.sessions.begin() as session:
        assert session.get(Reply, reply_id).status == "pending"  # type: ignore[union-attr]


def test_notes_are_saved_and_shown_with_their_author(world: World, signed_in: SignIn) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn 3")
    officer = signed_in("officer.a")
    officer.post(f"/items/{item_id}/notes", {"text": "Viettel hẹn sửa thứ Năm"})
    page = officer.text(f"/items/{item_id}")
    assert "Viettel hẹn sửa thứ Năm" in page and "Cán bộ An" in page


def test_after_taking_an_item_the_status_form_offers_the_step_forward_first(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Đường ngõ 7 ngập sau mưa")
    officer = signed_in("officer.a")
    officer.post(f"/items/{item_id}/assign", {"assignee": str(world.people.officer_a)})
    assert item(world.sessions, item_id).status == "assigned"
    page = officer.text(f"/items/{item_id}")
    select = page.split('<select name="status">', 1)[1].split("</select>", 1)[0]
    first = select.split('value="', 2)[1].split('"', 1)[0]
    assert first == "in_progress"


def test_closing_an_item_asks_for_a_confirmation(world: World, signed_in: SignIn) -> None:
    item_id = add_item(world.sessions, world.now(), "Đèn đường ngõ 9 tắt")
    officer = signed_in("officer.a")
    for step in ("in_triage", "waiting_citizen"):
        officer.post(f"/items/{item_id}/status", {"status": step})
    assert item(world.sessions, item_id).status == "waiting_citizen"
    assert 'name="confirm_close"' in officer.text(f"/items/{item_id}")
    asked = officer.post(f"/items/{item_id}/status", {"status": "closed"}, follow_redirects=True)
    assert item(world.sessions, item_id).status == "waiting_citizen"
    assert "Tôi xác nhận đóng mục này" in asked.get_data(as_text=True)
    officer.post(f"/items/{item_id}/status", {"status": "closed", "confirm_close": "y"})
    assert item(world.sessions, item_id).status == "closed"

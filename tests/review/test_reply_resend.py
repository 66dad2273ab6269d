"""A reply that may or may not be on Facebook is sent again only by an officer who checked."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from sqlalchemy import select

from monitor.replies import LEASE
from storage.replies import claim, mark_failed, record_unknown
from storage.tables import AuditEntry, Reply
from tests.review.personas import Visitor, World, add_item

SignIn = Callable[[str], Visitor]
UNKNOWN = "Không rõ đã gửi chưa — kiểm tra trên trang Facebook"
RESEND = "Tôi đã kiểm tra, chưa có trên trang: gửi lại"


def reply_in_state(world: World, officer: Visitor, item_id: int, state: str) -> int:
    """The officer writes a reply; the daemon then leaves it ``unknown`` or ``failed`` for good."""
    officer.post(f"/items/{item_id}/replies", {"kind": "public_comment", "text": "Đã nhận ạ."})
    with world.sessions.begin() as session:
        reply_id = session.scalars(select(Reply.id).where(Reply.item_id == item_id)).one()
        claimed = claim(session, reply_id, "daemon", world.now(), LEASE)
        assert claimed is not None
        if state == "unknown":
            reason = "Facebook báo lỗi 504 sau khi có thể đã nhận."
            assert record_unknown(session, reply_id, "daemon", reason, world.now())
        else:
            mark_failed(session, claimed, "(#100) bình luận không còn", world.now(), permanent=True)
    return int(reply_id)


def status_of(world: World, reply_id: int) -> str:
    with world.sessions.begin() as session:
        found = session.get(Reply, reply_id)
        assert found is not None
        return found.status


def form_for(page: str, action: str) -> str:
    found = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert found, f"no form posting to {action}"
    return found.group(1)


def test_an_unknown_reply_is_resent_only_after_the_officer_confirms_checking_the_page(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Đèn đường thôn 2 hỏng")
    officer = signed_in("officer.a")
    reply_id = reply_in_state(world, officer, item_id, "unknown")
    action = f"/items/{item_id}/replies/{reply_id}/resend"

    page = officer.text(f"/items/{item_id}")
    assert UNKNOWN in page and "Facebook báo lỗi 504" in page
    form = form_for(page, action)
    assert RESEND in form
    assert 'name="csrf_token"' in form
    assert 'type="checkbox" name="checked" value="yes" required' in form
    assert f"/items/{item_id}/replies/{reply_id}/retry" not in page

    officer.post(action)  # the box was not ticked
    assert status_of(world, reply_id) == "unknown"
    assert "đánh dấu ô xác nhận" in officer.text(f"/items/{item_id}")

    assert officer.post(action, {"checked": "yes"}).status_code == 302
    assert status_of(world, reply_id) == "pending"
    with world.sessions.begin() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "reply_resend_checked")
        ).one()
        assert entry.user_id == world.people.officer_a
        assert json.loads(entry.after or "{}")["reply_id"] == reply_id
    page = officer.text(f"/items/{item_id}")
    assert "Gửi lại trả lời sau khi kiểm tra trang" in page  # in the audit trail
    assert action not in page

    officer.post(action, {"checked": "yes"})  # a second click resends nothing more
    with world.sessions.begin() as session:
        resends = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "reply_resend_checked")
        ).all()
        assert len(resends) == 1


def test_the_resend_form_is_refused_without_its_csrf_token(world: World, signed_in: SignIn) -> None:
    item_id = add_item(world.sessions, world.now(), "Đèn đường thôn 2 hỏng")
    officer = signed_in("officer.a")
    reply_id = reply_in_state(world, officer, item_id, "unknown")
    response = officer.client.post(
        f"/items/{item_id}/replies/{reply_id}/resend", data={"checked": "yes"}
    )
    assert response.status_code == 400
    assert status_of(world, reply_id) == "unknown"


def test_a_reply_facebook_refused_for_good_has_no_resend_button(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Đèn đường thôn 2 hỏng")
    officer = signed_in("officer.a")
    reply_id = reply_in_state(world, officer, item_id, "failed")
    retry = f"/items/{item_id}/replies/{reply_id}/retry"
    page = officer.text(f"/items/{item_id}")
    assert "(#100) bình luận không còn" in page
    assert "từ chối hẳn" in page
    assert retry not in page and RESEND not in page
    officer.post(retry)
    assert status_of(world, reply_id) == "failed"


def test_the_unknown_state_has_english_words_too(world: World, signed_in: SignIn) -> None:
    item_id = add_item(world.sessions, world.now(), "Đèn đường thôn 2 hỏng")
    officer = signed_in("officer.a")
    reply_in_state(world, officer, item_id, "unknown")
    page = officer.text(f"/items/{item_id}?lang=en")
    assert "Not known whether it was sent" in page
    assert "I checked, it is not on the Page: send again" in page

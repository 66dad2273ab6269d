"""The admin's page table counts each page's objects set aside or repaired in the last 24 hours
with the newest one's reason in words, never the object."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from review.i18n import load_texts
from storage.poll_state import reject
from storage.rejections import REASON_NAMES
from storage.tables import Page
from tests.review.personas import Visitor, World

SignIn = Callable[[str], Visitor]
CAM, AIQ = "100000000000001", "100000000000003"
NAME = "Đinh Quang Tố"
TOKEN = "EAABsecretTOKENxyz0123456789abcdef"


def test_each_page_counts_its_set_aside_and_repaired_objects_without_showing_them(
    world: World, signed_in: SignIn
) -> None:
    now = world.clock()
    raw = {"id": "1_1", "message": f"Tôi là {NAME}, mã {TOKEN}", "from": {"name": NAME}}
    with world.sessions.begin() as session:
        for pid, name in ((CAM, "Xã Cẩm Giàng"), (AIQ, "Phường Ái Quốc")):
            session.add(Page(id=pid, unit_id="a", name=name))
        session.flush()
        old = now - timedelta(hours=25)  # outside the window: not counted
        reject(session, CAM, "graph_object", {**raw, "id": "0"}, "đối tượng lồng quá sâu", old)
        reject(session, CAM, "repaired", raw, "nội dung có ký tự NUL, đã bỏ", now)
        why = f"thời gian không hợp lệ: '{NAME} {TOKEN}'"
        reject(session, CAM, "graph_object", {**raw, "created_time": why}, why, now)
    page = signed_in("admin").text("/admin/pages")
    assert page.count("Đối tượng lỗi trong 24 giờ: 1 để riêng, 1 đã sửa rồi lưu") == 1
    assert "thời gian thiếu hoặc sai" in page and "không mất tin nào khác" in page
    assert NAME not in page and "EAAB" not in page and "secretTOKEN" not in page


def test_every_kind_of_reason_has_its_words_in_vietnamese_and_english() -> None:
    for language in ("vi", "en"):
        texts = load_texts(language)
        assert [k for k in REASON_NAMES if f"admin.set_aside_{k}" not in texts] == []

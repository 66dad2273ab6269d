"""Report up, get a direction, answer; and the meeting summary, in a real browser (Debian's
Chromium through Playwright). Screenshots go to tests/artifacts/ for a human to look at."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.browsers import ARTIFACTS
from tests.review.personas import World, add_item
from tests.review.test_browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, world.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_a_leaders_direction_lets_the_officer_answer_and_the_meeting_sees_it(
    world: World, base_url: str, browser: Any
) -> None:
    now = world.now()
    signal = [
        add_item(world.sessions, now, text)
        for text in (
            "Thôn Lương Xá mất sóng 4G cả tuần nay rồi ad ơi",
            "Lương Xá mất sóng điện thoại từ hôm thứ 2, gọi không được",
            "thon luong xa mat song viettel 3 ngay nay",
        )
    ]
    add_item(world.sessions, now, "Rác ở chợ xã ba ngày không ai thu gom, bốc mùi")
    ARTIFACTS.mkdir(exist_ok=True)
    officer_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    leader_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    officer, leader = officer_ctx.new_page(), leader_ctx.new_page()
    for page in (officer, leader):
        page.set_default_timeout(15_000)
    sign_in(officer, base_url, "officer.a")
    sign_in(leader, base_url, "leader.a")

    # The leader requires a direction before any phản ánh of Xã A is answered.
    leader.goto(f"{base_url}/directions/rules")
    leader.check("input[value='a:phan_anh']")
    leader.click("text=Lưu")
    assert "Đã lưu; 1 thay đổi" in leader.locator(".flash-ok").inner_text()

    # The meeting summary groups the three reports; the officer proposes for the group.
    officer.goto(f"{base_url}/reports/meeting/")
    topic = officer.locator("section.rp-topic[data-topic-size='3']")
    assert "3 mục" in topic.inner_text() and "mất sóng" in topic.inner_text()
    assert officer.locator("section.rp-topic").count() == 2
    officer.screenshot(path=str(ARTIFACTS / "meeting.png"), full_page=True)
    topic.locator("text=Đề xuất xin chỉ đạo cho nhóm này").click()
    officer.wait_for_url("**/directions/new?**")
    assert officer.locator("ul.rows li").count() == 3
    officer.fill("textarea[name=summary]", "3 phản ánh mất sóng ở thôn Lương Xá")
    officer.fill("textarea[name=handling]", "Làm việc với nhà mạng, báo lịch sửa trạm cho bà con")
    officer.fill("input[name=department]", "Phòng Văn hóa - Xã hội")
    officer.click("text=Gửi lãnh đạo")
    assert "Đã gửi đề xuất" in officer.locator(".flash-ok").inner_text()

    # Before the direction the answer is refused, in words that say what to do.
    officer.goto(f"{base_url}/items/{signal[0]}")
    officer.fill("#reply textarea[name=text]", "Xã đã báo nhà mạng ạ.")
    officer.click("text=Gửi trả lời")
    assert "đang chờ chỉ đạo" in officer.locator("#reply").inner_text()

    # The leader finds it in "Chờ chỉ đạo" (the menu link) and approves with a change.
    leader.click("nav.mainnav >> text=Chờ chỉ đạo")
    leader.locator("#pending >> text=Đề xuất #").first.click()
    leader.wait_for_selector("#decide-form")
    leader.check("input[value=changed]")
    leader.fill(
        "textarea[name=direction]", "Đồng ý; Phòng Văn hóa - Xã hội chủ trì, báo cáo thứ Sáu"
    )
    leader.fill("input[name=new_deadline]", "2026-03-13")
    leader.screenshot(path=str(ARTIFACTS / "direction.png"), full_page=True)
    leader.click("#decide-form button[type=submit]")
    assert "Đã ghi ý kiến chỉ đạo" in leader.locator(".flash-ok").inner_text()
    assert "3 phản ánh mất sóng" in leader.locator("#decided").inner_text()

    # Now the officer answers; the item page shows the direction.
    officer.goto(f"{base_url}/items/{signal[0]}")
    panel = officer.locator("#direction-panel").inner_text()
    assert "Đồng ý, có điều chỉnh" in panel and "báo cáo thứ Sáu" in panel
    officer.fill("#reply textarea[name=text]", "Nhà mạng sẽ sửa trạm trong tuần này ạ.")
    officer.click("text=Gửi trả lời")
    assert "Đang chờ gửi" in officer.locator("ul.replies").inner_text()

    # The meeting summary shows the group's proposal with its direction.
    officer.goto(f"{base_url}/reports/meeting/")
    topic = officer.locator("section.rp-topic[data-topic-size='3']").inner_text()
    assert "Đồng ý, có điều chỉnh" in topic and "báo cáo thứ Sáu" in topic
    officer_ctx.close()
    leader_ctx.close()

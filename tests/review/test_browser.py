"""The officers' journey in a real browser (Debian's Chromium through Playwright).

Screenshots of the queue and the item page go to tests/artifacts/ for a human to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.browsers import ARTIFACTS
from tests.review.personas import PASSWORD, World, add_item

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


def seed(world: World) -> dict[str, int]:
    now: Callable[[], datetime] = world.now
    return {
        "urgent": add_item(
            world.sessions, now(), "Dây điện đứt rơi xuống ngõ 12 tổ 3, đang tóe lửa"
        ),
        "question": add_item(
            world.sessions, now(), "cho em hỏi làm định danh mức 2 ở xã hay công an ạ?"
        ),
        "denunciation": add_item(
            world.sessions,
            now(),
            "Cán bộ một cửa đòi 300k mới cho ký số hồ sơ",
            author_name="Trần Thị Bình",
        ),
        "report": add_item(
            world.sessions, now(), "Thôn Lương Xá mất sóng 4G cả tuần nay rồi ad ơi"
        ),
    }


def sign_in(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/queue/triage")


def test_an_officer_triages_corrects_replies_and_logs_a_call(
    world: World, base_url: str, browser: Any
) -> None:
    ids = seed(world)
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base_url, "officer.a")

    queue = page.locator("ul.rows")
    assert queue.locator("li").count() == 4
    urgent_row = queue.locator("li.row-urgent")
    assert urgent_row.count() == 1 and "KHẨN" in urgent_row.inner_text()
    assert "tóe lửa" in urgent_row.inner_text()
    locked = queue.locator("li.row-locked")
    assert "Thông tin người gửi được bảo mật" in locked.inner_text()
    assert "Trần Thị Bình" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)

    page.click(f"a[href='/items/{ids['question']}']")
    page.wait_for_url(f"{base_url}/items/{ids['question']}")
    facts = page.locator("dl.facts").inner_text()
    assert "Hỏi đáp (máy không chắc" in facts and "kw-1" in facts
    assert "Máy phân loại chưa chắc chắn" in facts and "Hỏi đáp: thời hạn mặc định" in facts

    page.select_option("select[name=category]", "kien_nghi")
    page.click("text=Lưu nhãn")
    assert "Đã sửa nhãn" in page.locator(".flash-ok").inner_text()
    assert "Kiến nghị" in page.locator("dl.facts").inner_text()

    page.click("text=Nhận xử lý")
    assert "Đã giao xử lý" in page.locator(".item-head").inner_text()

    page.fill("#reply textarea[name=text]", "Chào bạn, bạn mang căn cước đến công an xã nhé.")
    page.click("text=Gửi trả lời")
    replies = page.locator("ul.replies").inner_text()
    assert "Đang chờ gửi" in replies and "căn cước" in replies
    page.screenshot(path=str(ARTIFACTS / "item.png"), full_page=True)

    page.click("nav.mainnav >> text=Ghi cuộc gọi")
    page.fill("input[name=caller_name]", "Nguyễn Văn Tâm")
    page.fill("input[name=phone]", "0912000111")
    page.fill("textarea[name=text]", "Cháy bãi rác cạnh nhà văn hoá thôn 2, khói nhiều")
    page.click("text=Lưu cuộc gọi")
    assert "Đã lưu cuộc gọi" in page.locator(".flash-ok").inner_text()
    head = page.locator(".item-head").inner_text()
    assert "Đường dây nóng" in head and "KHẨN" in head

    page.click("text=English")
    assert "Queue" in page.locator("nav.mainnav").inner_text()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    small = phone.new_page()
    sign_in(small, base_url, "leader.a")
    small.goto(f"{base_url}/items/{ids['denunciation']}")
    assert "Trần Thị Bình" in small.locator(".author-line").inner_text()
    small.screenshot(path=str(ARTIFACTS / "item-phone.png"), full_page=True)
    phone.close()
    context.close()

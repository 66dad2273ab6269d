"""The loop back to the citizen in a real browser (Debian's Chromium through Playwright): an
officer answers and publishes, the citizen follows the code, reads the answer and rates it.

Screenshots go to tests/artifacts/ for a human to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from storage.replies import mark_sent
from storage.tables import Reply
from storage.tracking import code_of, shown
from tests.browsers import ARTIFACTS
from tests.review.personas import PASSWORD, World, add_item, item

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


def the_daemon_sends(world: World, item_id: int) -> None:
    """What monitor/replies.py does once Facebook accepted the reply."""
    with world.sessions.begin() as session:
        reply = session.scalars(select(Reply).where(Reply.item_id == item_id)).one()
        mark_sent(session, reply, "c_reply_1", world.now())


def test_an_answer_published_by_an_officer_is_read_and_rated_by_the_citizen(
    world: World, base_url: str, browser: Any
) -> None:
    item_id = add_item(
        world.sessions,
        world.now(),
        "Tôi là Nguyễn Văn Hùng, số nhà 12 ngõ 5 đường Lê Lợi, 0912345678: cống trước nhà tắc",
        author_name="Hùng Nguyễn",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    office = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = office.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", "officer.a")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/queue/triage")

    page.goto(f"{base_url}/items/{item_id}")
    page.fill("#reply textarea[name=text]", "Chào anh, tổ công tác đã thông cống sáng nay.")
    page.click("text=Gửi trả lời")
    assert "Mã theo dõi:" in page.locator("ul.replies").inner_text()
    the_daemon_sends(world, item_id)

    page.reload()
    page.check("#cong-khai input[name=reply_id]")
    page.click("#cong-khai form[action$='/publish'] button")
    assert "Đã công khai kết quả" in page.locator(".flash-ok").inner_text()
    page.screenshot(path=str(ARTIFACTS / "follow-up-item.png"), full_page=True)
    with world.sessions.begin() as session:
        code = code_of(session, item_id)
    assert code is not None

    citizen = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = citizen.new_page()
    phone.set_default_timeout(15_000)
    phone.goto(f"{base_url}/tra-cuu")
    phone.fill("input[name=ma]", shown(code).lower())
    phone.click("form.lookup-form button[type=submit]")
    phone.wait_for_url(f"{base_url}/tra-cuu/{code}")
    status = phone.locator("main").inner_text()
    assert "Đã có câu trả lời" in status and "tổ công tác đã thông cống" in status
    assert "cống trước nhà tắc" in status
    assert "tra cứu tại" not in phone.locator(".published-answer").inner_text()
    html = phone.content()
    for secret in ("Nguyễn Văn Hùng", "Hùng Nguyễn", "0912345678", "12 ngõ 5", "facebook.com"):
        assert secret not in html
    phone.screenshot(path=str(ARTIFACTS / "follow-up-status.png"), full_page=True)

    phone.check("input[name=satisfied][value=no]")
    phone.fill("textarea[name=reason]", "Cống vẫn còn tắc ở đoạn cuối ngõ")
    phone.click("#danh-gia button[type=submit]")
    assert "mở lại để lãnh đạo xem xét" in phone.locator(".flash-ok").inner_text()
    assert phone.locator("input[name=satisfied]").count() == 0
    phone.screenshot(path=str(ARTIFACTS / "follow-up-rated.png"), full_page=True)
    citizen.close()

    assert item(world.sessions, item_id).status == "reopened"
    page.reload()
    assert "Mở lại" in page.locator(".item-head").inner_text()
    assert "Cống vẫn còn tắc" in page.locator("#theo-doi").inner_text()
    office.close()

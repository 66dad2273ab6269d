"""The inbox officers keep open all day, in Chromium: the list follows without a reload, an
urgent item is notified, filters, a sweep of small talk, the keyboard, a canned reply, a failed
reply in the list, and the pages at phone width.

No test waits for the 10-second poll: each calls the page's own ``pakn.refresh()``, which polls
at once and resolves when the list has been fetched again. Screenshots go to tests/artifacts/ at
1366 px and 390×844.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from storage.ingest import ingest
from storage.records import ItemRecord
from storage.replies import create_reply, mark_failed
from storage.tables import Item, Reply
from tests.browsers import ARTIFACTS
from tests.review.personas import PASSWORD, World, add_item, item, make_policy
from tests.review.test_inbox import chat_classifier

pytestmark = pytest.mark.browser
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LOST = "Trang Facebook đã mất kết nối với hệ thống; báo quản trị viên kết nối lại trang."
# Records what the page asks the browser to show; the real Notification still runs.
SPY = """
window.__notified = [];
if (window.Notification) {
  const Real = window.Notification;
  class Spy extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notified.push({ title: title, body: (options || {}).body });
    }
  }
  window.Notification = Spy;
}
"""


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


def open_as(browser: Any, base_url: str, username: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(
        viewport=viewport, locale="vi-VN", permissions=["notifications"], base_url=base_url
    )
    context.add_init_script(SPY)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/queue/triage")
    first_poll(page)
    return page


def first_poll(page: Any) -> None:
    """The tab's first answer sets what it already knows; only later news is notified."""
    page.evaluate("window.pakn.ready")


def refresh(page: Any) -> None:
    page.evaluate("window.pakn.refresh()")


def small_talk(world: World, count: int) -> list[int]:
    policy = replace(make_policy(), classify=chat_classifier, small_talk_confidence=0.8)
    records = [
        ItemRecord(
            source="facebook_comment",
            external_id=f"sweep_{n}",
            unit_id="a",
            created_time=world.now() - timedelta(minutes=n),
            text=f"Vâng ạ, cảm ơn ad {n}",
            author_id=f"s{n}",
            author_name=f"Bạn đọc {n}",
        )
        for n in range(count)
    ]
    with world.sessions.begin() as session:
        return ingest(session, records, now=world.now(), policy=policy).inserted


def test_a_new_item_and_an_urgent_one_reach_the_open_queue_without_a_reload(
    world: World, base_url: str, browser: Any
) -> None:
    calm = add_item(world.sessions, world.now(), "Đèn đường ngõ 8 hỏng")
    page = open_as(browser, base_url, "officer.a", WIDE)
    assert page.locator("[data-notify-state]").inner_text() == "Thông báo mục khẩn đang bật"
    assert page.locator("ul.rows li").count() == 1
    page.evaluate("document.body.setAttribute('data-loaded-once', 'yes')")

    report = add_item(world.sessions, world.now(), "Cống thôn 3 tắc, nước tràn vào nhà")
    refresh(page)
    assert page.locator(f"li[data-id='{report}']").count() == 1
    assert page.locator("[data-count-of=triage]").inner_text() == "2"
    assert page.evaluate("window.__notified") == []

    fire = add_item(world.sessions, world.now(), "Cháy nhà kho thôn 2, lửa đang lan")
    refresh(page)
    assert page.locator(f"li.row-urgent[data-id='{fire}']").count() == 1
    notified = page.evaluate("window.__notified")
    assert notified == [{"title": f"Mục khẩn #{fire}", "body": "Cháy nhà kho thôn 2, lửa đang lan"}]
    assert page.title().startswith("(1) ")
    assert page.evaluate("window.pakn.beeps") == 1
    assert page.get_attribute("body", "data-loaded-once") == "yes"  # never reloaded
    refresh(page)
    assert len(page.evaluate("window.__notified")) == 1  # once per tab
    assert calm in [
        int(i)
        for i in page.locator("ul.rows li").evaluate_all("rows => rows.map(r => r.dataset.id)")
    ]
    page.screenshot(path=str(ARTIFACTS / "inbox-live-1366.png"), full_page=True)
    page.context.close()


def test_filters_and_a_sweep_of_twenty_small_talk_items(
    world: World, base_url: str, browser: Any
) -> None:
    fire = add_item(world.sessions, world.now(), "Dây điện đứt rơi xuống đường, tóe lửa")
    add_item(world.sessions, world.now(), "Cho hỏi làm VNeID ở đâu?")
    chats = small_talk(world, 20)
    page = open_as(browser, base_url, "officer.a", WIDE)
    page.click("details.filters summary")
    page.select_option("select[name=urgent]", "yes")
    page.click("form.filter-form button[type=submit]")
    assert [
        int(i)
        for i in page.locator("ul.rows li").evaluate_all("rows => rows.map(r => r.dataset.id)")
    ] == [fire]
    page.fill("form.save-filter input[name=name]", "Khẩn")
    page.click("form.save-filter button[type=submit]")
    assert page.locator("a.chip", has_text="Khẩn").count() == 1

    page.click("nav.tabs >> text=Không cần xử lý")
    assert page.locator("ul.rows li").count() == 20
    page.screenshot(path=str(ARTIFACTS / "inbox-small-talk-1366.png"), full_page=False)
    page.check("[data-select-all]")
    assert page.locator("[data-selected]").inner_text() == "20"
    page.select_option("#bulk select[name=action]", "close")
    page.click("#bulk button[type=submit]")
    assert "Đã làm xong với 20 mục." in page.locator(".flash-ok").inner_text()
    assert page.locator("ul.rows li").count() == 0
    assert all(item(world.sessions, i).status == "not_actionable" for i in chats)
    page.context.close()


def test_the_keyboard_walks_opens_and_takes_items(
    world: World, base_url: str, browser: Any
) -> None:
    first = add_item(world.sessions, world.now(), "Mất nước tổ 1 từ sáng")
    second = add_item(world.sessions, world.now() - timedelta(hours=1), "Mất nước tổ 2")
    page = open_as(browser, base_url, "officer.a", WIDE)
    order = page.locator("ul.rows li").evaluate_all("rows => rows.map(r => Number(r.dataset.id))")
    assert sorted(order) == sorted([first, second])
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.get_attribute("li.row.current", "data-id") == str(order[0])
    page.keyboard.press("x")
    assert page.locator("[data-selected]").inner_text() == "1"
    page.keyboard.press("?")
    assert page.locator("dialog#shortcuts").is_visible()
    assert "Nhận xử lý mục đang chọn" in page.locator("dialog#shortcuts").inner_text()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("t")
    # Taken, it leaves "Mới & cần xem"; the keys go on with the row that took its place.
    expect(page.locator(f"li[data-id='{order[1]}']")).to_have_count(0)
    assert item(world.sessions, order[1]).assignee_id == world.people.officer_a
    expect(page.locator("li.row.current")).to_have_attribute("data-id", str(order[0]))
    page.keyboard.press("o")
    page.wait_for_url(f"**/items/{order[0]}")
    page.context.close()


def test_a_canned_reply_is_inserted_with_a_slash_and_sent(
    world: World, base_url: str, browser: Any
) -> None:
    question = add_item(
        world.sessions, world.now(), "Cho em hỏi làm VNeID mức 2 ở đâu ạ?", author_name="Lê Thu Hoa"
    )
    page = open_as(browser, base_url, "officer.a", WIDE)
    page.goto(f"/items/{question}")
    box = page.locator("#reply textarea[name=text]")
    box.click()
    page.keyboard.type("/vneid định danh")
    picker = page.locator(".canned-picker")
    picker.locator("[role=option]").first.wait_for(state="visible")
    assert "VNeID" in picker.inner_text()
    page.keyboard.press("Enter")
    text = box.input_value()
    assert text.startswith("Chào Lê Thu Hoa, UBND xin trả lời") and f"(mã số {question})" in text
    assert "{" not in text and "/vneid" not in text
    page.click("text=Gửi trả lời")
    page.locator("ul.replies", has_text="Đang chờ gửi").wait_for()
    with world.sessions.begin() as session:
        (sent,) = session.scalars(select(Reply).where(Reply.item_id == question)).all()
        assert (
            sent.text.startswith("Chào Lê Thu Hoa,") and sent.created_by == world.people.officer_a
        )
    page.context.close()


def test_a_failed_reply_is_marked_in_the_queue_and_told_to_its_writer(
    world: World, base_url: str, browser: Any
) -> None:
    asked = add_item(world.sessions, world.now(), "Cho hỏi giờ làm việc của một cửa?")
    page = open_as(browser, base_url, "officer.a", WIDE)
    with world.sessions.begin() as session:
        found = session.get(Item, asked)
        assert found is not None
        reply = create_reply(
            session, found, "public_comment", "Sáng 7:30", world.people.officer_a, world.now()
        )
        mark_failed(
            session,
            reply,
            LOST,
            world.now(),
        )
    refresh(page)
    row = page.locator(f"li[data-id='{asked}']")
    assert "Trả lời lỗi" in row.inner_text()
    assert page.evaluate("window.__notified") == [
        {
            "title": f"Trả lời mục #{asked} chưa gửi được",
            "body": LOST,
        }
    ]
    page.screenshot(path=str(ARTIFACTS / "inbox-reply-failed-1366.png"), full_page=False)
    page.context.close()


def test_the_queue_the_admin_tables_and_the_item_actions_work_at_phone_width(
    world: World, base_url: str, browser: Any
) -> None:
    ids = [
        add_item(world.sessions, world.now(), f"Đèn đường ngõ {n} tắt cả tuần") for n in range(6)
    ]
    add_item(world.sessions, world.now(), "Cháy bãi rác cạnh trường, khói nhiều")
    small_talk(world, 3)
    page = open_as(browser, base_url, "leader.a", PHONE)
    width = "document.documentElement.scrollWidth"
    assert page.evaluate(width) <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / "inbox-queue-390.png"), full_page=True)
    page.goto(f"/items/{ids[0]}")
    assert page.evaluate(width) <= PHONE["width"]
    actions = page.locator("aside.item-actions").bounding_box()
    facts = page.locator("section[aria-labelledby=h-facts]").bounding_box()
    assert actions is not None and facts is not None and actions["y"] < facts["y"]
    page.screenshot(path=str(ARTIFACTS / "inbox-item-390.png"), full_page=False)
    page.context.close()

    admin = open_as(browser, base_url, "admin", PHONE)
    for url, name in (("/admin/users", "users"), ("/admin/canned-replies?unit=a", "canned")):
        admin.goto(url)
        assert admin.evaluate(width) <= PHONE["width"], url
        admin.screenshot(path=str(ARTIFACTS / f"inbox-admin-{name}-390.png"), full_page=True)
    admin.context.close()

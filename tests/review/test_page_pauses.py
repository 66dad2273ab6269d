"""The admin's page table and ``pakn pages`` say in Vietnamese what Meta's throttles pause."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from cli.intake import pause_lines
from storage.rate_pauses import PauseRecord, pauses, save_pause
from storage.tables import Page
from storage.workdays import VIETNAM_TZ as VN
from tests.review.personas import Visitor, World

SignIn = Callable[[str], Visitor]
CAM, AIQ = "100000000000001", "100000000000003"


def test_each_page_shows_the_pause_that_stops_it_and_until_when(
    world: World, signed_in: SignIn
) -> None:
    now = world.clock()
    with world.sessions.begin() as session:
        for pid, name in ((CAM, "Xã Cẩm Giàng"), (AIQ, "Phường Ái Quốc")):
            session.add(Page(id=pid, unit_id="a", name=name))
        session.flush()
        until = now + timedelta(minutes=7)
        save_pause(session, PauseRecord(CAM, "messenger", until, True, 0.0, "#80006", now))
        ended = PauseRecord(AIQ, "pages", now - timedelta(seconds=1), True, 0.0, "#80001", now)
        save_pause(session, ended)
    page = signed_in("admin").text("/admin/pages")
    assert page.count("tạm dừng đọc tin nhắn Messenger đến") == 1
    assert "bài viết và bình luận" not in page  # AIQ's pause has ended
    with world.sessions.begin() as session:
        lines = pause_lines(pauses(session, now), CAM, now)
    assert lines == [
        "tạm dừng: Facebook giới hạn trang này: tạm dừng đọc tin nhắn Messenger đến "
        f"{until.astimezone(VN):%H:%M %d/%m} (theo thời điểm Facebook báo)"
    ]


def test_an_app_pause_shows_on_every_page(world: World, signed_in: SignIn) -> None:
    now = world.clock()
    with world.sessions.begin() as session:
        for pid, name in ((CAM, "Xã Cẩm Giàng"), (AIQ, "Phường Ái Quốc")):
            session.add(Page(id=pid, unit_id="a", name=name))
        session.flush()
        app = PauseRecord("", "app", now + timedelta(seconds=60), False, 60.0, "#4", now)
        save_pause(session, app)
    page = signed_in("admin").text("/admin/pages")
    assert page.count("Facebook giới hạn cả ứng dụng: tạm dừng đọc mọi trang đến") == 2

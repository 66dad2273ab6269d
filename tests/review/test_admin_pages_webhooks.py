"""The admin pages view with webhooks on: each page's subscription and its last event."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from config.schema import Secret
from config.settings import WebhookSettings
from review.app import create_app
from storage import webhooks as store
from storage.tables import Page
from tests.review.personas import Visitor, make_policy, make_settings, populate

APP = store.SubscribedApp("100000000000000", "pakn", ("feed", "messages"))


def admin_pages(
    sessions: sessionmaker[Session], tmp_path: Path, clock: Callable[[], datetime]
) -> str:
    settings = make_settings(str(tmp_path))
    hooks = WebhookSettings(enabled=True, verify_token=Secret("v"))
    settings = dataclasses.replace(settings, webhooks=hooks)
    app = create_app(settings, sessions, policy=make_policy(), clock=clock, testing=True)
    visitor = Visitor(app)
    assert visitor.login("admin").status_code == 302
    return visitor.text("/admin/pages")


def test_the_pages_view_shows_webhooks_on_off_unknown_with_fields_and_the_last_event(
    sessions: sessionmaker[Session], tmp_path: Path, clock: Callable[[], datetime]
) -> None:
    now = clock()
    populate(sessions, now)
    with sessions.begin() as session:
        for n, name in enumerate(["Xã A – Trang chính", "Xã A – Đoàn thanh niên", "Phường B"]):
            session.add(Page(id=f"10000000000000{n}", unit_id="a", name=name))
        session.flush()
        store.record_subscriptions(session, "100000000000000", now, [APP])
        store.note_events(session, ["100000000000000"], now - timedelta(minutes=3))
        store.record_subscriptions(session, "100000000000001", now, [])
        reason = "Thiếu quyền pages_show_list: không đọc được đăng ký webhook"
        store.record_subscriptions(session, "100000000000002", now, None, reason)
    page = admin_pages(sessions, tmp_path, clock)
    rows = {
        pid: page[page.index(pid) : page.index("</tr>", page.index(pid))]
        for pid in ("100000000000000", "100000000000001", "100000000000002")
    }
    assert "Bật" in rows["100000000000000"]
    assert "Trường: feed, messages" in rows["100000000000000"]
    assert "Sự kiện gần nhất" in rows["100000000000000"]
    assert "1 sự kiện" in rows["100000000000000"]
    assert "Tắt: trang chưa đăng ký nhận webhook" in rows["100000000000001"]
    assert "Chưa nhận sự kiện nào" in rows["100000000000001"]
    assert "Chưa rõ: không đọc được đăng ký" in rows["100000000000002"]
    assert reason in rows["100000000000002"]
    assert "Đọc đăng ký lúc" in rows["100000000000002"]

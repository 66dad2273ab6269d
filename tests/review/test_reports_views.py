"""The leaders' dashboard and the report download, through Flask and in headless Chromium."""

from __future__ import annotations

import base64
import io
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from config.schema import Secret
from config.settings import Settings, UnitSettings, WebSettings
from review.app import create_app
from review.auth_views import signed_in
from storage.poll_state import sync_pages
from storage.tables import AuditEntry, Item, User, UserUnit
from tests.browsers import ARTIFACTS
from tests.review.personas import make_policy

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=VN).astimezone(UTC)
MARCH_START = datetime(2026, 3, 1, tzinfo=VN).astimezone(UTC)
DENOUNCER = "Trần Thị Bình"
CATEGORIES = ("phan_anh", "kien_nghi", "hoi_dap", "gop_y", "to_cao")
SOURCES = ("facebook_comment", "facebook_message", "hotline")
DEPARTMENTS = ("Phòng Văn hóa - Xã hội", "Phòng Kinh tế", "Văn phòng HĐND và UBND")


def seed(sessions: sessionmaker[Session]) -> dict[str, int]:
    """A month of items for Cẩm Giàng, a few for Ái Quốc, and three users."""
    with sessions.begin() as s:
        sync_pages(
            s,
            [
                ("cam-giang", "UBND xã Cẩm Giàng", "xa"),
                ("ai-quoc", "UBND phường Ái Quốc", "phuong"),
            ],
            [],
        )
        for n in range(70):
            created = MARCH_START + timedelta(hours=7 + n * 6.5)
            if created > NOW:
                break
            s.add(_item(n, created, "cam-giang"))
        s.add(_item(500, NOW - timedelta(days=2), "ai-quoc", text="Ái Quốc: đèn đường hỏng"))
        s.add(
            _item(
                501,
                NOW - timedelta(days=6),
                "cam-giang",
                text=f"Tôi là {DENOUNCER}, tố cáo cán bộ thu tiền sai",
                author_name=DENOUNCER,
                category="to_cao",
                confidential=True,
                status="in_progress",
                due_at=NOW - timedelta(days=1),
            )
        )
        users = {}
        for name, role, units in (
            ("canbo", "officer", ["cam-giang"]),
            ("lanhdao", "leader", ["cam-giang"]),
            ("quantri", "admin", []),
        ):
            user = User(
                username=name,
                display_name=name.title(),
                password_hash=f"test-hash-{name}",
                role=role,
                created_at=NOW,
            )
            s.add(user)
            s.flush()
            s.add_all(UserUnit(user_id=user.id, unit_id=u) for u in units)
            users[name] = user.id
    return users


def _item(n: int, created: datetime, unit: str, **fields: Any) -> Item:
    status = ("new", "in_progress", "answered", "closed", "assigned")[n % 5]
    handled = status in ("answered", "closed")
    values: dict[str, Any] = {
        "source": SOURCES[n % 3],
        "external_id": f"x{n}",
        "unit_id": unit,
        "author_id": f"u{n}",
        "author_name": f"Người dân {n}",
        "text": f"Phản ánh số {n} về sóng điện thoại yếu",
        "content_hash": f"h{n}",
        "created_time": created,
        "first_seen_at": created,
        "last_seen_at": created,
        "category": CATEGORIES[n % 4],
        "field": "khcn_cds",
        "department": DEPARTMENTS[n % 3],
        "urgent": n % 17 == 0,
        "status": status,
        "due_at": created + timedelta(days=(1, 3, 5)[n % 3]),
        "acknowledged_at": created + timedelta(minutes=30 + n),
        "answered_at": created + timedelta(hours=4 + (n % 7) * 12) if handled else None,
    }
    values.update(fields)
    return Item(**values)


@pytest.fixture
def users(sqlite_sessions: sessionmaker[Session]) -> dict[str, int]:
    return seed(sqlite_sessions)


@pytest.fixture
def app(sqlite_sessions: sessionmaker[Session], tmp_path: Path, users: dict[str, int]) -> Flask:
    settings = Settings(
        data_dir=str(tmp_path),
        units=[
            UnitSettings("cam-giang", "UBND xã Cẩm Giàng"),
            UnitSettings("ai-quoc", "UBND phường Ái Quốc", "phuong"),
        ],
        web=WebSettings(public_url="https://pakn.example.vn", secret_key=Secret("k" * 40)),
    )
    return create_app(
        settings, sqlite_sessions, policy=make_policy(), clock=lambda: NOW, testing=True
    )


def client_as(app: Flask, sessions: sessionmaker[Session], user_id: int) -> FlaskClient:
    client = app.test_client()
    with sessions.begin() as s:
        user = s.get(User, user_id)
        assert user is not None
        fields = signed_in(user)
    with client.session_transaction() as flask_session:
        flask_session.update(fields)
    return client


def received_in_march(sessions: sessionmaker[Session], unit: str) -> int:
    with sessions.begin() as s:
        query = select(func.count()).where(
            Item.unit_id == unit, Item.created_time >= MARCH_START, Item.by_page.is_(False)
        )
        return int(s.scalar(query) or 0)


def test_an_officer_may_not_open_the_dashboard_or_download_a_report(
    app: Flask, sqlite_sessions: sessionmaker[Session], users: dict[str, int]
) -> None:
    client = client_as(app, sqlite_sessions, users["canbo"])
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/download?period=month").status_code == 403


def test_the_dashboard_shows_this_months_figures_with_three_charts(
    app: Flask, sqlite_sessions: sessionmaker[Session], users: dict[str, int]
) -> None:
    page = client_as(app, sqlite_sessions, users["lanhdao"]).get("/reports/")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Tháng 3/2026" in html and "01/03/2026 – 31/03/2026" in html
    received = re.search(r"Tiếp nhận</span><span class=\"rp-stat-value\">(\d+)<", html)
    assert received is not None
    assert int(received.group(1)) == received_in_march(sqlite_sessions, "cam-giang")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 3
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert DENOUNCER not in html and "Ái Quốc: đèn đường hỏng" not in html
    assert "Báo cáo" in html  # the menu link added by the blueprint


def test_a_leader_cannot_ask_for_another_units_figures(
    app: Flask, sqlite_sessions: sessionmaker[Session], users: dict[str, int]
) -> None:
    client = client_as(app, sqlite_sessions, users["lanhdao"])
    assert client.get("/reports/?unit=ai-quoc").status_code == 403
    assert client.get("/reports/download?unit=ai-quoc").status_code == 403


def test_the_excel_download_carries_the_same_totals_and_is_audited(
    app: Flask, sqlite_sessions: sessionmaker[Session], users: dict[str, int]
) -> None:
    client = client_as(app, sqlite_sessions, users["quantri"])
    response = client.get("/reports/download?period=month&format=xlsx&unit=cam-giang")

    assert response.status_code == 200
    assert "bao-cao-cam-giang-20260301-20260331.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    summary = {r[0]: r[1] for r in book["Tổng hợp"].iter_rows(values_only=True) if r}
    assert summary["Tổng số tiếp nhận"] == received_in_march(sqlite_sessions, "cam-giang")
    with sqlite_sessions.begin() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "report_download")).one()
        assert entry.user_id == users["quantri"]


def test_the_excel_tables_for_leaders_carry_names_and_no_column_of_internal_codes(
    app: Flask, sqlite_sessions: sessionmaker[Session], users: dict[str, int]
) -> None:
    client = client_as(app, sqlite_sessions, users["quantri"])
    response = client.get("/reports/download?period=month&format=xlsx")
    book = load_workbook(io.BytesIO(response.data))
    for title in ("Theo kênh", "Theo loại", "Theo lĩnh vực", "Theo phòng ban", "Theo đơn vị"):
        rows = list(book[title].iter_rows(values_only=True))
        assert rows[0][0] == "Tên" and "Mã" not in rows[0], title
        cells = {str(cell) for row in rows for cell in row if cell is not None}
        assert not cells & {"cam-giang", "ai-quoc", "facebook_comment", "phan_anh"}, title
    assert rows[-1][0] == "Tổng cộng"


def test_a_csv_download_for_the_inspectorate_quarter_uses_the_cut_off(
    app: Flask, sqlite_sessions: sessionmaker[Session], users: dict[str, int]
) -> None:
    client = client_as(app, sqlite_sessions, users["lanhdao"])
    response = client.get("/reports/download?period=quarter&at=2026-03-14&format=csv")

    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    assert "Quý I năm 2026 (15/12/2025 – 14/03/2026)" in text
    with sqlite_sessions.begin() as s:
        end = datetime(2026, 3, 15, tzinfo=VN).astimezone(UTC)
        expected = s.scalar(
            select(func.count()).where(Item.unit_id == "cam-giang", Item.created_time < end)
        )
    assert f"Tổng số tiếp nhận,{expected}" in text


def test_a_wrong_date_range_comes_back_to_the_dashboard_with_the_fix(
    app: Flask, sqlite_sessions: sessionmaker[Session], users: dict[str, int]
) -> None:
    client = client_as(app, sqlite_sessions, users["lanhdao"])
    response = client.get(
        "/reports/download?from=2026-03-10&to=2026-03-01&format=xlsx", follow_redirects=True
    )
    assert response.status_code == 200
    assert "trước ngày bắt đầu" in response.get_data(as_text=True)


def test_a_range_with_only_its_first_day_asks_for_the_last_one_too(
    app: Flask, sqlite_sessions: sessionmaker[Session], users: dict[str, int]
) -> None:
    client = client_as(app, sqlite_sessions, users["lanhdao"])
    page = client.get("/reports/?from=2026-03-10&to=", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "điền cả Đến ngày" in text
    assert "Ngày &#39;&#39;" not in text and "Ngày ''" not in text


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.mark.browser
def test_the_dashboard_renders_in_chromium(
    app: Flask,
    served: str,
    sqlite_sessions: sessionmaker[Session],
    users: dict[str, int],
    browser: Any,
) -> None:
    with sqlite_sessions.begin() as s:
        leader = s.get(User, users["lanhdao"])
        assert leader is not None
        cookie = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
            signed_in(leader)
        )
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    try:
        context.add_cookies([{"name": "pakn_session", "value": cookie, "url": served}])
        page = context.new_page()
        page.goto(f"{served}/reports/")
        page.wait_for_load_state("networkidle")
        text = page.inner_text("main")
        widths = page.eval_on_selector_all("main img", "els => els.map(e => e.naturalWidth)")
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    finally:
        context.close()
    assert "Báo cáo cho lãnh đạo" in text and "Tháng 3/2026" in text
    assert "Mục quá hạn, chưa xử lý" in text and "Tải báo cáo" in text
    assert str(received_in_march(sqlite_sessions, "cam-giang")) in text
    assert DENOUNCER not in text
    assert len(widths) == 3 and all(w > 100 for w in widths)

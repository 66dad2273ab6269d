"""Hotline calls enter the queue through ingest; admins manage users and the calendar."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from review.context import EXTENSION
from storage.deadlines import load_policy
from storage.tables import AuditEntry, CalendarDay, Item, Page, User
from storage.workdays import VIETNAM_TZ
from tests.review.personas import PASSWORD, Visitor, World

SignIn = Callable[[str], Visitor]
_CALL_ID = re.compile(r'name="call_id" type="hidden" value="([0-9a-f]{32})"')


def call_form(visitor: Visitor, **fields: str) -> dict[str, str]:
    page = visitor.client.get("/hotline", follow_redirects=True).get_data(as_text=True)
    found = _CALL_ID.search(page)
    assert found, "the form carries a call id"
    return {
        "call_id": found.group(1),
        "caller_name": "Nguyễn Thị Lan",
        "phone": "0987654321",
        "unit": "a",
        "received_at": "2026-03-02T14:30",
        "text": "Dây điện đứt rơi xuống đường ngõ 12, đang tóe lửa",
        **fields,
    }


def hotline_items(world: World) -> list[Item]:
    with world.sessions.begin() as session:
        rows = session.scalars(select(Item).where(Item.source == "hotline")).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def test_a_logged_call_is_classified_given_a_deadline_and_queued(
    world: World, signed_in: SignIn
) -> None:
    officer = signed_in("officer.a")
    response = officer.post("/hotline", call_form(officer))
    assert response.status_code == 302
    (call,) = hotline_items(world)
    received = call.created_time.astimezone(VIETNAM_TZ)
    assert (received.hour, received.minute) == (14, 30)
    assert (call.author_name, call.author_phone) == ("Nguyễn Thị Lan", "0987654321")
    assert call.external_id.startswith("hotline-") and call.status == "new"
    assert (call.category, call.urgent, call.model_version) == ("phan_anh", True, "kw-1")
    assert (call.due_at, call.deadline_rule) == load_policy().deadline(
        "phan_anh", True, call.created_time
    )
    assert "Dây điện đứt" in officer.text("/queue/triage")
    with world.sessions.begin() as session:
        logged = session.scalars(
            select(AuditEntry.user_id).where(AuditEntry.action == "hotline_logged")
        ).all()
    assert logged == [world.people.officer_a]


def test_submitting_the_same_call_form_twice_stores_one_call(
    world: World, signed_in: SignIn
) -> None:
    officer = signed_in("officer.a")
    form = call_form(officer)
    officer.post("/hotline", form)
    officer.post("/hotline", form)
    assert len(hotline_items(world)) == 1


def test_back_to_a_saved_call_form_and_save_again_shows_the_call_already_stored(
    world: World, signed_in: SignIn
) -> None:
    officer = signed_in("officer.a")
    form = call_form(officer)
    form_address = f"/hotline?call={form['call_id']}"
    saved = officer.post(form_address, form)
    (call,) = hotline_items(world)
    assert saved.headers["Location"] == f"/items/{call.id}"
    # Back: the browser fetches the form's address again (pages are not cached) and restores
    # the text but not the caller's name; the officer presses Save once more.
    again = officer.text(form_address)
    assert form["call_id"] in again
    assert f"#{call.id}" in again
    resaved = officer.post(form_address, {**form, "caller_name": ""})
    assert resaved.headers["Location"] == f"/items/{call.id}"
    (still,) = hotline_items(world)
    assert still.author_name == "Nguyễn Thị Lan"
    shown = officer.text(f"/items/{call.id}")
    assert "đã được lưu trước đó thành mục" in shown


def test_a_new_call_form_gets_a_call_id_of_its_own(world: World, signed_in: SignIn) -> None:
    officer = signed_in("officer.a")
    first, second = officer.get("/hotline"), officer.get("/hotline")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"].startswith("/hotline?call=")
    assert first.headers["Location"] != second.headers["Location"]


def test_a_call_time_in_the_future_is_refused(world: World, signed_in: SignIn) -> None:
    officer = signed_in("officer.a")
    response = officer.post("/hotline", call_form(officer, received_at="2026-03-03T09:00"))
    assert response.status_code == 400
    assert "tương lai" in response.get_data(as_text=True)
    assert hotline_items(world) == []


def test_a_call_cannot_be_logged_for_a_unit_one_does_not_belong_to(
    world: World, signed_in: SignIn
) -> None:
    officer = signed_in("officer.a")
    assert officer.post("/hotline", call_form(officer, unit="b")).status_code == 403
    assert hotline_items(world) == []


def test_an_admin_adds_a_user_who_can_then_sign_in(world: World, signed_in: SignIn) -> None:
    admin = signed_in("admin")
    response = admin.post(
        "/admin/users",
        {
            "username": "hoa.nguyen",
            "display_name": "Nguyễn Thị Hoà",
            "role": "officer",
            "units": ["a", "b"],
            "password": "mật khẩu của Hoà",
        },
    )
    assert response.status_code == 302
    assert Visitor(world.app).login("hoa.nguyen", "mật khẩu của Hoà").status_code == 302
    page = admin.text("/admin/users")
    assert "Nguyễn Thị Hoà" in page


def test_a_short_password_is_refused_in_the_admin_form(world: World, signed_in: SignIn) -> None:
    admin = signed_in("admin")
    response = admin.post(
        "/admin/users",
        {
            "username": "x.y",
            "display_name": "X",
            "role": "officer",
            "units": ["a"],
            "password": "ngắn",
        },
    )
    assert response.status_code == 400
    assert "ít nhất 10 ký tự" in response.get_data(as_text=True)


def test_an_admin_unlocks_an_account_and_moves_it_to_another_unit(
    world: World, signed_in: SignIn
) -> None:
    for attempt in range(5):
        Visitor(world.app).login("officer.b", f"sai {attempt}", REMOTE_ADDR=f"10.2.0.{attempt}")
    admin = signed_in("admin")
    assert "Tạm khoá đến" in admin.text("/admin/users")
    admin.post(
        f"/admin/users/{world.people.officer_b}",
        {
            "display_name": "Cán bộ Bảo",
            "role": "officer",
            "units": ["a"],
            "active": "y",
            "unlock": "y",
        },
    )
    assert Visitor(world.app).login("officer.b", PASSWORD).status_code == 302
    with world.sessions.begin() as session:
        user = session.get(User, world.people.officer_b)
        assert user is not None and user.locked_until is None
    with world.sessions.begin() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.item_id.is_(None)))
        assert "user_updated" in set(actions)


def test_an_admin_cannot_remove_their_own_admin_role(world: World, signed_in: SignIn) -> None:
    admin = signed_in("admin")
    admin.post(
        f"/admin/users/{world.people.admin}",
        {"display_name": "Quản trị Dũng", "role": "officer", "units": ["a"], "active": "y"},
    )
    with world.sessions.begin() as session:
        user = session.get(User, world.people.admin)
        assert user is not None and user.role == "admin"


def test_an_added_day_off_counts_at_once_in_the_deadlines_of_the_web(
    world: World, signed_in: SignIn
) -> None:
    admin = signed_in("admin")
    extra = date(2026, 3, 4)  # an ordinary Wednesday
    with world.app.app_context():
        assert world.app.extensions[EXTENSION].deadlines.calendar.is_working_day(extra)
    response = admin.post(
        "/admin/calendar", {"day": "2026-03-04", "kind": "off", "note": "Nghỉ bù theo QĐ thành phố"}
    )
    assert response.status_code == 302
    assert "Nghỉ bù theo QĐ thành phố" in admin.text("/admin/calendar")
    with world.sessions.begin() as session:
        assert session.get(CalendarDay, extra) is not None
    services = world.app.extensions[EXTENSION]
    assert not services.deadlines.calendar.is_working_day(extra)
    admin.post("/admin/calendar/2026-03-04/delete")
    assert services.deadlines.calendar.is_working_day(extra)


def test_the_page_health_table_lists_each_page(world: World, signed_in: SignIn) -> None:
    with world.sessions.begin() as session:
        session.add(
            Page(
                id="100000000000001",
                unit_id="a",
                name="Xã A – Trang chính",
                last_error="Mã truy cập hết hạn",
                consecutive_failures=3,
            )
        )
    page = signed_in("admin").text("/admin/pages")
    assert "Xã A – Trang chính" in page and "Mã truy cập hết hạn" in page
    assert "Lỗi 3 lần liên tiếp" in page

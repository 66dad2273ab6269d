"""The admins' calendar: a day off or a make-up day moves open deadlines at once, audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from storage.tables import AuditEntry, Item
from tests.review.personas import Visitor, World, add_item, item

SignIn = Callable[[str], Visitor]


def _due(world: World, item_id: int) -> datetime:
    found = item(world.sessions, item_id).due_at
    assert found is not None
    return found


def test_a_day_off_moves_the_deadlines_of_open_items_and_removing_it_moves_them_back(
    world: World, signed_in: SignIn
) -> None:
    open_id = add_item(world.sessions, world.clock(), "Đường thôn Đông ngập sâu, đề nghị xử lý")
    closed_id = add_item(world.sessions, world.clock(), "Đèn đường hỏng ở ngõ 12")
    with world.sessions.begin() as session:
        closed = session.get(Item, closed_id)
        assert closed is not None
        closed.status = "closed"
    before_open, before_closed = _due(world, open_id), _due(world, closed_id)
    admin = signed_in("admin")

    response = admin.post(
        "/admin/calendar", {"day": "2026-03-04", "kind": "off", "note": "Nghỉ theo QĐ thành phố"}
    )
    assert response.status_code == 302
    moved = _due(world, open_id)
    assert moved > before_open  # one working day later
    assert _due(world, closed_id) == before_closed  # a closed item keeps its history
    with world.sessions.begin() as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "deadline_recomputed", AuditEntry.item_id == open_id
            )
        ).all()
        assert len(entries) == 1

    admin.post("/admin/calendar/2026-03-04/delete")
    assert _due(world, open_id) == before_open


def test_a_make_up_day_must_be_a_weekend_day_the_admin_confirms(
    world: World, signed_in: SignIn
) -> None:
    admin = signed_in("admin")
    weekday = admin.post(
        "/admin/calendar", {"day": "2026-03-11", "kind": "work", "note": "Làm bù", "confirm": "y"}
    )
    assert weekday.status_code == 400
    assert "thứ Bảy hoặc Chủ nhật" in weekday.get_data(as_text=True)
    unconfirmed = admin.post(
        "/admin/calendar", {"day": "2026-03-08", "kind": "work", "note": "Làm bù"}
    )
    assert unconfirmed.status_code == 400
    sunday_off = admin.post("/admin/calendar", {"day": "2026-03-08", "kind": "off", "note": "x"})
    assert sunday_off.status_code == 400
    confirmed = admin.post(
        "/admin/calendar",
        {"day": "2026-03-08", "kind": "work", "note": "Làm bù theo CV 123", "confirm": "y"},
    )
    assert confirmed.status_code == 302


def test_the_calendar_page_lists_the_statutory_holidays_already_known(
    signed_in: SignIn,
) -> None:
    page = signed_in("admin").text("/admin/calendar")
    assert "Quốc khánh" in page
    assert "02/09/2026" in page

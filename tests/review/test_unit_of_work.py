"""A request is one unit of work: all its changes, or none of them.

The app runs here as in production, with exceptions turned into the 500 page
(``PROPAGATE_EXCEPTIONS=False``) rather than raised into the test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.tables import AuditEntry, Item, Note, Unit
from tests.review.personas import Visitor, World, add_item

SignIn = Callable[[str], Visitor]


@pytest.fixture(autouse=True)
def error_pages(world: World) -> None:
    world.app.config["PROPAGATE_EXCEPTIONS"] = False


def _fail(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError("lỗi lập trình giả định: Nguyễn Văn Dân 0912345678")


def state(world: World, item_id: int) -> tuple[str, list[str], int]:
    """The item's status, its audit actions and its number of notes."""
    with world.sessions.begin() as session:
        status = session.scalars(select(Item.status).where(Item.id == item_id)).one()
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.item_id == item_id).order_by(AuditEntry.id)
        ).all()
        notes = session.scalar(select(func.count()).where(Note.item_id == item_id)) or 0
    return status, list(actions), notes


def test_a_view_that_fails_after_writing_leaves_the_database_unchanged_and_says_what_to_do(
    world: World, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn Lương Xá")
    officer = signed_in("officer.a")
    before = state(world, item_id)
    # The status change is written (item and audit entry), then adding the note fails.
    monkeypatch.setattr("review.item_views.add_note", _fail)
    response = officer.post(
        f"/items/{item_id}/status", {"status": "acknowledged", "note": "Đã gọi lại cho dân"}
    )
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Máy chủ gặp lỗi" in page and "không thay đổi nào của lần này được lưu" in page
    assert "báo quản trị viên" in page and "Cán bộ An" in page  # the usual page, signed in
    assert "Traceback" not in page and "RuntimeError" not in page and "0912345678" not in page
    assert state(world, item_id) == before == ("new", [], 0)


def test_a_view_that_returns_without_error_commits_its_changes(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn Lương Xá")
    response = signed_in("officer.a").post(
        f"/items/{item_id}/status", {"status": "acknowledged", "note": "Đã gọi lại cho dân"}
    )
    assert response.status_code == 302
    assert state(world, item_id) == ("acknowledged", ["status", "note"], 1)


def test_a_refused_request_keeps_its_audit_entry_and_nothing_else(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Cán bộ thôn đòi tiền", author_name="Lê Hạnh")
    officer = signed_in("officer.a")
    assert officer.get(f"/items/{item_id}").status_code == 403
    # A POST holds the write lock on SQLite: the entry is written after it is released.
    assert officer.post(f"/items/{item_id}/notes", {"text": "xem thử"}).status_code == 403
    denied = ["view_confidential_denied"] * 2
    assert state(world, item_id) == ("new", denied, 0)


def test_the_500_page_follows_the_english_switch(
    world: World, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G")
    officer = signed_in("officer.a")
    officer.text("/queue/all?lang=en")
    monkeypatch.setattr("review.item_views.item_context", _fail)
    response = officer.get(f"/items/{item_id}")
    assert response.status_code == 500
    assert "none of its changes were saved" in response.get_data(as_text=True)


def test_pages_answer_while_another_process_holds_the_write_lock(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn Lương Xá")
    officer = signed_in("officer.a")
    # The daemon in the middle of a write: on SQLite its transaction holds the write lock.
    with world.sessions.begin() as daemon:
        daemon.add(Unit(id="c", name="Xã C"))
        daemon.flush()
        assert "Mất sóng 4G" in officer.text("/queue/all")
        assert "Mất sóng 4G" in officer.text(f"/items/{item_id}")

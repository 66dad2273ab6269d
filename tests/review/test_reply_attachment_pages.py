"""Answers with proof on the officers' and citizens' pages: the form, the checks, the files."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage import attachments
from storage.publication import publish_reply
from storage.replies import mark_sent
from storage.tables import Item, Reply, ReplyAttachment
from storage.tracking import code_of
from tests.proof_files import png
from tests.review.personas import Visitor, World, add_item

SignIn = Callable[[str], Visitor]


def answer(officer: Visitor, item_id: int, files: list[tuple[str, bytes]]) -> int:
    data = {
        "kind": "private_reply",
        "text": "Xã đã sửa xong, gửi ảnh ạ.",
        "files": [(io.BytesIO(body), name) for name, body in files],
    }
    response = officer.post(f"/items/{item_id}/replies", data, content_type="multipart/form-data")
    return response.status_code


def test_a_photo_answer_shows_on_the_status_page_once_sent_with_safe_headers(
    world: World, signed_in: SignIn, tmp_path: Path
) -> None:
    item_id = add_item(world.sessions, world.now(), "Đèn đường thôn 2 hỏng")
    officer = signed_in("officer.a")
    assert answer(officer, item_id, [("den-da-sua.png", png())]) == 302
    with world.sessions.begin() as session:
        row = session.scalars(select(ReplyAttachment)).one()
        code = code_of(session, item_id)
        assert code is not None
        file_id = row.id
    assert (tmp_path / "attachments" / str(item_id)).is_dir()
    citizen = world.app.test_client()
    assert citizen.get(f"/tra-cuu/{code}/tep/{file_id}").status_code == 404  # not sent yet
    assert "proof-photo" not in citizen.get(f"/tra-cuu/{code}").get_data(as_text=True)
    with world.sessions.begin() as session:
        reply = session.scalars(select(Reply)).one()
        mark_sent(session, reply, "m_1", world.now())
    page = citizen.get(f"/tra-cuu/{code}").get_data(as_text=True)
    assert f"/tra-cuu/{code}/tep/{file_id}" in page and "Hình ảnh, tài liệu kèm trả lời" in page
    served = citizen.get(f"/tra-cuu/{code}/tep/{file_id}")
    assert served.status_code == 200 and served.data == png()
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert citizen.get(f"/tra-cuu/{code}/tep/{file_id + 1}").status_code == 404
    officer_view = officer.get(f"/items/{item_id}/files/{file_id}")
    assert officer_view.status_code == 200 and officer_view.data == png()
    assert signed_in("officer.b").get(f"/items/{item_id}/files/{file_id}").status_code == 404


def test_a_html_page_renamed_png_is_refused_with_the_text_kept_and_nothing_stored(
    world: World, signed_in: SignIn, tmp_path: Path
) -> None:
    item_id = add_item(world.sessions, world.now(), "Rác ở chợ chưa thu")
    officer = signed_in("officer.a")
    html = b"<html><script>alert(document.cookie)</script></html>"
    data = {
        "kind": "private_reply",
        "text": "Đã thu rác ạ.",
        "files": [(io.BytesIO(png()), "a.png"), (io.BytesIO(html), "b.png")],
    }
    response = officer.post(f"/items/{item_id}/replies", data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tệp “b.png” không phải ảnh JPEG, PNG, WebP" in page and "Đã thu rác ạ." in page
    with world.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(ReplyAttachment)) == 0
        assert session.scalar(select(func.count()).select_from(Reply)) == 0
    assert not (tmp_path / "attachments").exists()


def test_the_published_list_shows_a_published_answers_photo_and_never_a_denunciations(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Cống thôn 4 tắc")
    officer = signed_in("officer.a")
    assert answer(officer, item_id, [("cong.png", png())]) == 302
    with world.sessions.begin() as session:
        item = session.get(Item, item_id)
        reply = session.scalars(select(Reply)).one()
        assert item is not None
        mark_sent(session, reply, "m_1", world.now())
        publish_reply(session, item, reply.id, world.people.leader_a, world.now())
        file_id = session.scalars(select(ReplyAttachment.id)).one()
    citizen = world.app.test_client()
    assert f"/cong-khai/a/tep/{file_id}" in citizen.get("/cong-khai/a").get_data(as_text=True)
    assert citizen.get(f"/cong-khai/a/tep/{file_id}").data == png()
    assert citizen.get(f"/cong-khai/b/tep/{file_id}").status_code == 404
    with world.sessions.begin() as session:
        found = session.get(Item, item_id)
        assert found is not None
        found.category = "to_cao"  # it turned out to be a denunciation after publishing
    assert citizen.get(f"/cong-khai/a/tep/{file_id}").status_code == 404
    assert f"/tep/{file_id}" not in citizen.get("/cong-khai/a").get_data(as_text=True)


def test_a_reply_request_that_fails_after_storing_its_files_leaves_no_file_and_no_row(
    world: World, signed_in: SignIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = add_item(world.sessions, world.now(), "Nắp cống ngõ 9 vỡ")
    officer = signed_in("officer.a")
    written: list[Path] = []
    attach = attachments.attach

    def attach_then_fail(*args: Any, **kwargs: Any) -> Any:
        rows = attach(*args, **kwargs)
        written.extend(attachments.path_of(args[3], row) for row in rows)
        assert all(path.is_file() for path in written)
        raise RuntimeError("the database went away after the files were written")

    monkeypatch.setattr(attachments, "attach", attach_then_fail)
    with pytest.raises(RuntimeError, match="went away"):
        answer(officer, item_id, [("nap-cong.png", png()), ("bien-ban.png", png(rgb=(0, 0, 9)))])
    assert len(written) == 2 and not any(path.exists() for path in written)
    assert [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()] == []
    with world.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(ReplyAttachment)) == 0
        assert session.scalar(select(func.count()).select_from(Reply)) == 0

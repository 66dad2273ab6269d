"""Canned replies: defaults on first use, per-unit templates, placeholders that never name a
denouncer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.canned_replies import (
    DEFAULTS,
    NO_DEADLINE,
    NO_NAME,
    CannedReplyError,
    deadline_words,
    fill,
    save_template,
    store_defaults,
    unit_templates,
)
from storage.search_text import fold
from storage.tables import AuditEntry, CannedReply
from tests.storage.queue_world import NOW, People, add_item

BODY = "Chào {ten_nguoi_dan}, mục {ma_muc} được trả lời trước {han_xu_ly}."


def test_a_unit_without_templates_gets_the_defaults_once(world: tuple[Session, People]) -> None:
    session, _people = world
    shown = unit_templates(session, "a")
    assert sorted(c.title for c in shown) == sorted(title for title, _body in DEFAULTS)
    assert all(c.id is None for c in shown)
    titles = " ".join(c.title for c in shown)
    assert "VNeID" in titles and "Dịch vụ công" in titles and "Giờ làm việc" in titles
    assert "chuyển phòng" in titles
    store_defaults(session, "a", NOW)
    store_defaults(session, "a", NOW)  # a second first use stores nothing more
    count = session.scalar(select(func.count()).select_from(CannedReply))
    assert count == len(DEFAULTS)
    stored = unit_templates(session, "a")
    assert all(c.id is not None for c in stored)
    assert all(c.id is None for c in unit_templates(session, "b"))
    # The picker keeps its order when the defaults are stored, on either database.
    assert [c.title for c in stored] == [c.title for c in shown]
    assert [fold(c.title) for c in shown] == sorted(fold(c.title) for c in shown)


def test_templates_are_per_unit_switched_off_not_deleted_and_audited(
    world: tuple[Session, People],
) -> None:
    session, people = world
    own = save_template(
        session, "a", title="Lịch tiêm chủng", body=BODY, user_id=people.admin, now=NOW
    )
    assert {c.title for c in unit_templates(session, "a")} >= {"Lịch tiêm chủng", DEFAULTS[0][0]}
    assert "Lịch tiêm chủng" not in {c.title for c in unit_templates(session, "b")}
    save_template(
        session,
        "a",
        title="Lịch tiêm chủng",
        body=BODY,
        active=False,
        template_id=own.id,
        user_id=people.admin,
        now=NOW,
    )
    assert "Lịch tiêm chủng" not in {c.title for c in unit_templates(session, "a")}
    assert "Lịch tiêm chủng" in {c.title for c in unit_templates(session, "a", with_inactive=True)}
    audited = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "canned_reply_saved")
    ).all()
    assert len(audited) == 2 and all(e.user_id == people.admin for e in audited)
    with pytest.raises(CannedReplyError, match="tải lại"):
        save_template(session, "b", title="x", body="y", template_id=own.id, user_id=None, now=NOW)


def test_a_template_with_an_unknown_placeholder_or_a_taken_title_is_refused(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    with pytest.raises(CannedReplyError, match=r"\{ten\}"):
        save_template(session, "a", title="Sai", body="Chào {ten}", user_id=None, now=NOW)
    with pytest.raises(CannedReplyError, match="đã có mẫu"):
        save_template(session, "a", title=DEFAULTS[0][0], body="Khác", user_id=None, now=NOW)
    with pytest.raises(CannedReplyError, match="cả tên và nội dung"):
        save_template(session, "a", title=" ", body="Khác", user_id=None, now=NOW)


def test_placeholders_name_the_citizen_number_and_deadline(world: tuple[Session, People]) -> None:
    session, _people = world
    item = add_item(session, "Đèn đường ngõ 5 hỏng", author_name="Nguyễn Văn Tâm")
    text = fill(session, BODY, item)
    assert text.startswith("Chào Nguyễn Văn Tâm, mục ")
    assert f"mục {item.id} " in text and deadline_words(item.due_at) in text
    assert "{" not in text


def test_a_denouncer_is_never_named_by_a_template(world: tuple[Session, People]) -> None:
    session, _people = world
    denunciation = add_item(
        session, "Cán bộ địa chính đòi tiền", author_name="Trần Thị Bình", author_id="u-binh"
    )
    same_sender = add_item(
        session, "Tôi bổ sung thêm", author_name="Trần Thị Bình", author_id="u-binh"
    )
    assert denunciation.confidential
    for item in (denunciation, same_sender):
        text = fill(session, BODY, item)
        assert "Bình" not in text and text.startswith(f"Chào {NO_NAME},")


def test_deadlines_read_as_officers_write_them() -> None:
    assert deadline_words(None) == NO_DEADLINE
    end_of_day = datetime(2026, 3, 12, 16, 59, 59, 999999, tzinfo=UTC)  # 23:59:59 in Hà Nội
    assert deadline_words(end_of_day) == "hết ngày 12/03/2026"
    assert deadline_words(datetime(2026, 3, 12, 3, 0, tzinfo=UTC)) == "10:00 ngày 12/03/2026"

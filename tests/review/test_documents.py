"""Word files: the meeting summary and the transfer slip, opened with python-docx, on SQLite and
PostgreSQL (review/documents.py, review/meeting_views.py, review/follow_up_views.py)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from review.app import create_app
from storage.tables import AuditEntry, Transfer
from tests.review.personas import Visitor, World, add_item, make_policy, make_settings, populate
from tests.review.test_directions import propose

SignIn = Callable[[str], Visitor]
MONTH = "period=month&at=2026-03-02"
DENOUNCER = "Lê Hạnh"


@pytest.fixture
def world(sessions: sessionmaker[Session], tmp_path: Path, clock: Callable[[], datetime]) -> World:
    """The review world on each database (``sessions`` follows ``db_url``)."""
    people = populate(sessions, clock())
    app = create_app(
        make_settings(str(tmp_path)), sessions, policy=make_policy(), clock=clock, testing=True
    )
    return World(app, sessions, people, clock)


def docx_text(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Every paragraph's text (tables' cells included) and each table's rows."""
    document = Document(io.BytesIO(data))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    cells = [c for t in document.tables for row in t.rows for c in row.cells]
    paragraphs = [p.text for p in document.paragraphs]
    paragraphs += [p.text for cell in cells for p in cell.paragraphs]
    return paragraphs, tables


def audited(world: World, action: str) -> list[AuditEntry]:
    with world.sessions.begin() as s:
        found = list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        s.expunge_all()
        return found


def transfer_id(world: World, item_id: int) -> int:
    with world.sessions.begin() as s:
        found = s.scalar(select(Transfer.id).where(Transfer.item_id == item_id))
        assert found is not None
        return found


def test_the_meeting_summary_docx_has_the_groups_counts_proposals_and_direction(
    world: World, signed_in: SignIn
) -> None:
    now = world.now()
    same = [
        add_item(world.sessions, now, text)
        for text in (
            "Thôn Lương Xá mất sóng 4G cả tuần nay rồi",
            "Lương Xá mất sóng điện thoại từ hôm thứ 2",
            "thon luong xa mat song 3 ngay nay",
        )
    ]
    add_item(world.sessions, now, "Rác ở chợ xã ba ngày không ai thu gom")
    officer, leader = signed_in("officer.a"), signed_in("leader.a")
    found = propose(officer, same[0])
    decided = leader.post(
        f"/directions/{found}/decide",
        {"decision": "approved", "direction": "Giao Phòng Văn hóa làm ngay", "version": "0"},
    )
    assert decided.status_code == 302
    assert 'href="/reports/meeting/docx?' in officer.text(f"/reports/meeting/?{MONTH}")

    response = officer.get(f"/reports/meeting/docx?{MONTH}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.docx"')
    paragraphs, tables = docx_text(response.data)
    assert paragraphs[0] == "TỔNG HỢP PHẢN ÁNH, KIẾN NGHỊ ĐỂ GIAO BAN"
    assert paragraphs[1].startswith("Xã A · Tháng 3/2026")
    (table,) = tables
    assert table[0][:5] == ["STT", "Nội dung", "Đơn vị", "Lĩnh vực", "Số mục"]
    counts = sorted((row[4], row[2]) for row in table[1:])
    assert counts == [("1", "Xã A"), ("3", "Xã A")]
    group = next(row for row in table[1:] if row[4] == "3")
    assert group[5] == "3 phản ánh" and group[6] == "3"
    text = "\n".join(paragraphs)
    assert f"Đề xuất #{found} (Đồng ý như đề xuất): Thôn Lương Xá mất sóng 4G" in text
    assert "Ý kiến chỉ đạo: Giao Phòng Văn hóa làm ngay" in text
    (entry,) = audited(world, "meeting_download")
    assert entry.user_id == world.people.officer_a and "docx" in (entry.after or "")


def test_the_meeting_summary_docx_never_names_a_denouncer(world: World, signed_in: SignIn) -> None:
    add_item(
        world.sessions,
        world.now(),
        f"Tôi là {DENOUNCER}, số 0912345678, cán bộ thôn đòi tiền làm sổ đỏ",
        author_name=DENOUNCER,
    )
    add_item(world.sessions, world.now(), "Đèn đường thôn 2 hỏng", author_name="Trần Minh")
    leader = signed_in("leader.a")
    # The leader may know the denouncer on screen; the file is for everyone.
    paragraphs, tables = docx_text(leader.get(f"/reports/meeting/docx?{MONTH}").data)
    everything = "\n".join(paragraphs + [c for t in tables for row in t for c in row])
    assert "cán bộ thôn đòi tiền" in everything and "Đèn đường thôn 2" in everything
    for identity in (DENOUNCER, "0912345678", "Trần Minh", "Người dân số"):
        assert identity not in everything


def test_the_transfer_slip_docx_has_the_fields_of_the_administrative_form(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Xe chở đất rơi vãi trên quốc lộ 10")
    officer = signed_in("officer.a")
    officer.post(
        f"/items/{item_id}/transfer", {"agency": "Sở Xây dựng", "reason": "Quốc lộ do Sở quản lý"}
    )
    moved = transfer_id(world, item_id)
    assert f"/items/{item_id}/transfers/{moved}/slip.docx" in officer.text(f"/items/{item_id}")
    response = officer.get(f"/items/{item_id}/transfers/{moved}/slip.docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    paragraphs, tables = docx_text(response.data)
    heading = tables[0][0]
    assert heading[0].split("\n") == ["ỦY BAN NHÂN DÂN", "XÃ A", f"Số: {moved}/PC-A"]
    assert heading[1].split("\n") == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Xã A, ngày 02 tháng 03 năm 2026",
    ]
    assert "PHIẾU CHUYỂN" in paragraphs and "Kính gửi: Sở Xây dựng" in paragraphs
    assert "Xe chở đất rơi vãi trên quốc lộ 10" in paragraphs
    assert "Lý do chuyển: Quốc lộ do Sở quản lý" in paragraphs
    # Received Monday 2/3/2026: five working days end on Monday 9/3.
    assert (
        "Thời hạn chuyển: 09/03/2026 (05 ngày làm việc kể từ ngày nhận). "
        "Ngày chuyển: 02/03/2026." in paragraphs
    )
    assert any("Điều 24 khoản 2" in p for p in paragraphs)
    recipients, signer = tables[1][0]
    assert recipients.split("\n") == [
        "Nơi nhận:",
        "- Như trên;",
        "- Người gửi (để biết);",
        "- Lưu: VT.",
    ]
    assert signer.startswith("THỦ TRƯỞNG ĐƠN VỊ") and "Người lập phiếu: Cán bộ An" in signer
    (entry,) = audited(world, "slip_download")
    assert (entry.user_id, entry.item_id) == (world.people.officer_a, item_id)


def test_only_those_entitled_download_a_denunciations_slip_and_it_masks_the_denouncer(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(
        world.sessions,
        world.now(),
        f"Tôi là {DENOUNCER}, cán bộ thôn đòi tiền làm sổ đỏ",
        author_name=DENOUNCER,
    )
    leader, officer = signed_in("leader.a"), signed_in("officer.a")
    leader.post(f"/items/{item_id}/transfer", {"agency": "Thanh tra TP", "reason": "Tố cáo"})
    url = f"/items/{item_id}/transfers/{transfer_id(world, item_id)}/slip.docx"

    assert officer.get(url).status_code == 403  # same unit, not assigned to the denunciation
    assert signed_in("officer.b").get(url).status_code == 404  # another unit
    assert audited(world, "slip_download") == []
    assert [e.item_id for e in audited(world, "view_confidential_denied")] == [item_id]

    paragraphs, _ = docx_text(leader.get(url).data)
    text = "\n".join(paragraphs)
    assert "cán bộ thôn đòi tiền làm sổ đỏ" in text and DENOUNCER not in text
    assert "thông tin cá nhân được bảo mật" in text
    leader.post(
        f"/items/{item_id}/assign",
        {"department": "", "assignee": str(world.people.officer_a)},
    )
    assert officer.get(url).status_code == 200  # the assigned officer is entitled
    downloads = audited(world, "slip_download")
    assert [e.user_id for e in downloads] == [world.people.leader_a, world.people.officer_a]

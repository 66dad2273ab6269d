"""Reply attachments in the database and on disk, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage import attachments
from storage.publication import publish_reply
from storage.replies import create_reply, mark_sent
from storage.tables import Item, ReplyAttachment
from tests.proof_files import docx, pdf, png
from tests.storage.queue_world import NOW, People, add_item, populate

URL = "https://pakn.xa-a.gov.vn"


def test_a_reply_stores_its_files_with_their_facts_and_plans_what_goes_to_facebook(
    world: tuple[Session, People], tmp_path: Path
) -> None:
    session, people = world
    item = add_item(session, "Đường thôn 3 có ổ gà")
    reply = create_reply(session, item, "public_comment", "Đã vá ạ.", people.officer_a, NOW)
    files = [("truoc.png", png()), ("sau.png", png(rgb=(0, 200, 0))), ("bien-ban.pdf", pdf())]
    rows = attachments.attach(
        session, reply, attachments.check_all(files), tmp_path, people.officer_a, NOW, URL
    )
    assert [(r.file_name, r.content_type, r.status) for r in rows] == [
        ("truoc.png", "image/png", "with_reply"),
        ("sau.png", "image/png", "not_sent"),
        ("bien-ban.pdf", "application/pdf", "not_sent"),
    ]
    first = rows[0]
    stored = attachments.path_of(tmp_path, first)
    assert stored.parent == tmp_path / str(item.id) and stored.read_bytes() == png()
    assert first.sha256 == hashlib.sha256(png()).hexdigest() and first.size == len(png())
    assert first.uploaded_by == people.officer_a
    assert f"{URL}/tra-cuu/" in reply.text  # what stays off Facebook is linked
    assert attachments.for_status_page(session, item.id) == []  # not sent yet
    mark_sent(session, reply, "c_1", NOW)
    assert [r.id for r in attachments.for_status_page(session, item.id)] == [r.id for r in rows]


def test_a_published_answer_lists_its_files(world: tuple[Session, People], tmp_path: Path) -> None:
    session, people = world
    item = add_item(session, "Xin kết quả xử lý đất")
    reply = create_reply(session, item, "private_reply", "Gửi kết quả ạ.", people.officer_a, NOW)
    checked = attachments.check_all([("kq.docx", docx())])
    (row,) = attachments.attach(session, reply, checked, tmp_path, None, NOW, URL)
    assert row.status == "not_sent" and row.content_type == attachments.DOCX
    publish_reply(session, item, reply.id, people.leader_a, NOW)
    assert attachments.for_published(session, [item.id]) == {item.id: [row]}


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("anh.png", b"GIF89a not a png", "không phải ảnh"),
        ("trang.png", b"<html><script>alert(1)</script></html>", "không phải ảnh"),
        ("anh.pdf", png(), "không khớp"),
        ("lon.png", png() + b"\0" * attachments.MAX_IMAGE_BYTES, "quá giới hạn 8 MB"),
        ("zip.docx", b"PK\x03\x04broken", "không phải ảnh"),
    ],
    ids=["wrong-magic", "html-renamed-png", "wrong-extension", "too-big", "not-a-docx"],
)
def test_a_bad_file_is_refused_in_vietnamese_and_nothing_is_stored(
    world: tuple[Session, People], tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    session, _people = world
    with pytest.raises(attachments.AttachmentRefusedError, match=words):
        attachments.check_all([("tot.png", png()), (name, data)])
    assert session.scalar(select(func.count()).select_from(ReplyAttachment)) == 0
    assert list(tmp_path.iterdir()) == []


def test_a_denunciation_answered_in_public_takes_one_photo_and_no_document() -> None:
    photo, paper = attachments.check("a.png", png()), attachments.check("b.pdf", pdf())
    assert attachments.refusal(True, "public_comment", [photo]) is None
    assert "tố cáo" in (attachments.refusal(True, "public_comment", [photo, paper]) or "")
    assert attachments.refusal(True, "private_reply", [photo, paper]) is None


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_files_written_in_a_transaction_that_rolls_back_are_removed_with_their_rows(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        people = populate(session)
        item_id = add_item(session, "Cống thôn 4 tắc").id
    checked = attachments.check_all([("truoc.png", png()), ("bien-ban.pdf", pdf())])

    def write_then_fail() -> None:
        with sessions.begin() as session:
            item = session.get(Item, item_id)
            assert item is not None
            reply = create_reply(session, item, "private_reply", "Đã thông.", None, NOW)
            attachments.attach(session, reply, checked, tmp_path, people.officer_a, NOW, URL)
            assert len(stored_files(tmp_path)) == 2  # written before the transaction ends
            raise RuntimeError("the request fails after the write")

    with pytest.raises(RuntimeError, match="after the write"):
        write_then_fail()
    assert stored_files(tmp_path) == []
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(ReplyAttachment)) == 0

    with sessions.begin() as session:  # committed: the files stay
        item = session.get(Item, item_id)
        assert item is not None
        reply = create_reply(session, item, "private_reply", "Đã thông.", people.officer_a, NOW)
        rows = attachments.attach(session, reply, checked, tmp_path, None, NOW, URL)
        paths = [attachments.path_of(tmp_path, row) for row in rows]
    assert stored_files(tmp_path) == sorted(paths)
    with sessions.begin() as session:  # a later transaction's rollback leaves them alone
        session.rollback()
    assert stored_files(tmp_path) == sorted(paths)


def a_photo_answer(session: Session, folder: Path) -> ReplyAttachment:
    """A private reply with one photo, by an officer of a new world."""
    people = populate(session)
    item = add_item(session, "Đèn ngõ 7 hỏng")
    reply = create_reply(session, item, "private_reply", "Đã thay.", people.officer_a, NOW)
    checked = attachments.check_all([("a.png", png())])
    (row,) = attachments.attach(session, reply, checked, folder, None, NOW, URL)
    return row


def test_a_savepoint_rolled_back_inside_a_committed_transaction_keeps_nothing_it_did_not_write(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        row = a_photo_answer(session, tmp_path)
        with session.begin_nested() as nested:
            nested.rollback()
    assert stored_files(tmp_path) == [attachments.path_of(tmp_path, row)]


def test_files_a_killed_process_left_without_a_row_are_swept_after_a_day_and_no_other(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        kept = attachments.path_of(tmp_path, a_photo_answer(session, tmp_path))
    folder = kept.parent
    # What a process killed before its commit leaves: a renamed file and a half-written copy.
    orphan, partial = folder / "0f0f0f0f.png", folder / ".1e1e1e1e.png.part"
    fresh = folder / "2d2d2d2d.pdf"  # another request's, not committed yet
    for path in (orphan, partial, fresh):
        path.write_bytes(b"x")
    stamp = NOW.timestamp()
    for path in (kept, orphan, partial):
        os.utime(path, (stamp - 2 * 86400, stamp - 2 * 86400))
    os.utime(fresh, (stamp - 3600, stamp - 3600))
    unrelated = tmp_path / "notes"  # not an item's folder
    unrelated.mkdir()
    (unrelated / "x.txt").write_bytes(b"x")
    os.utime(unrelated / "x.txt", (stamp - 9 * 86400, stamp - 9 * 86400))
    with sessions.begin() as session:
        removed = attachments.sweep_orphans(session, tmp_path, NOW)
    assert sorted(removed) == sorted([orphan, partial])
    assert stored_files(tmp_path) == sorted([kept, fresh, unrelated / "x.txt"])
    assert kept.read_bytes() == png()
    with sessions.begin() as session:  # nothing left to sweep; no folder at all is no error
        assert attachments.sweep_orphans(session, tmp_path, NOW) == []
        assert attachments.sweep_orphans(session, tmp_path / "missing", NOW) == []

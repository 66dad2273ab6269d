"""Photos and documents an officer attaches to an answer ("trả lời kèm minh chứng").

The web checks each file (``check``: type read from its first bytes, never from its name or the
browser's word; size limits), refuses the whole reply with a Vietnamese message when one file
is bad (nothing is stored), and stores the rest under ``<data_dir>/attachments/<item>/`` with a
row each (``attach``). What reaches Facebook depends on the reply's kind:

- a public comment carries its first photo in the same request (``with_reply``);
- a Messenger reply sends each file as a message of its own once the text is sent (``pending``,
  claimed like a reply: storage/claims.py), within the 24-hour window;
- anything else (documents on a comment, a second photo, a private reply's files) is not sent
  (``not_sent``): the reply links to the public status page, which shows every file of a sent
  or published answer (review/public_views.py).
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from config.settings import Settings, default_data_dir
from storage.tables import Item, Publication, Reply, ReplyAttachment
from storage.tracking import code_of, issue, status_url

MAX_FILES = 5
MAX_IMAGE_BYTES = 8 * 1024 * 1024  # Meta's limit for a Messenger image
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# The reply form's whole body: every file at its largest, plus the text.
MAX_REQUEST_BYTES = MAX_FILES * MAX_DOCUMENT_BYTES + 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The extension each detected type may carry, and its stored extension.
TYPES = {
    "image/jpeg": ((".jpg", ".jpeg"), ".jpg"),
    "image/png": ((".png",), ".png"),
    "image/webp": ((".webp",), ".webp"),
    "application/pdf": ((".pdf",), ".pdf"),
    DOCX: ((".docx",), ".docx"),
}
ACCEPT = ",".join(ext for exts, _ in TYPES.values() for ext in exts)
SENT_STATES = ("sent",)
# The files ``attach`` wrote in a session's transaction that is not committed yet.
_WRITTEN = "pakn.attachments.written"
# A file no row names is left alone this long (sweep_orphans): a request writes and commits its
# files within seconds, and a day covers any clock a server may be off by.
ORPHAN_GRACE = timedelta(days=1)


class AttachmentRefusedError(ValueError):
    """A file cannot be attached; the message says which one, why and what to do."""


@dataclass(frozen=True)
class Upload:
    """A checked file, not stored yet."""

    name: str
    content_type: str
    data: bytes

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def attachments_dir(settings: Settings) -> Path:
    return default_data_dir(settings) / "attachments"


def sniff(data: bytes) -> str | None:
    """The type the file's first bytes prove, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        return DOCX if "word/document.xml" in names else None
    return None


def check(name: str, data: bytes) -> Upload:
    """The file as it will be stored, or AttachmentRefusedError in Vietnamese."""
    shown = Path(name).name[:200] or "tệp không tên"
    found = sniff(data)
    extension = Path(shown).suffix.lower()
    if found is None or extension not in TYPES[found][0]:
        raise AttachmentRefusedError(
            f"Tệp “{shown}” không phải ảnh JPEG, PNG, WebP hay tài liệu PDF, DOCX (nội dung "
            "tệp không khớp với đuôi tên). Chỉ đính kèm ảnh chụp hoặc văn bản đúng định dạng."
        )
    limit = MAX_IMAGE_BYTES if found.startswith("image/") else MAX_DOCUMENT_BYTES
    if len(data) > limit:
        raise AttachmentRefusedError(
            f"Tệp “{shown}” nặng {len(data) / 1024 / 1024:.1f} MB, quá giới hạn "
            f"{limit // 1024 // 1024} MB. Giảm kích thước ảnh hoặc chia nhỏ tài liệu."
        )
    if not data:
        raise AttachmentRefusedError(f"Tệp “{shown}” trống.")
    return Upload(shown, found, data)


def check_all(files: Sequence[tuple[str, bytes]]) -> list[Upload]:
    if len(files) > MAX_FILES:
        raise AttachmentRefusedError(f"Mỗi trả lời kèm tối đa {MAX_FILES} tệp.")
    return [check(name, data) for name, data in files]


def plan_states(kind: str, uploads: Sequence[Upload]) -> list[str]:
    """What happens to each file with a reply of ``kind`` (see the module's docstring)."""
    if kind == "messenger":
        return ["pending"] * len(uploads)
    states, photo_taken = [], False
    for upload in uploads:
        carried = kind == "public_comment" and upload.is_image and not photo_taken
        photo_taken = photo_taken or carried
        states.append("with_reply" if carried else "not_sent")
    return states


def refusal(denunciation: bool, kind: str, uploads: Sequence[Upload]) -> str | None:
    """Why these files cannot go with a reply of ``kind``, or None."""
    if denunciation and kind == "public_comment" and "not_sent" in plan_states(kind, uploads):
        # The link to the status page would tie the code to a denouncer's comment.
        return (
            "Mục có nội dung tố cáo: trả lời công khai chỉ kèm được một ảnh. Gửi tài liệu, "
            "ảnh khác qua trả lời riêng hoặc Messenger."
        )
    return None


def attach(
    session: Session,
    reply: Reply,
    uploads: Sequence[Upload],
    files_dir: Path,
    user_id: int | None,
    now: datetime,
    public_url: str,
) -> list[ReplyAttachment]:
    """Store the checked files of a reply that is still pending; a file that will not reach
    Facebook gets the reply a link to the status page. The files are written now and removed
    again if the session's transaction ends without a commit (``_remove_uncommitted``)."""
    rows = []
    folder = files_dir / str(reply.item_id)
    folder.mkdir(parents=True, exist_ok=True)
    for upload, state in zip(uploads, plan_states(reply.kind, uploads), strict=True):
        stored = f"{uuid.uuid4().hex}{TYPES[upload.content_type][1]}"
        temporary = folder / f".{stored}.part"
        try:
            temporary.write_bytes(upload.data)
            os.replace(temporary, folder / stored)
        except OSError:
            temporary.unlink(missing_ok=True)
            raise
        session.info.setdefault(_WRITTEN, []).append(folder / stored)
        row = ReplyAttachment(
            item_id=reply.item_id,
            reply_id=reply.id,
            file_name=upload.name,
            stored_name=stored,
            content_type=upload.content_type,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            uploaded_by=user_id,
            uploaded_at=now,
            status=state,
            updated_at=now,
            attempts=0,
        )
        session.add(row)
        rows.append(row)
    if any(row.status == "not_sent" for row in rows):
        _link_status_page(session, reply, public_url, now)
    session.flush()
    return rows


@event.listens_for(Session, "after_commit")
def _keep_written(session: Session) -> None:
    """Committed: the rows name the files, which stay."""
    session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """The transaction ended without a commit (rolled back, or the commit failed): no row names
    the files ``attach`` wrote in it, so they go too. A process killed before either leaves
    them on disk, never a row without its file."""
    if transaction.parent is not None:
        return  # a savepoint or a subtransaction: the outer transaction decides
    for path in session.info.pop(_WRITTEN, []):
        path.unlink(missing_ok=True)


def sweep_orphans(session: Session, files_dir: Path, now: datetime) -> list[Path]:
    """Remove the files under ``files_dir`` that no row names, written more than ORPHAN_GRACE
    ago: what a process killed between writing a reply's files and committing it left behind
    (``_remove_uncommitted`` cannot run then), and unfinished ``.part`` copies. A file a row
    names is never touched, however old. Returns the paths removed."""
    cutoff = (now - ORPHAN_GRACE).timestamp()
    old: list[Path] = []
    if files_dir.is_dir():
        for folder in files_dir.iterdir():
            if folder.is_dir() and folder.name.isdigit():
                old += [f for f in folder.iterdir() if f.is_file() and f.stat().st_mtime < cutoff]
    named: set[str] = set()
    for start in range(0, len(old), 500):
        names = [f.name for f in old[start : start + 500]]
        found = select(ReplyAttachment.stored_name).where(ReplyAttachment.stored_name.in_(names))
        named.update(session.scalars(found))
    removed = [f for f in old if f.name not in named]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _link_status_page(session: Session, reply: Reply, public_url: str, now: datetime) -> None:
    item = session.get(Item, reply.item_id)
    if item is None or item.by_page:
        return
    code = code_of(session, item.id) or issue(session, item, now).code
    url = status_url(public_url, code)
    if url not in reply.text:
        reply.text = f"{reply.text.rstrip()}\n\nHình ảnh, tài liệu kèm theo: xem tại {url}"


def path_of(files_dir: Path, row: ReplyAttachment) -> Path:
    return files_dir / str(row.item_id) / row.stored_name


def of_replies(session: Session, reply_ids: Sequence[int]) -> dict[int, list[ReplyAttachment]]:
    found: dict[int, list[ReplyAttachment]] = {}
    if not reply_ids:
        return found
    rows = session.scalars(
        select(ReplyAttachment)
        .where(ReplyAttachment.reply_id.in_(set(reply_ids)))
        .order_by(ReplyAttachment.id)
    )
    for row in rows:
        found.setdefault(row.reply_id, []).append(row)
    return found


def for_status_page(session: Session, item_id: int) -> list[ReplyAttachment]:
    """The files the holder of the item's code may see: those of a reply that was sent to
    them, or of the published answer."""
    published = select(Publication.reply_id).where(Publication.item_id == item_id)
    return list(
        session.scalars(
            select(ReplyAttachment)
            .join(Reply, Reply.id == ReplyAttachment.reply_id)
            .where(
                ReplyAttachment.item_id == item_id,
                (Reply.status.in_(SENT_STATES)) | (Reply.id.in_(published.scalar_subquery())),
            )
            .order_by(ReplyAttachment.id)
        )
    )


def for_published(session: Session, item_ids: Sequence[int]) -> dict[int, list[ReplyAttachment]]:
    """The files of each item's published answer (the caller lists only items it may show)."""
    found: dict[int, list[ReplyAttachment]] = {}
    if not item_ids:
        return found
    rows = session.scalars(
        select(ReplyAttachment)
        .join(Publication, Publication.reply_id == ReplyAttachment.reply_id)
        .where(Publication.item_id.in_(set(item_ids)))
        .order_by(ReplyAttachment.id)
    )
    for row in rows:
        found.setdefault(row.item_id, []).append(row)
    return found

"""The daemon's side of reply attachments (storage/attachments.py): a public comment's photo
travels in the reply's own request; a Messenger reply's files go as messages of their own,
each claimed before it is sent (storage/claims.py) so none is sent twice.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from storage import claims
from storage.replies import STANDARD_WINDOW, FilePart, ReplyRefusedError, SendPlan
from storage.tables import Conversation, Item, Reply, ReplyAttachment

CLOSED_WINDOW = (
    "Đã quá 24 giờ kể từ tin nhắn cuối của người dân nên Facebook không cho trang gửi tệp. "
    "Tệp vẫn hiện trên trang tra cứu; chờ người dân nhắn tiếp rồi gửi lại trong trả lời mới."
)


def comment_photo(session: Session, reply_id: int) -> ReplyAttachment | None:
    """The photo a public comment carries in its own request, if it has one."""
    return session.scalar(
        select(ReplyAttachment)
        .where(ReplyAttachment.reply_id == reply_id, ReplyAttachment.status == "with_reply")
        .order_by(ReplyAttachment.id)
        .limit(1)
    )


def part(files_dir: Path, row: ReplyAttachment, field: str) -> FilePart:
    path = files_dir / str(row.item_id) / row.stored_name
    return FilePart(field, str(path), row.file_name, row.content_type)


def settle_with_reply(session: Session, reply_id: int, graph_id: str | None, now: datetime) -> None:
    """The reply that carried them was sent: so were they."""
    session.execute(
        update(ReplyAttachment)
        .where(ReplyAttachment.reply_id == reply_id, ReplyAttachment.status == "with_reply")
        .values(status="sent", graph_id=graph_id, updated_at=now, attempts=1)
    )


def _due_now(now: datetime) -> ColumnElement[bool]:
    return or_(ReplyAttachment.next_attempt_at.is_(None), ReplyAttachment.next_attempt_at <= now)


def due(session: Session, now: datetime, limit: int = 200) -> list[tuple[int, str | None]]:
    """(file id, page id) of the files waiting for their own message whose reply's text went
    out and whose time has come (a file that failed for a passing reason waits, like a reply),
    oldest first: the sender leaves those of a page Meta has paused and takes the others."""
    rows = session.execute(
        select(ReplyAttachment.id, Item.page_id)
        .join(Reply, Reply.id == ReplyAttachment.reply_id)
        .join(Item, Item.id == Reply.item_id)
        .where(ReplyAttachment.status == "pending", Reply.status == "sent", _due_now(now))
        .order_by(ReplyAttachment.id)
        .limit(limit)
    )
    return [(row_id, page_id) for row_id, page_id in rows]


def claim(
    session: Session, row_id: int, owner: str, now: datetime, lease: timedelta
) -> ReplyAttachment | None:
    return claims.claim(session, ReplyAttachment, row_id, owner, now, lease, _due_now(now))


def expire_stale(session: Session, now: datetime, reason: str) -> list[ReplyAttachment]:
    return claims.expire_stale(session, ReplyAttachment, now, reason)


def message_plan(
    session: Session, row: ReplyAttachment, files_dir: Path, now: datetime
) -> tuple[SendPlan, str]:
    """The Send API request for one file, and the page it goes from; ReplyRefusedError when
    the 24-hour window has closed (no tag may carry a file the citizen did not ask for)."""
    item = session.get(Item, row.item_id)
    if item is None or item.page_id is None or not item.author_id:
        raise ReplyRefusedError("Mục của tệp này không còn người nhận trên Messenger.")
    conv = session.get(Conversation, item.thread_id) if item.thread_id else None
    last = (conv.last_citizen_message_at if conv else None) or item.created_time
    if now - last > STANDARD_WINDOW:
        raise ReplyRefusedError(CLOSED_WINDOW)
    recipient = (conv.participant_id if conv and conv.participant_id else None) or item.author_id
    kind = "image" if row.content_type.startswith("image/") else "file"
    form = {
        "recipient": json.dumps({"id": recipient}),
        "message": json.dumps({"attachment": {"type": kind, "payload": {"is_reusable": False}}}),
        "messaging_type": "RESPONSE",
    }
    upload = part(files_dir, row, "filedata")
    return SendPlan(path=f"{item.page_id}/messages", form=form, upload=upload), item.page_id


def _still_ours(session: Session, row_id: int, owner: str, now: datetime) -> ReplyAttachment | None:
    return claims.still_ours(session, ReplyAttachment, row_id, owner, now)


def record(
    session: Session,
    row_id: int,
    owner: str,
    now: datetime,
    *,
    status: str,
    graph_id: str | None = None,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> bool:
    """Facebook's answer for one file (sent, failed, unknown, or pending to try again from
    ``retry_at``); False (nothing written) when the claim was lost."""
    row = _still_ours(session, row_id, owner, now)
    if row is None:
        return False
    if not (status == "unknown" and row.status == "unknown"):
        row.attempts += 1
    row.status, row.graph_id, row.error, row.updated_at = status, graph_id, error, now
    row.next_attempt_at = retry_at if status == "pending" else None
    return True


def fail_claimed(session: Session, row: ReplyAttachment, reason: str, now: datetime) -> None:
    """A claimed file that cannot be sent as it is (closed window, file missing)."""
    row.status, row.error, row.updated_at = "failed", reason, now
    row.claimed_by, row.claimed_until = None, None
    row.attempts += 1

"""Officers' replies: written by the web, claimed and sent by the daemon.

Each reply is posted to Facebook at most once. The daemon claims one reply just before sending
it (``claim``, a conditional UPDATE), and records the answer only while the claim is still its
own (``record_*``). A reply left in ``sending`` is never claimed again: once its claim has
expired (the daemon died mid-send) it becomes ``unknown``, like a reply whose answer was "maybe
sent", and only an officer who checked the Page can send it again (``resend``).

Messenger rules (README, "Replies"): a standard reply within 24 h of the citizen's last
message; a human agent's reply (tag HUMAN_AGENT) up to 7 days; a private reply to a comment
once, within 7 days of the comment. Outside those windows the web refuses with a clear message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session, object_session

from storage import claims
from storage.audit import record as audit
from storage.proposals import direction_gate
from storage.tables import REPLY_KINDS, AuditEntry, Conversation, Item, Reply
from storage.tracking import claim_line, given
from storage.visibility import names_a_denouncer

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
CLOSED = ("answered", "closed", "not_actionable")


class ReplyRefusedError(ValueError):
    """The reply cannot be sent as asked; the message says why and what to do instead."""


@dataclass(frozen=True)
class FilePart:
    """A stored file sent in a multipart request (storage/attachments.py): the form field
    Meta reads it from (``source`` for a comment, ``filedata`` for the Send API)."""

    field: str
    path: str
    name: str
    content_type: str


@dataclass(frozen=True)
class SendPlan:
    """What the daemon sends: the Graph path and body, decided from the rules above."""

    path: str
    form: dict[str, str] | None = None
    json_body: dict[str, Any] | None = None
    upload: FilePart | None = None


def plan(
    item: Item, kind: str, text: str, conversation: Conversation | None, now: datetime
) -> SendPlan:
    """Check the windows and build the request, or raise ReplyRefusedError."""
    if kind not in REPLY_KINDS:
        raise ReplyRefusedError(f"Loại trả lời không hợp lệ: {kind}")
    if not text.strip():
        raise ReplyRefusedError("Nội dung trả lời đang trống.")
    if item.source == "hotline":
        raise ReplyRefusedError(
            "Mục từ đường dây nóng: hãy gọi lại cho người dân, không gửi qua Facebook."
        )
    if kind == "public_comment":
        return _public(item, text)
    if kind == "private_reply":
        return _private(item, text, now)
    return _messenger(item, text, conversation, now)


def _public(item: Item, text: str) -> SendPlan:
    if item.source not in ("facebook_comment", "facebook_post"):
        raise ReplyRefusedError("Chỉ trả lời công khai được cho bình luận hoặc bài viết.")
    if _mentions_author(item, text):
        raise ReplyRefusedError(
            "Trả lời công khai không được nêu danh tính người tố cáo (Luật Tố cáo, Điều 8), "
            "kể cả khi trả lời một bình luận khác trong cùng chuỗi. Bỏ tên, số điện thoại "
            "của người tố cáo khỏi nội dung, hoặc trả lời riêng qua Messenger."
        )
    return SendPlan(path=f"{item.external_id}/comments", form={"message": text})


def _private(item: Item, text: str, now: datetime) -> SendPlan:
    if item.source not in ("facebook_comment", "facebook_post"):
        raise ReplyRefusedError(
            "Trả lời riêng chỉ dùng cho bình luận; với tin nhắn hãy chọn Messenger."
        )
    if now - item.created_time > PRIVATE_REPLY_WINDOW:
        raise ReplyRefusedError(
            "Đã quá 7 ngày kể từ bình luận nên Facebook không cho trả lời riêng nữa. "
            "Hãy trả lời công khai (không nêu chi tiết) hoặc liên hệ qua đường dây nóng."
        )
    key = "comment_id" if item.source == "facebook_comment" else "post_id"
    body = {"recipient": {key: item.external_id}, "message": {"text": text}}
    return SendPlan(path=f"{item.page_id}/messages", json_body=body)


def _messenger(item: Item, text: str, conv: Conversation | None, now: datetime) -> SendPlan:
    if item.source != "facebook_message" or not item.author_id:
        raise ReplyRefusedError("Trả lời Messenger chỉ dùng cho tin nhắn của người dân.")
    last = (conv.last_citizen_message_at if conv else None) or item.created_time
    body: dict[str, Any] = {"recipient": {"id": _recipient(item, conv)}, "message": {"text": text}}
    if now - last <= STANDARD_WINDOW:
        body["messaging_type"] = "RESPONSE"
    elif now - last <= HUMAN_AGENT_WINDOW:
        body |= {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    else:
        raise ReplyRefusedError(
            "Người dân nhắn tin đã quá 7 ngày nên Facebook không cho trang nhắn lại. "
            "Hãy gọi điện hoặc chờ người dân nhắn tiếp (cửa sổ 24 giờ mở lại)."
        )
    return SendPlan(path=f"{item.page_id}/messages", json_body=body)


def _recipient(item: Item, conv: Conversation | None) -> str:
    return (conv.participant_id if conv and conv.participant_id else None) or str(item.author_id)


def _mentions_author(item: Item, text: str) -> bool:
    """No public reply naming a denouncer of the item's thread (storage.visibility). It reads
    the thread through the session that loaded the item, the web's or the daemon's; a detached
    item is checked against itself."""
    return names_a_denouncer(object_session(item), item, text)


def create_reply(
    session: Session,
    item: Item,
    kind: str,
    text: str,
    user_id: int | None,
    now: datetime,
    *,
    tracking_url: str | None = None,
) -> Reply:
    """Validate now (clear message to the officer) and queue for the daemon.

    With ``tracking_url`` (the web's public address) the first answer to the citizen gets the
    item's tracking code appended (storage.tracking: once per item, never in public on a
    denunciation).
    """
    conv = session.get(Conversation, item.thread_id) if item.thread_id else None
    plan(item, kind, text, conv, now)
    waiting = direction_gate(session, item)  # the unit answers this category after a direction
    if waiting is not None:
        raise ReplyRefusedError(waiting)
    if kind == "private_reply":
        done = session.scalar(
            select(Reply.id).where(
                Reply.item_id == item.id,
                Reply.kind == "private_reply",
                Reply.status.in_(("pending", "sending", "sent", "unknown")),
            )
        )
        if done is not None:
            raise ReplyRefusedError(
                "Bình luận này đã có một trả lời riêng; Facebook chỉ cho phép một lần."
            )
    line = claim_line(session, item, kind, tracking_url, now) if tracking_url else None
    reply = Reply(
        item_id=item.id,
        kind=kind,
        text=f"{text.rstrip()}\n\n{line}" if line else text,
        status="pending",
        created_by=user_id,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
    )
    session.add(reply)
    session.flush()
    if line:
        given(session, item.id, reply.id)
    audit(
        session, user_id, "reply_created", item.id, None, {"reply_id": reply.id, "kind": kind}, now
    )
    return reply


def _due_now(now: datetime) -> ColumnElement[bool]:
    """A pending reply whose time has come: never tried, or its wait after a try is over."""
    return or_(Reply.next_attempt_at.is_(None), Reply.next_attempt_at <= now)


def due_targets(
    session: Session, now: datetime, limit: int = 200
) -> list[tuple[int, str | None, str]]:
    """(reply id, page id, kind) of the pending replies whose time has come, oldest first: the
    sender leaves those of a page Meta has paused for now and takes the others. Listing claims
    nothing."""
    rows = session.execute(
        select(Reply.id, Item.page_id, Reply.kind)
        .join(Item, Item.id == Reply.item_id)
        .where(Reply.status == "pending", _due_now(now))
        .order_by(Reply.id)
        .limit(limit)
    )
    return [(reply_id, page_id, kind) for reply_id, page_id, kind in rows]


def claim(
    session: Session, reply_id: int, owner: str, now: datetime, lease: timedelta
) -> Reply | None:
    """Take one pending reply for sending (conditional UPDATE); None when another daemon did.

    Only ``pending`` is claimed: a reply in ``sending`` may already be on Facebook.
    """
    return claims.claim(session, Reply, reply_id, owner, now, lease, _due_now(now))


def expire_stale(session: Session, now: datetime, reason: str) -> list[Reply]:
    """Replies whose sender's claim expired while ``sending`` become ``unknown`` (audited).

    The sender may have died after Facebook accepted the reply and before it wrote that down,
    so sending again could post the answer twice.
    """
    expired = claims.expire_stale(session, Reply, now, reason)
    for reply in expired:
        _audit_unknown(session, reply, reason, now)
    return expired


def _still_ours(session: Session, reply_id: int, owner: str, now: datetime) -> Reply | None:
    return claims.still_ours(session, Reply, reply_id, owner, now)


def record_sent(
    session: Session, reply_id: int, owner: str, graph_id: str | None, now: datetime
) -> bool:
    """Facebook accepted the reply; False (nothing written) when the claim was lost."""
    reply = _still_ours(session, reply_id, owner, now)
    if reply is None:
        return False
    mark_sent(session, reply, graph_id, now)
    return True


def record_failed(
    session: Session,
    reply_id: int,
    owner: str,
    reason: str,
    now: datetime,
    *,
    retry_at: datetime | None = None,
    permanent: bool = False,
) -> bool:
    """Facebook certainly did not post it; False (nothing written) when the claim was lost."""
    reply = _still_ours(session, reply_id, owner, now)
    if reply is None:
        return False
    mark_failed(session, reply, reason, now, retry_at=retry_at, permanent=permanent)
    return True


def record_unknown(session: Session, reply_id: int, owner: str, reason: str, now: datetime) -> bool:
    """Facebook may have posted it ("maybe sent"); False when the claim was lost."""
    reply = _still_ours(session, reply_id, owner, now)
    if reply is None:
        return False
    if reply.status != "unknown":  # already counted when the expired claim made it unknown
        reply.attempts += 1
    reply.status, reply.error, reply.updated_at = "unknown", reason, now
    _audit_unknown(session, reply, reason, now)
    return True


def _audit_unknown(session: Session, reply: Reply, reason: str, now: datetime) -> None:
    after = {"reply_id": reply.id, "reason": reason}
    audit(session, None, "reply_unknown", reply.item_id, None, after, now)


def mark_sent(session: Session, reply: Reply, graph_id: str | None, now: datetime) -> None:
    reply.status, reply.graph_id, reply.sent_at, reply.updated_at = "sent", graph_id, now, now
    reply.error = None
    reply.attempts += 1
    item = session.get(Item, reply.item_id)
    if item is not None and item.status not in CLOSED:
        before = {"status": item.status}
        item.status, item.answered_at = "answered", now
        audit(
            session,
            None,
            "status",
            item.id,
            before,
            {"status": "answered", "reply_id": reply.id},
            now,
        )
    audit(
        session,
        None,
        "reply_sent",
        reply.item_id,
        None,
        {"reply_id": reply.id, "graph_id": graph_id},
        now,
    )


def mark_failed(
    session: Session,
    reply: Reply,
    reason: str,
    now: datetime,
    *,
    retry_at: datetime | None = None,
    permanent: bool = False,
) -> None:
    """Failed (retry_at None) or back to pending for a later attempt; the reply must be ours.

    ``permanent``: Facebook refused this very request for good, so sending it again as it is
    cannot help (the officer writes a new reply instead); the audit entry remembers it.
    """
    reply.attempts += 1
    reply.error, reply.updated_at = reason, now
    reply.claimed_by, reply.claimed_until = None, None
    if retry_at is None:
        reply.status = "failed"
        after: dict[str, Any] = {"reply_id": reply.id, "reason": reason}
        if permanent:
            after["permanent"] = True
        audit(session, None, "reply_failed", reply.item_id, None, after, now)
    else:
        reply.status, reply.next_attempt_at = "pending", retry_at


def retry(session: Session, reply: Reply, user_id: int | None, now: datetime) -> None:
    """An officer asks to try a failed reply again (one Facebook certainly did not post)."""
    if reply.status != "failed":
        raise ReplyRefusedError("Chỉ gửi lại được trả lời đang ở trạng thái thất bại.")
    if reply.id in refused_for_good(session, [reply]):
        raise ReplyRefusedError(
            "Facebook đã từ chối hẳn trả lời này nên gửi lại y nguyên cũng bị từ chối. "
            "Đọc lý do, sửa nội dung hoặc chọn cách trả lời khác rồi viết một trả lời mới."
        )
    _requeue(session, reply, "failed", now)
    audit(session, user_id, "reply_retry", reply.item_id, None, {"reply_id": reply.id}, now)


def resend(session: Session, reply: Reply, user_id: int | None, now: datetime) -> None:
    """An officer checked the Page, did not find a reply left ``unknown``, and sends it again.

    Deliberate and audited: if Facebook did post it after all, the citizen gets it twice.
    """
    if reply.status != "unknown":
        raise ReplyRefusedError(
            "Chỉ gửi lại theo cách này được trả lời đang ở trạng thái không rõ đã gửi chưa."
        )
    _requeue(session, reply, "unknown", now)
    after = {"reply_id": reply.id, "checked_page": True}
    audit(session, user_id, "reply_resend_checked", reply.item_id, None, after, now)


def _requeue(session: Session, reply: Reply, expected: str, now: datetime) -> None:
    """Back to pending with a conditional UPDATE: the daemon may record a late answer at the
    same moment, and its "sent" must not be turned back into another send. Clearing
    ``claimed_by`` means a late answer to the earlier request no longer overwrites the row."""
    result = session.execute(
        update(Reply)
        .where(Reply.id == reply.id, Reply.status == expected)
        .values(
            status="pending",
            next_attempt_at=now,
            updated_at=now,
            claimed_by=None,
            claimed_until=None,
        )
    )
    if getattr(result, "rowcount", 0) != 1:
        raise ReplyRefusedError(
            "Trả lời vừa đổi trạng thái (chương trình nền vừa ghi kết quả). "
            "Tải lại trang để xem trạng thái mới trước khi gửi lại."
        )
    session.refresh(reply)


def refused_for_good(session: Session, replies: Sequence[Reply]) -> set[int]:
    """Ids of the failed replies whose last failure Facebook meant for good (no resend)."""
    failed = {r.id: r.item_id for r in replies if r.status == "failed"}
    if not failed:
        return set()
    rows = session.scalars(
        select(AuditEntry.after)
        .where(AuditEntry.action == "reply_failed", AuditEntry.item_id.in_(set(failed.values())))
        .order_by(AuditEntry.id)
    )
    last: dict[int, bool] = {}
    for raw in rows:
        after = json.loads(raw) if raw else {}
        if isinstance(after, dict) and after.get("reply_id") in failed:
            last[after["reply_id"]] = bool(after.get("permanent"))
    return {reply_id for reply_id, permanent in last.items() if permanent}

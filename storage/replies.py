"""Officers' replies: written by the web, claimed and sent by the daemon.

Messenger rules (README, "Replies"): a standard reply within 24 h of the citizen's last
message; a human agent's reply (tag HUMAN_AGENT) up to 7 days; a private reply to a comment
once, within 7 days of the comment. Outside those windows the web refuses with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.tables import REPLY_KINDS, Conversation, Item, Reply

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
CLOSED = ("answered", "closed", "not_actionable")


class ReplyRefusedError(ValueError):
    """The reply cannot be sent as asked; the message says why and what to do instead."""


@dataclass(frozen=True)
class SendPlan:
    """What the daemon sends: the Graph path and body, decided from the rules above."""

    path: str
    form: dict[str, str] | None = None
    json_body: dict[str, Any] | None = None


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
    if item.confidential and _mentions_author(item, text):
        raise ReplyRefusedError(
            "Trả lời công khai không được nêu danh tính người tố cáo (Luật Tố cáo, Điều 8). "
            "Bỏ tên người gửi khỏi nội dung, hoặc trả lời riêng qua Messenger."
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
    lowered = text.casefold()
    names = [n for n in (item.author_name, item.author_id) if n and len(n) >= 3]
    return any(n.casefold() in lowered for n in names)


def create_reply(
    session: Session, item: Item, kind: str, text: str, user_id: int | None, now: datetime
) -> Reply:
    """Validate now (clear message to the officer) and queue for the daemon."""
    conv = session.get(Conversation, item.thread_id) if item.thread_id else None
    plan(item, kind, text, conv, now)
    if kind == "private_reply":
        done = session.scalar(
            select(Reply.id).where(
                Reply.item_id == item.id,
                Reply.kind == "private_reply",
                Reply.status.in_(("pending", "sending", "sent")),
            )
        )
        if done is not None:
            raise ReplyRefusedError(
                "Bình luận này đã có một trả lời riêng; Facebook chỉ cho phép một lần."
            )
    reply = Reply(
        item_id=item.id,
        kind=kind,
        text=text,
        status="pending",
        created_by=user_id,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
    )
    session.add(reply)
    session.flush()
    audit(
        session, user_id, "reply_created", item.id, None, {"reply_id": reply.id, "kind": kind}, now
    )
    return reply


def claim_due(
    session: Session, owner: str, now: datetime, lease: timedelta, limit: int = 20
) -> list[int]:
    """Claim pending replies with a conditional UPDATE each, so two daemons never send one twice."""
    ids = session.scalars(
        select(Reply.id)
        .where(
            or_(
                Reply.status == "pending", (Reply.status == "sending") & (Reply.claimed_until < now)
            ),
            or_(Reply.next_attempt_at.is_(None), Reply.next_attempt_at <= now),
        )
        .order_by(Reply.id)
        .limit(limit)
    ).all()
    claimed = []
    for reply_id in ids:
        result = session.execute(
            update(Reply)
            .where(
                Reply.id == reply_id,
                or_(
                    Reply.status == "pending",
                    (Reply.status == "sending") & (Reply.claimed_until < now),
                ),
            )
            .values(status="sending", claimed_by=owner, claimed_until=now + lease, updated_at=now)
        )
        if getattr(result, "rowcount", 0) == 1:
            claimed.append(reply_id)
    return claimed


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
    session: Session, reply: Reply, reason: str, now: datetime, *, retry_at: datetime | None = None
) -> None:
    """Failed for good (retry_at None) or back to pending for a later attempt."""
    reply.attempts += 1
    reply.error, reply.updated_at = reason, now
    reply.claimed_by, reply.claimed_until = None, None
    if retry_at is None:
        reply.status = "failed"
        audit(
            session,
            None,
            "reply_failed",
            reply.item_id,
            None,
            {"reply_id": reply.id, "reason": reason},
            now,
        )
    else:
        reply.status, reply.next_attempt_at = "pending", retry_at


def retry(session: Session, reply: Reply, user_id: int | None, now: datetime) -> None:
    """An officer asks to try a failed reply again."""
    if reply.status != "failed":
        raise ReplyRefusedError("Chỉ gửi lại được trả lời đang ở trạng thái thất bại.")
    reply.status, reply.next_attempt_at, reply.updated_at = "pending", now, now
    audit(session, user_id, "reply_retry", reply.item_id, None, {"reply_id": reply.id}, now)

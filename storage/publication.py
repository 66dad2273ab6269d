"""Published answers (NĐ 20/2008/NĐ-CP Điều 19: results are made public).

An officer marks one answer of an item public: a reply written to the citizen, or a separate
"kết quả giải quyết" text. The public list (/cong-khai/<unit>) and the status page show the
issue's text and the answer with the sender's identity masked (storage.masking: the names
given, phone and ID numbers, e-mail and house-number addresses) and nothing else of the
sender: no name, no id, no link, no attachment.

A denunciation is never published, whatever is clicked: ``publish_*`` refuse a ``to_cao`` or
confidential item, and the readers below skip one that became a denunciation after it was
published. An item its sender deleted from Facebook leaves the list too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.masking import introduced_names, mask_identity
from storage.tables import Item, Publication, Reply
from storage.tracking import without_line

RESULT_MAX = 8000
_REFUSED_STATES = ("failed", "cancelled")


class PublicationRefusedError(ValueError):
    """The answer cannot be made public; the message says why and what to do instead."""


@dataclass(frozen=True)
class PublishedAnswer:
    """What the public sees of one published answer: no one's identity."""

    item_id: int
    unit_id: str
    category: str | None
    field: str | None
    department: str | None
    received_at: datetime
    published_at: datetime
    question: str
    answer: str


def refusal(item: Item) -> str | None:
    """Why the item's answer may not be made public, or None."""
    if item.category == "to_cao" or item.confidential:
        return (
            "Không công khai kết quả của mục có nội dung tố cáo hoặc đang bảo mật: danh tính "
            "người tố cáo được bảo vệ (Luật Tố cáo 2018, Điều 8). Trả lời riêng cho người dân."
        )
    if item.by_page:
        return "Đây là bài hoặc bình luận của chính Trang, không phải câu hỏi của người dân."
    return None


def _check(item: Item) -> None:
    reason = refusal(item)
    if reason is not None:
        raise PublicationRefusedError(reason)


def publish_reply(
    session: Session, item: Item, reply_id: int, user_id: int | None, now: datetime
) -> Publication:
    """Make one reply of the item its public answer (replacing an earlier one)."""
    _check(item)
    reply = session.get(Reply, reply_id)
    if reply is None or reply.item_id != item.id:
        raise PublicationRefusedError("Không có trả lời này trong mục; tải lại trang rồi chọn lại.")
    if reply.status in _REFUSED_STATES:
        raise PublicationRefusedError(
            "Trả lời này gửi thất bại hoặc đã huỷ nên người dân chưa nhận được; công khai một "
            "trả lời đã gửi, hoặc viết kết quả giải quyết riêng."
        )
    return _store(session, item, reply.id, None, user_id, now)


def publish_result(
    session: Session, item: Item, text: str, user_id: int | None, now: datetime
) -> Publication:
    """Publish a separate "kết quả giải quyết" text as the item's answer."""
    _check(item)
    cleaned = text.strip()
    if not cleaned:
        raise PublicationRefusedError("Kết quả giải quyết đang trống; viết nội dung rồi lưu lại.")
    if len(cleaned) > RESULT_MAX:
        raise PublicationRefusedError(f"Kết quả giải quyết dài quá {RESULT_MAX} ký tự.")
    return _store(session, item, None, cleaned, user_id, now)


def _store(
    session: Session,
    item: Item,
    reply_id: int | None,
    text: str | None,
    user_id: int | None,
    now: datetime,
) -> Publication:
    found = session.get(Publication, item.id)
    before = _state(found)
    if found is None:
        found = Publication(item_id=item.id, unit_id=item.unit_id)
        session.add(found)
    found.reply_id, found.result_text = reply_id, text
    found.published_at, found.published_by = now, user_id
    session.flush()
    audit(session, user_id, "published", item.id, before, _state(found), now)
    return found


def _state(found: Publication | None) -> dict[str, object] | None:
    if found is None:
        return None
    return {"reply_id": found.reply_id, "result": found.result_text is not None}


def withdraw(session: Session, item: Item, user_id: int | None, now: datetime) -> bool:
    """Take the item's answer off the public pages; False when it was not published."""
    found = session.get(Publication, item.id)
    if found is None:
        return False
    before = _state(found)
    session.delete(found)
    session.flush()
    audit(session, user_id, "unpublished", item.id, before, None, now)
    return True


def publication_of(session: Session, item_id: int) -> Publication | None:
    return session.get(Publication, item_id)


def _shown_clause() -> ColumnElement[bool]:
    """Published items the public may still see (re-checked at every read)."""
    return and_(
        Item.category.is_distinct_from("to_cao"),
        Item.confidential.is_(False),
        Item.by_page.is_(False),
        Item.deleted.is_(False),
    )


def _answers(
    session: Session, where: ColumnElement[bool], limit: int, offset: int = 0
) -> list[PublishedAnswer]:
    rows = session.execute(
        select(Publication, Item, Reply.text)
        .join(Item, Item.id == Publication.item_id)
        .outerjoin(Reply, Reply.id == Publication.reply_id)
        .where(where, _shown_clause())
        .order_by(Publication.published_at.desc(), Publication.item_id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [_answer(pub, item, reply_text) for pub, item, reply_text in rows]


def _hidden(item: Item) -> tuple[str | None, ...]:
    """The sender's names: profile, id, phone, and the names given in the item's text (an
    answer often greets the citizen by the name they gave)."""
    return (item.author_name, item.author_id, item.author_phone, *introduced_names(item.text))


def _answer(pub: Publication, item: Item, reply_text: str | None) -> PublishedAnswer:
    hide = _hidden(item)
    return PublishedAnswer(
        item_id=item.id,
        unit_id=item.unit_id,
        category=item.category,
        field=item.field,
        department=item.department,
        received_at=item.created_time,
        published_at=pub.published_at,
        question=mask_identity(item.text, hide),
        answer=mask_identity(without_line(pub.result_text or reply_text or ""), hide),
    )


def published_answer(session: Session, item_id: int) -> PublishedAnswer | None:
    """The item's public answer, masked; None if it has none or may not have one."""
    found = _answers(session, Publication.item_id == item_id, 1)
    return found[0] if found else None


def published_list(
    session: Session, unit_id: str, *, limit: int = 30, offset: int = 0
) -> list[PublishedAnswer]:
    """The unit's published answers, newest first."""
    return _answers(session, Publication.unit_id == unit_id, limit, offset)


def preview(item: Item, text: str) -> tuple[str, str]:
    """The issue and the answer as the public pages would show them (for the officer)."""
    hide = _hidden(item)
    return mask_identity(item.text, hide), mask_identity(without_line(text), hide)

"""A page's reply made on Facebook itself marks the citizen item it answers (README, "Replies").

Officers sometimes answer straight from Facebook or Meta Business Suite instead of through
pakn. The daemon stores the page's comment or message like any other item (``by_page``, out of
the queue); ``answer_from_page`` then records it as a sent reply of the item it answers and
marks that item answered, the state a reply sent through pakn gives (storage.replies.mark_sent).

Which item a page reply answers:

- a page comment whose parent is a citizen comment answers that comment (Facebook keeps two
  levels: a reply to a reply has the top comment as parent, so it answers the top comment);
- a page comment at the top level of a post answers the post when the post is a visitor's post
  stored as an item, and nothing otherwise (a comment under the page's own post is no answer
  to anyone in particular);
- a page message answers every citizen message of its conversation sent since the page's
  previous message (and before this one); later messages stay open.

Never twice: an item that already has a reply with this Graph id (pakn sent it: the daemon
reads its own reply back) or a reply still being sent or of unknown outcome with the same text
gets no second record. Never against the rules: a public comment does not answer a
denunciation (``confidential``: it is answered in writing under Luật Tố cáo, never in public),
and an item whose unit answers its category only after a leader's direction
(storage.proposals.direction_gate) is not marked answered before that direction; both cases
are audited ("reply_direct_not_counted") so the officer sees the page answered outside pakn.

Everything is audited with the page as actor ("reply_direct": trả lời trực tiếp trên Facebook;
the audit log has no user row for the page, so ``user_id`` is None and ``after`` names it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.proposals import direction_gate
from storage.tables import AuditEntry, Item, Reply

CLOSED: Final = ("answered", "closed", "not_actionable")
IN_FLIGHT: Final = ("pending", "sending", "unknown")
DIRECT_ACTION: Final = "reply_direct"
NOT_COUNTED_ACTION: Final = "reply_direct_not_counted"
DIRECT_NOTE: Final = "trả lời trực tiếp trên Facebook"
_CHUNK: Final = 500


def answer_from_page(session: Session, item_ids: Iterable[int], now: datetime) -> list[int]:
    """Record the page replies among ``item_ids`` (newly stored items) as answers; returns the
    ids of the citizen items they answered. Never commits (ingest's transaction holds it)."""
    ids = list(item_ids)
    page_items: list[Item] = []
    for start in range(0, len(ids), _CHUNK):
        page_items += session.scalars(
            select(Item).where(
                Item.id.in_(ids[start : start + _CHUNK]),
                Item.by_page.is_(True),
                Item.source.in_(("facebook_comment", "facebook_message")),
            )
        )
    answered: list[int] = []
    for page_item in sorted(page_items, key=lambda i: (i.created_time, i.id)):
        for target in answered_by(session, page_item):
            if _record(session, page_item, target, now):
                answered.append(target.id)
    return answered


def answered_by(session: Session, page_item: Item) -> list[Item]:
    """The citizen items a page comment or message answers (the rules above)."""
    if page_item.source == "facebook_message":
        return _messages_answered(session, page_item)
    if page_item.source != "facebook_comment" or not page_item.parent_id:
        return []
    # The top level of a post: only a visitor's post stored as an item is answered.
    top = page_item.parent_id == page_item.thread_id
    source = "facebook_post" if top else "facebook_comment"
    target = session.scalar(
        select(Item).where(
            Item.source == source,
            Item.external_id == page_item.parent_id,
            Item.by_page.is_(False),
        )
    )
    return [target] if target is not None else []


def _messages_answered(session: Session, page_item: Item) -> list[Item]:
    if not page_item.thread_id:
        return []
    in_thread = and_(
        Item.source == "facebook_message",
        Item.thread_id == page_item.thread_id,
        Item.created_time <= page_item.created_time,
        Item.id != page_item.id,
    )
    previous = session.scalar(
        select(Item.created_time)
        .where(in_thread, Item.by_page.is_(True), Item.created_time < page_item.created_time)
        .order_by(Item.created_time.desc())
        .limit(1)
    )
    query = select(Item).where(in_thread, Item.by_page.is_(False))
    if previous is not None:
        query = query.where(Item.created_time > previous)
    return list(session.scalars(query.order_by(Item.created_time, Item.id)))


def _record(session: Session, page_item: Item, target: Item, now: datetime) -> bool:
    """One page reply on one item: a sent reply record and the answered state, audited."""
    if _already_recorded(session, page_item, target):
        return False
    kind = "messenger" if page_item.source == "facebook_message" else "public_comment"
    refusal = _refusal(session, target, kind)
    about = {
        "actor": "page",
        "page_id": page_item.page_id,
        "page_item_id": page_item.id,
        "graph_id": page_item.external_id,
        "note": DIRECT_NOTE,
    }
    if refusal is not None:
        audit(session, None, NOT_COUNTED_ACTION, target.id, None, about | {"reason": refusal}, now)
        return False
    at = min(page_item.created_time, now)
    reply = Reply(
        item_id=target.id,
        kind=kind,
        text=page_item.text,
        status="sent",
        created_by=None,
        created_at=at,
        updated_at=now,
        attempts=0,
        next_attempt_at=None,
        sent_at=at,
        graph_id=page_item.external_id,
    )
    session.add(reply)
    session.flush()
    audit(session, None, DIRECT_ACTION, target.id, None, about | {"reply_id": reply.id}, now)
    if target.status not in CLOSED:
        before = {"status": target.status}
        target.status, target.answered_at = "answered", at
        after = {"status": "answered", "reply_id": reply.id, "actor": "page"}
        audit(session, None, "status", target.id, before, after, now)
    return True


def _already_recorded(session: Session, page_item: Item, target: Item) -> bool:
    """pakn sent it (or is sending it): the daemon read back its own reply."""
    rows = session.execute(
        select(Reply.graph_id, Reply.status, Reply.text).where(Reply.item_id == target.id)
    )
    text = page_item.text.strip()
    return any(
        graph_id == page_item.external_id or (status in IN_FLIGHT and body.strip() == text)
        for graph_id, status, body in rows
    )


def _refusal(session: Session, target: Item, kind: str) -> str | None:
    """Why this page reply must not mark the item answered, or None."""
    if target.confidential and kind == "public_comment":
        return (
            "Đơn tố cáo không được coi là đã trả lời bằng một bình luận công khai: "
            "trả lời bằng văn bản hoặc tin nhắn riêng theo Luật Tố cáo."
        )
    return direction_gate(session, target)


def direct_reply_ids(session: Session, item_id: int) -> set[int]:
    """Ids of the item's replies the page made on Facebook itself (for the item page)."""
    found: set[int] = set()
    for raw in session.scalars(
        select(AuditEntry.after).where(
            AuditEntry.item_id == item_id, AuditEntry.action == DIRECT_ACTION
        )
    ):
        reply_id = _reply_id(raw)
        if reply_id is not None:
            found.add(reply_id)
    return found


def _reply_id(raw: str | None) -> int | None:
    try:
        after = json.loads(raw) if raw else None
    except ValueError:
        return None
    value = after.get("reply_id") if isinstance(after, dict) else None
    return value if isinstance(value, int) else None

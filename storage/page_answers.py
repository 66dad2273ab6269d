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

The order things are read in does not matter: a citizen item stored after the page's reply to
it (a later page of a listing, a webhook that came first, a daemon that read the other half)
is matched the other way round when it is stored, by the same rules.

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
from storage.tables import AuditEntry, DirectionRule, Item, Reply

CLOSED: Final = ("answered", "closed", "not_actionable")
IN_FLIGHT: Final = ("pending", "sending", "unknown")
DIRECT_ACTION: Final = "reply_direct"
NOT_COUNTED_ACTION: Final = "reply_direct_not_counted"
DIRECT_NOTE: Final = "trả lời trực tiếp trên Facebook"
_CHUNK: Final = 500


def answer_from_page(session: Session, item_ids: Iterable[int], now: datetime) -> list[int]:
    """Record the page replies among ``item_ids`` (newly stored items) as answers; returns the
    ids of the citizen items they answered. Never commits (ingest's transaction holds it).

    A backfill stores thousands of page replies at once: the reads are batched (the parents of
    every page comment, the replies already on every target, the direction rules)."""
    stored = _stored(session, list(item_ids))
    page_items = [i for i in stored if i.by_page]
    comments = [i for i in page_items if i.source == "facebook_comment"]
    parents = _parents(session, comments)
    pairs: list[tuple[Item, Item]] = []
    for page_item in page_items:
        if page_item.source == "facebook_message":
            pairs += [(page_item, t) for t in _messages_answered(session, page_item)]
        else:
            target = parents.get(_parent_key(page_item))
            pairs += [(page_item, target)] if target is not None else []
    # The other way round: citizen items whose answer the page gave before they were stored.
    pairs += _answered_before(session, [i for i in stored if not i.by_page])
    pairs = list({(p.id, t.id): (p, t) for p, t in pairs}.values())
    if not pairs:
        return []
    known = _replies_of(session, {t.id for _p, t in pairs})
    rules = {
        (u, c) for u, c in session.execute(select(DirectionRule.unit_id, DirectionRule.category))
    }
    made: list[tuple[Item, Item, Reply]] = []
    for page_item, target in pairs:
        if _already_recorded(known.get(target.id, []), page_item):
            continue
        kind = _kind(page_item)
        refusal = _refusal(session, target, kind, (target.unit_id, target.category) in rules)
        if refusal is not None:
            after = _about(page_item) | {"reason": refusal}
            audit(session, None, NOT_COUNTED_ACTION, target.id, None, after, now)
            continue
        reply = _reply(page_item, target, kind, now)
        known.setdefault(target.id, []).append((reply.graph_id, reply.status, reply.text))
        made.append((page_item, target, reply))
    session.add_all([reply for _p, _t, reply in made])
    session.flush()  # one flush for the ids the audit entries name
    for page_item, target, reply in made:
        _mark_answered(session, page_item, target, reply, now)
    return list(dict.fromkeys(t.id for _p, t, _r in made))


def answered_by(session: Session, page_item: Item) -> list[Item]:
    """The citizen items a page comment or message answers (the rules above)."""
    if page_item.source == "facebook_message":
        return _messages_answered(session, page_item)
    target = _parents(session, [page_item]).get(_parent_key(page_item))
    return [target] if target is not None else []


def _stored(session: Session, ids: list[int]) -> list[Item]:
    """The comments, messages and visitor posts among ``ids``, oldest first."""
    found: list[Item] = []
    for start in range(0, len(ids), _CHUNK):
        found += session.scalars(
            select(Item).where(
                Item.id.in_(ids[start : start + _CHUNK]),
                Item.source.in_(("facebook_comment", "facebook_message", "facebook_post")),
            )
        )
    return sorted(found, key=lambda i: (i.created_time, i.id))


def _answered_before(session: Session, citizens: list[Item]) -> list[tuple[Item, Item]]:
    """(page item, citizen item) for citizen items just stored whose answer by the page was
    stored before them: the page's replies under a comment (or at the top of a visitor's post),
    and the page's first message at or after a citizen message in its conversation. Read by
    conversation (thread_id is indexed), one query per chunk of comments and one per chunk of
    conversations."""
    pairs: list[tuple[Item, Item]] = []
    by_key = {(c.source, c.external_id): c for c in citizens if c.source != "facebook_message"}
    # (thread, parent): the ids a page reply in a post would name as its parent, the comments
    # just stored and the visitor's post itself. Only those replies are read, not every page
    # comment of a busy post; each parent is in one pair, so each reply is read once.
    wanted = sorted(
        {(c.thread_id or "", c.external_id) for c in citizens if c.source == "facebook_comment"}
        | {(c.external_id, c.external_id) for c in citizens if c.source == "facebook_post"}
    )
    for start in range(0, len(wanted), _CHUNK):
        pairs_in = wanted[start : start + _CHUNK]
        replies = session.scalars(
            select(Item).where(
                Item.thread_id.in_(sorted({thread for thread, _ in pairs_in})),
                Item.parent_id.in_(sorted({parent for _, parent in pairs_in})),
                Item.source == "facebook_comment",
                Item.by_page.is_(True),
            )
        )
        for page_item in replies:
            target = by_key.get(_parent_key(page_item))
            pairs += [(page_item, target)] if target is not None else []
    conversations: dict[str, list[Item]] = {}
    for c in citizens:
        if c.source == "facebook_message" and c.thread_id:
            conversations.setdefault(c.thread_id, []).append(c)
    ids = sorted(conversations)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        earliest = min(m.created_time for t in chunk for m in conversations[t])
        answers: dict[str, list[Item]] = {}
        for answer in session.scalars(
            select(Item)
            .where(
                Item.thread_id.in_(chunk),
                Item.source == "facebook_message",
                Item.by_page.is_(True),
                Item.created_time >= earliest,
            )
            .order_by(Item.created_time, Item.id)
        ):
            answers.setdefault(answer.thread_id or "", []).append(answer)
        for thread_id in chunk:
            for message in conversations[thread_id]:
                found = (
                    a for a in answers.get(thread_id, []) if a.created_time >= message.created_time
                )
                first = next(found, None)
                pairs += [(first, message)] if first is not None else []
    return sorted(pairs, key=lambda pair: (pair[0].created_time, pair[0].id))


def _parent_key(page_comment: Item) -> tuple[str, str]:
    """The item a page comment answers, as (source, external_id): its parent comment, or at the
    top level of a post the post (answered only when it is a visitor's post stored as an
    item)."""
    parent = page_comment.parent_id or ""
    top = parent == page_comment.thread_id
    return ("facebook_post" if top else "facebook_comment", parent)


def _parents(session: Session, comments: list[Item]) -> dict[tuple[str, str], Item]:
    keys = {_parent_key(c) for c in comments if c.parent_id}
    found: dict[tuple[str, str], Item] = {}
    for source in ("facebook_comment", "facebook_post"):
        wanted = sorted(e for s, e in keys if s == source)
        for start in range(0, len(wanted), _CHUNK):
            rows = session.scalars(
                select(Item).where(
                    Item.source == source,
                    Item.external_id.in_(wanted[start : start + _CHUNK]),
                    Item.by_page.is_(False),
                )
            )
            found |= {(source, row.external_id): row for row in rows}
    return found


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


_Known = tuple[str | None, str, str]  # a stored reply's graph_id, status and text


def _replies_of(session: Session, item_ids: set[int]) -> dict[int, list[_Known]]:
    ids = sorted(item_ids)
    found: dict[int, list[_Known]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(Reply.item_id, Reply.graph_id, Reply.status, Reply.text).where(
                Reply.item_id.in_(ids[start : start + _CHUNK])
            )
        )
        for item_id, graph_id, status, text in rows:
            found.setdefault(item_id, []).append((graph_id, status, text))
    return found


def _already_recorded(known: list[_Known], page_item: Item) -> bool:
    """pakn sent it (or is sending it): the daemon read back its own reply."""
    text = page_item.text.strip()
    return any(
        graph_id == page_item.external_id or (status in IN_FLIGHT and body.strip() == text)
        for graph_id, status, body in known
    )


def _kind(page_item: Item) -> str:
    return "messenger" if page_item.source == "facebook_message" else "public_comment"


def _about(page_item: Item) -> dict[str, object]:
    return {
        "actor": "page",
        "page_id": page_item.page_id,
        "page_item_id": page_item.id,
        "graph_id": page_item.external_id,
        "note": DIRECT_NOTE,
    }


def _reply(page_item: Item, target: Item, kind: str, now: datetime) -> Reply:
    at = min(page_item.created_time, now)
    return Reply(
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


def _mark_answered(
    session: Session, page_item: Item, target: Item, reply: Reply, now: datetime
) -> None:
    """The answered state a reply sent through pakn gives (storage.replies.mark_sent)."""
    audit(
        session,
        None,
        DIRECT_ACTION,
        target.id,
        None,
        _about(page_item) | {"reply_id": reply.id},
        now,
    )
    if target.status not in CLOSED:
        before = {"status": target.status}
        target.status, target.answered_at = "answered", reply.sent_at
        after = {"status": "answered", "reply_id": reply.id, "actor": "page"}
        audit(session, None, "status", target.id, before, after, now)


def _refusal(session: Session, target: Item, kind: str, directed: bool) -> str | None:
    """Why this page reply must not mark the item answered, or None. ``directed``: the unit
    answers the item's category only after a leader's direction."""
    if target.confidential and kind == "public_comment":
        return (
            "Đơn tố cáo không được coi là đã trả lời bằng một bình luận công khai: "
            "trả lời bằng văn bản hoặc tin nhắn riêng theo Luật Tố cáo."
        )
    return direction_gate(session, target) if directed else None


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

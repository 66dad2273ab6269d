"""What changed in an officer's queue since their browser last asked: the live queue's query.

The browser polls (review/live_views.py says why a poll and not a stream) with the cursor of its
last answer: the largest item id and audit entry id then, and the time. The answer says whether
anything in the officer's units moved (a new item, or an audited change of one: status,
assignee, labels, a reply sent or failed), lists the urgent items still waiting for someone to
look at them, and the officer's own replies that failed or whose fate is unknown since then.

Ids are only a hint: on PostgreSQL a transaction may commit after a younger one, so an id below
the cursor can still appear. The browser therefore also compares the counts, and it is told the
waiting urgent items themselves (a short list) rather than "those above the cursor"; replies are
read by time with an overlap and the browser remembers which it has shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.tables import AuditEntry, Item, Reply
from storage.visibility import ItemCard, Viewer, cards, unit_clause

URGENT_LISTED: Final = 20
# Longer than any transaction of the reply sender between its clock reading and its commit.
REPLY_OVERLAP: Final = timedelta(minutes=2)
REPLY_PROBLEMS: Final = ("failed", "unknown")
_CURSOR = re.compile(r"^(\d{1,18})\.(\d{1,18})\.(\d{1,15})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LiveCursor:
    item_id: int
    audit_id: int
    at: datetime

    def encode(self) -> str:
        return f"{self.item_id}.{self.audit_id}.{(self.at - _EPOCH) // timedelta(milliseconds=1)}"

    @staticmethod
    def decode(raw: str | None) -> LiveCursor | None:
        """None for a missing or malformed cursor: the first poll of a page."""
        match = _CURSOR.match(raw or "")
        if match is None:
            return None
        at = _EPOCH + timedelta(milliseconds=int(match.group(3)))
        return LiveCursor(int(match.group(1)), int(match.group(2)), at)


@dataclass(frozen=True)
class ReplyNews:
    """One of the officer's replies that failed or may not have been sent."""

    reply_id: int
    item_id: int
    status: str
    error: str | None


@dataclass(frozen=True)
class LiveChanges:
    cursor: LiveCursor
    changed: bool  # something in the viewer's units moved since the cursor
    urgent: list[ItemCard]  # urgent items nobody has touched yet, newest first
    replies: list[ReplyNews]


def current_cursor(session: Session, now: datetime) -> LiveCursor:
    # max() of a primary key reads one end of its index on both databases.
    item_id = session.scalar(select(func.max(Item.id))) or 0
    audit_id = session.scalar(select(func.max(AuditEntry.id))) or 0
    return LiveCursor(int(item_id), int(audit_id), now)


def changes(
    session: Session, viewer: Viewer, since: LiveCursor | None, *, now: datetime
) -> LiveChanges:
    cursor = current_cursor(session, now)
    if since is None:
        return LiveChanges(cursor, False, waiting_urgent(session, viewer), [])
    changed = _moved(session, viewer, since)
    return LiveChanges(
        cursor, changed, waiting_urgent(session, viewer), reply_news(session, viewer, since.at)
    )


def _moved(session: Session, viewer: Viewer, since: LiveCursor) -> bool:
    arrived = select(Item.id).where(
        Item.id > since.item_id, unit_clause(viewer), Item.by_page.is_(False)
    )
    # Views of confidential items are audited too; they change nothing in the queue (and a
    # list refreshed because of them would audit its own views again, forever).
    touched = (
        select(AuditEntry.id)
        .join(Item, Item.id == AuditEntry.item_id)
        .where(
            AuditEntry.id > since.audit_id,
            ~AuditEntry.action.startswith("view_", autoescape=True),
            unit_clause(viewer),
        )
    )
    return any(session.scalar(q.limit(1)) is not None for q in (arrived, touched))


def waiting_urgent(session: Session, viewer: Viewer) -> list[ItemCard]:
    """Urgent items still new (or reopened) in the viewer's units, as the viewer may see them."""
    rows = session.scalars(
        select(Item)
        .where(
            unit_clause(viewer),
            Item.by_page.is_(False),
            Item.urgent.is_(True),
            Item.status.in_(("new", "reopened")),
        )
        .order_by(Item.id.desc())
        .limit(URGENT_LISTED)
    )
    return cards(session, rows, viewer)


def reply_news(session: Session, viewer: Viewer, since: datetime) -> list[ReplyNews]:
    """The viewer's replies that failed or became unknown since ``since`` (with an overlap)."""
    rows = session.execute(
        select(Reply.id, Reply.item_id, Reply.status, Reply.error)
        .where(
            Reply.status.in_(REPLY_PROBLEMS),
            Reply.created_by == viewer.user_id,
            Reply.updated_at >= since - REPLY_OVERLAP,
        )
        .order_by(Reply.id)
    )
    return [ReplyNews(r.id, r.item_id, r.status, r.error) for r in rows]


def reply_marks(session: Session, item_ids: Iterable[int]) -> dict[int, str]:
    """The state of each listed item's latest reply (pending, sending, sent, failed, unknown)."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Reply.item_id, Reply.status)
        .where(Reply.item_id.in_(ids), Reply.status != "cancelled")
        .order_by(Reply.id)
    )
    return {item_id: status for item_id, status in rows}

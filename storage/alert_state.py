"""What the alert detector reads and marks: unalerted urgent items, page incidents, failed
replies and the lists of the morning digest. Functions take a Session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.tables import OPEN_STATUSES, RUNNING_STATUSES, Item, Notification, Page, Reply, Unit


def urgent_unalerted(session: Session, received_since: datetime, limit: int = 200) -> list[Item]:
    """Urgent citizen items nobody has been told about yet, oldest first.

    ``received_since`` keeps a backfill of old comments (first run, a 90-day sweep) from
    paging the duty officer about last month's items: those are in the queue already.
    """
    return list(
        session.scalars(
            select(Item)
            .where(
                Item.urgent.is_(True),
                Item.by_page.is_(False),
                Item.alerted_at.is_(None),
                Item.created_time >= received_since,
                Item.status.in_(OPEN_STATUSES),
            )
            .order_by(Item.id)
            .limit(limit)
        )
    )


def mark_alerted(session: Session, item_id: int, now: datetime) -> bool:
    """Claim the item's alert (conditional UPDATE): False when another daemon already did."""
    result = session.execute(
        update(Item).where(Item.id == item_id, Item.alerted_at.is_(None)).values(alerted_at=now)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def pages(session: Session, page_ids: Sequence[str]) -> list[Page]:
    if not page_ids:
        return []
    return list(session.scalars(select(Page).where(Page.id.in_(page_ids)).order_by(Page.id)))


def open_incident(session: Session, page_id: str, now: datetime) -> bool:
    """Record that the page's down alert goes out now; False when one is already open."""
    result = session.execute(
        update(Page)
        .where(Page.id == page_id, Page.down_alerted_at.is_(None))
        .values(down_alerted_at=now)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def close_incident(session: Session, page_id: str, opened_at: datetime) -> bool:
    """Close the incident opened at ``opened_at``; False when someone else closed it."""
    result = session.execute(
        update(Page)
        .where(Page.id == page_id, Page.down_alerted_at == opened_at)
        .values(down_alerted_at=None)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def failed_replies(session: Session, failed_since: datetime) -> list[tuple[Reply, Item]]:
    """Replies that failed for good, or may not have been sent ("unknown"), since
    ``failed_since``, with their items: both need an officer."""
    rows = session.execute(
        select(Reply, Item)
        .join(Item, Item.id == Reply.item_id)
        .where(Reply.status.in_(("failed", "unknown")), Reply.updated_at >= failed_since)
        .order_by(Reply.id)
    )
    return [(reply, item) for reply, item in rows.all()]


def due_and_overdue(
    session: Session, unit_id: str, now: datetime, day_end: datetime
) -> tuple[list[Item], list[Item]]:
    """Open items of the unit due between ``now`` and ``day_end``, and those already overdue."""
    open_items = select(Item).where(
        Item.unit_id == unit_id,
        Item.by_page.is_(False),
        Item.status.in_(RUNNING_STATUSES),
        Item.due_at.is_not(None),
    )
    due = session.scalars(
        open_items.where(Item.due_at >= now, Item.due_at <= day_end).order_by(Item.due_at)
    )
    overdue = session.scalars(open_items.where(Item.due_at < now).order_by(Item.due_at))
    return list(due), list(overdue)


def unit_names(session: Session) -> dict[str, str]:
    return {u.id: u.name for u in session.scalars(select(Unit))}


def alerted_since(session: Session, key_prefix: str, since: datetime) -> bool:
    """Whether a notification whose dedupe key starts with ``key_prefix`` was enqueued since
    ``since``: an event that repeats (objects of a page set aside for one reason) is told once
    per period, whatever else its key carries."""
    escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(Notification.id).where(
        Notification.dedupe_key.like(f"{escaped}%", escape="\\"),
        Notification.created_at >= since,
    )
    return session.scalar(query.limit(1)) is not None

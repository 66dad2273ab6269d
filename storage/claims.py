"""Claims on work the daemon sends to Facebook at most once (replies, their attachments sent as
messages of their own, hide/unhide requests).

Shared by storage/replies.py and storage/moderation.py: a row is claimed (conditional UPDATE
from ``pending``) just before it is sent; a claim that expired while ``sending`` turns the row
``unknown`` (the sender may have died after Facebook applied it), never back to ``pending``; and
a result is recorded only while the claim is still ours.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from storage.tables import ModerationRequest, Reply, ReplyAttachment

Claimed = TypeVar("Claimed", Reply, ModerationRequest, ReplyAttachment)


def claim(
    session: Session,
    table: type[Claimed],
    row_id: int,
    owner: str,
    now: datetime,
    lease: timedelta,
    *also: ColumnElement[bool],
) -> Claimed | None:
    """Take one pending row (conditional UPDATE); None when another daemon did."""
    result = session.execute(
        update(table)
        .where(table.id == row_id, table.status == "pending", *also)
        .values(status="sending", claimed_by=owner, claimed_until=now + lease, updated_at=now)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    return session.get(table, row_id)


def expire_stale(
    session: Session, table: type[Claimed], now: datetime, reason: str
) -> list[Claimed]:
    """Rows whose claim expired while ``sending`` become ``unknown``; the caller audits them.
    ``claimed_by`` stays, so a sender that comes back with Facebook's answer may record it."""
    stale = or_(table.claimed_until.is_(None), table.claimed_until < now)
    ids = session.scalars(select(table.id).where(table.status == "sending", stale)).all()
    expired = []
    for row_id in ids:
        result = session.execute(
            update(table)
            .where(table.id == row_id, table.status == "sending", stale)
            .values(status="unknown", error=reason, attempts=table.attempts + 1, updated_at=now)
        )
        found = session.get(table, row_id) if getattr(result, "rowcount", 0) == 1 else None
        if found is not None:
            session.refresh(found)
            expired.append(found)
    return expired


def still_ours(
    session: Session, table: type[Claimed], row_id: int, owner: str, now: datetime
) -> Claimed | None:
    """End our claim (conditional UPDATE); None when it is no longer ours to record.

    ``unknown`` with our name is still ours: the claim expired while we waited for Facebook,
    and its answer is better than not knowing. Once an officer resent the row, or another
    daemon claimed it, the row is theirs and our answer only goes to the log.
    """
    result = session.execute(
        update(table)
        .where(
            table.id == row_id,
            table.claimed_by == owner,
            table.status.in_(("sending", "unknown")),
        )
        .values(claimed_by=None, claimed_until=None, updated_at=now)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    found = session.get(table, row_id)
    if found is not None:
        session.refresh(found)
    return found

"""The notification outbox: detection enqueues rows, the sender claims and sends them.

Each row is one message to one recipient. Its ``dedupe_key`` is unique, so an event detected in
every cycle (or by two daemons at once) is stored, and therefore sent, once. A failed row keeps
status ``failed`` with the reason; while ``next_attempt_at`` is set it will be tried again, with
a growing delay, until ``MAX_ATTEMPTS``. The recipient's URL is never stored: it carries
credentials, so rows name the target by ``target_ref``, a hash of the URL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.tables import Notification

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# A row left in "sending" this long (the daemon died mid-send) is taken again.
SEND_LEASE = timedelta(minutes=5)


def target_ref(url: str) -> str:
    """Stable name for a recipient that reveals nothing of its URL (tokens, passwords)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Message:
    """One notification to enqueue."""

    dedupe_key: str
    event: str
    target_name: str
    target_ref: str
    subject: str
    body: str
    unit_id: str | None = None
    item_id: int | None = None


def enqueue(session: Session, messages: Sequence[Message], now: datetime) -> int:
    """Insert the messages whose key is new; returns how many were added. Never commits."""
    if not messages:
        return 0
    keys = [m.dedupe_key for m in messages]
    known = existing_keys(session, keys)
    rows = [_row(m, now) for m in messages if m.dedupe_key not in known]
    if not rows:
        return 0
    # The pre-check keeps PostgreSQL's id sequence from being spent on every cycle; the
    # ON CONFLICT is what makes two daemons detecting the same event safe.
    stmt = _insert_ignore(session).returning(Notification.id)
    return len(session.execute(stmt, rows).all())


def _row(m: Message, now: datetime) -> dict[str, Any]:
    return {
        "dedupe_key": m.dedupe_key[:200],
        "event": m.event,
        "unit_id": m.unit_id,
        "item_id": m.item_id,
        "target_name": m.target_name[:200],
        "target_ref": m.target_ref,
        "subject": m.subject,
        "body": m.body,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }


def _insert_ignore(session: Session) -> Any:
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(Notification).on_conflict_do_nothing(index_elements=["dedupe_key"])


def _due(now: datetime) -> Any:
    waiting = and_(
        Notification.status.in_(("pending", "failed")),
        Notification.next_attempt_at.is_not(None),
        Notification.next_attempt_at <= now,
    )
    abandoned = and_(Notification.status == "sending", Notification.next_attempt_at <= now)
    return or_(waiting, abandoned)


def claim_next(session: Session, now: datetime) -> Notification | None:
    """Take the oldest due row with a conditional UPDATE (two daemons never send it twice)."""
    candidates = session.scalars(
        select(Notification.id).where(_due(now)).order_by(Notification.id).limit(5)
    ).all()
    for row_id in candidates:
        result = session.execute(
            update(Notification)
            .where(Notification.id == row_id, _due(now))
            .values(status="sending", next_attempt_at=now + SEND_LEASE)
        )
        if getattr(result, "rowcount", 0) == 1:
            return session.get(Notification, row_id, populate_existing=True)
    return None


def mark_sent(session: Session, row: Notification, now: datetime) -> None:
    row.status, row.sent_at, row.next_attempt_at = "sent", now, None
    row.attempts += 1
    row.last_error = None


def mark_failed(
    session: Session, row: Notification, reason: str, now: datetime, *, retry: bool = True
) -> None:
    """Record the reason; schedule another attempt unless permanent or attempts are used up."""
    row.attempts += 1
    row.status, row.last_error = "failed", reason[:2000]
    if retry and row.attempts < MAX_ATTEMPTS:
        row.next_attempt_at = now + retry_delay(row.attempts)
    else:
        row.next_attempt_at = None


def retry_delay(attempts: int) -> timedelta:
    """1, 4, 16 minutes, then hourly: a dead channel is not hammered every cycle."""
    delay: timedelta = FIRST_RETRY * 4 ** max(attempts - 1, 0)
    return min(delay, LONGEST_RETRY)


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    return set(
        session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys)))
    )


def recent(session: Session, limit: int = 50) -> list[Notification]:
    """The latest notifications, newest first (admin view, ``pakn`` diagnostics)."""
    return list(session.scalars(select(Notification).order_by(Notification.id.desc()).limit(limit)))

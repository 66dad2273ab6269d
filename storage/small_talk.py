"""Small talk kept out of the officers' way, and what the rule did.

Comments such as "Vâng ạ", "Đồng ý với bạn trên" or "cảm ơn ad" are no petitions: the classifier
calls them "khac". Those it is sure of (``queue.small_talk_confidence``, applied by
``storage.ingest.IngestPolicy``) enter set aside: no deadline, not among the new items, waiting
in the "không cần xử lý" view for an officer to sweep them (closed as not actionable in one bulk
action) or to pull one back into the queue (``pull_back``: it gets the deadline its labels call
for, counted from receipt). ``figures`` tells the leaders how often each happened.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.ingest import IngestPolicy
from storage.tables import OPEN_STATUSES, Item


class NotSetAsideError(ValueError):
    """The item is not waiting in the small talk view; the message says so."""


def pull_back(
    session: Session, item: Item, *, user_id: int | None, now: datetime, policy: IngestPolicy
) -> None:
    """An officer says the item is more than small talk: back among the new items, with the
    deadline of its labels from the time it was received (audited)."""
    if not item.set_aside or item.status not in OPEN_STATUSES:
        raise NotSetAsideError(
            f"Mục #{item.id} không nằm trong danh sách không cần xử lý (đã được đưa lại hoặc đã "
            "đóng); tải lại trang để xem trạng thái hiện tại."
        )
    before = {"set_aside": True, "due_at": item.due_at, "deadline_rule": item.deadline_rule}
    item.set_aside = False
    if policy.due_at is not None:
        item.due_at, item.deadline_rule = policy.due_at(
            item.category, item.urgent, item.created_time
        )
    after = {"set_aside": False, "due_at": item.due_at, "deadline_rule": item.deadline_rule}
    audit(session, user_id, "small_talk_pulled_back", item.id, before, after, now)


def leave_small_talk(session: Session, item: Item, user_id: int | None, now: datetime) -> None:
    """Labels an officer set that are more than small talk take the item out of the view; the
    caller has already given it the deadline of its new labels."""
    if not item.set_aside or (item.category == "khac" and not item.urgent):
        return
    item.set_aside = False
    audit(session, user_id, "small_talk_pulled_back", item.id, {"set_aside": True}, None, now)


@dataclass(frozen=True)
class SmallTalkFigures:
    """Items set aside as small talk (received in a period) and what became of them."""

    set_aside: int
    pulled_back: int  # an officer put them back into the queue
    closed: int  # swept: closed, or not actionable
    waiting: int  # still in the "không cần xử lý" view

    @property
    def pulled_back_share(self) -> float | None:
        """How often the rule was wrong, as officers judged it; None without any item."""
        return self.pulled_back / self.set_aside if self.set_aside else None


def figures(
    session: Session,
    unit_ids: Collection[str] | None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> SmallTalkFigures:
    """Counts for the units (None: all) over items received in [start, end) (None: open)."""
    open_now = Item.status.in_(OPEN_STATUSES)
    query = select(
        func.count(),
        func.count().filter(Item.set_aside.is_(False)),
        func.count().filter(Item.set_aside.is_(True), ~open_now),
        func.count().filter(Item.set_aside.is_(True), open_now),
    ).where(Item.set_aside_at.is_not(None))
    if unit_ids is not None:
        query = query.where(Item.unit_id.in_(sorted(unit_ids)))
    if start is not None:
        query = query.where(Item.created_time >= start)
    if end is not None:
        query = query.where(Item.created_time < end)
    total, pulled, closed, waiting = session.execute(query).one()
    return SmallTalkFigures(int(total), int(pulled), int(closed), int(waiting))

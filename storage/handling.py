"""When an item counts as handled for the unit's figures, besides an answer or closing.

A transfer is how the unit handles an item outside its competence (NĐ 20/2008/NĐ-CP Điều
9.1.d, Luật Tố cáo 2018 Điều 24.2): the item is handled at the transfer, on time when it was
made within its 05-working-day clock (storage/transfers.py), whatever the item's own deadline;
closing it afterwards without an answer changes nothing. storage/reports.py and
storage/prolonged.py read it through ``MOVED_COLUMNS`` and ``moved_of``.

A citizen's "chưa hài lòng" (storage/satisfaction.py) ends the first handling round and starts
a second one with a fresh deadline: the first round is frozen on the item (``first_due_at``,
``first_handled_at``) and keeps its result in the figures of its period (``first_round``);
``due_at``, ``answered_at`` and ``closed_at`` are then the second round's, and a transfer made
before the reopening handled the first round, not the second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.tables import Item, Transfer

# The item's latest transfer: when it was made and its 05-working-day deadline.
Moved = tuple[datetime, datetime]
# The first round a citizen's reopening froze: its deadline and when it was handled.
FirstRound = tuple[datetime | None, datetime | None]


def _latest_transfer(column: Any) -> Any:
    return (
        select(column)
        .where(Transfer.item_id == Item.id)
        .order_by(Transfer.id.desc())
        .limit(1)
        .scalar_subquery()
    )


MOVED_COLUMNS: tuple[Any, Any] = (
    _latest_transfer(Transfer.transferred_at).label("moved_at"),
    _latest_transfer(Transfer.due_at).label("moved_due"),
)
FIRST_ROUND_COLUMNS: tuple[Any, Any, Any] = (
    Item.reopened_at,
    Item.first_due_at,
    Item.first_handled_at,
)


def moved_of(
    status: str,
    answered_at: datetime | None,
    at: datetime | None,
    due: datetime | None,
    reopened_at: datetime | None = None,
) -> Moved | None:
    """The transfer that handled the item, if one did: the latest, on an item transferred, or
    closed after it, without an answer (the figures' rule, storage/reports.py), and made in the
    current round (after ``reopened_at``, when a citizen's rating reopened the item)."""
    if at is None or due is None or answered_at is not None:
        return None
    if reopened_at is not None and at < reopened_at:
        return None
    return (at, due) if status in ("transferred", "closed") else None


def first_round(
    reopened_at: datetime | None, due_at: datetime | None, handled_at: datetime | None
) -> FirstRound | None:
    """The frozen first round of an item a citizen's rating reopened; None for the others."""
    return None if reopened_at is None else (due_at, handled_at)


def latest_move(session: Session, item: Item) -> Moved | None:
    """``moved_of`` for one item as it stands."""
    at, due = session.execute(select(*MOVED_COLUMNS).where(Item.id == item.id)).one()
    return moved_of(item.status, item.answered_at, at, due, item.reopened_at)

"""When an item counts as handled for the unit's figures, besides an answer or closing.

A transfer is how the unit handles an item outside its competence (NĐ 20/2008/NĐ-CP Điều
9.1.d, Luật Tố cáo 2018 Điều 24.2): the item is handled at the transfer, on time when it was
made within its 05-working-day clock (storage/transfers.py), whatever the item's own deadline;
closing it afterwards without an answer changes nothing. storage/reports.py and
storage/prolonged.py read it through ``MOVED_COLUMNS`` and ``moved_of``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.tables import Item, Transfer

# The item's latest transfer: when it was made and its 05-working-day deadline.
Moved = tuple[datetime, datetime]


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


def moved_of(
    status: str, answered_at: datetime | None, at: datetime | None, due: datetime | None
) -> Moved | None:
    """The transfer that handled the item, if one did: the latest, on an item transferred, or
    closed after it, without an answer (the figures' rule, storage/reports.py)."""
    if at is None or due is None or answered_at is not None:
        return None
    return (at, due) if status in ("transferred", "closed") else None

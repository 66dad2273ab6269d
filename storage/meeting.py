"""What the leadership's meeting summary lists: the period's citizen items and their proposals.

The summary is a document that leaves the screen (printed, sent around), so every sender is
masked as in the report files (storage.reports.listed: no viewer is entitled). Items labelled
"khác" (thanks, small talk, spam; what ingest sets aside is among them) are left out: they need
no decision.
The grouping into topics is classifier/topics.py's; the page puts the two together.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.proposals import proposals_for
from storage.report_periods import Period
from storage.reports import ListedItem, listed
from storage.tables import Item, Proposal

LEFT_OUT_CATEGORIES = ("khac",)


@dataclass(frozen=True)
class MeetingItems:
    items: list[ListedItem]
    # Every proposal covering each item, newest first.
    proposals: dict[int, list[Proposal]]


def meeting_items(
    session: Session, period: Period, now: datetime, units: Collection[str] | None
) -> MeetingItems:
    start, end = period.bounds()
    query = select(Item.id).where(
        Item.by_page.is_(False),
        Item.created_time >= start,
        Item.created_time < end,
        Item.category.is_distinct_from(LEFT_OUT_CATEGORIES[0]),
    )
    if units is not None:
        query = query.where(Item.unit_id.in_(sorted(units)))
    ids = list(session.scalars(query.order_by(Item.created_time, Item.id)))
    return MeetingItems(listed(session, ids, now), proposals_for(session, ids))

"""Page health for ``pakn pages`` and the admin view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.tables import Item, Page


@dataclass(frozen=True)
class PageHealth:
    id: str
    name: str
    unit_id: str
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    quarantined: bool
    throttled_until: datetime | None
    usage_percent: float | None
    items_today: int
    consecutive_failures: int
    api_version: str | None


def page_health(session: Session, day_start: datetime) -> list[PageHealth]:
    today = (
        select(Item.page_id, func.count().label("n"))
        .where(Item.first_seen_at >= day_start, Item.by_page.is_(False))
        .group_by(Item.page_id)
        .subquery()
    )
    rows = session.execute(
        select(Page, func.coalesce(today.c.n, 0))
        .outerjoin(today, today.c.page_id == Page.id)
        .order_by(Page.unit_id, Page.name)
    )
    return [
        PageHealth(
            id=page.id,
            name=page.name,
            unit_id=page.unit_id,
            last_success_at=page.last_success_at,
            last_error=page.last_error,
            last_error_at=page.last_error_at,
            quarantined=page.quarantined_at is not None,
            throttled_until=page.throttled_until,
            usage_percent=page.usage_percent,
            items_today=int(count),
            consecutive_failures=page.consecutive_failures,
            api_version=page.api_version_seen,
        )
        for page, count in rows
    ]

"""Item export (``pakn export``): one flat record per item, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.tables import Item

FIELDS = (
    "source",
    "external_id",
    "page_id",
    "unit_id",
    "parent_id",
    "thread_id",
    "author_id",
    "author_name",
    "text",
    "attachments",
    "created_time",
    "first_seen_at",
    "deleted",
    "edited",
    "hidden",
    "by_page",
    "permalink",
    "category",
    "urgent",
    "field",
    "confidence",
    "model_version",
    "labels_corrected",
    "status",
    "department",
    "due_at",
)
_MASK = "(ẩn danh: thông tin người tố cáo được bảo vệ)"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def export_rows(
    session: Session, *, include_page_replies: bool = False, reveal_confidential: bool = False
) -> Iterator[dict[str, Any]]:
    """Items oldest first. A denouncer's identity is masked unless explicitly revealed."""
    query = select(Item).order_by(Item.created_time, Item.id)
    if not include_page_replies:
        query = query.where(Item.by_page.is_(False))
    for item in session.scalars(query.execution_options(yield_per=1000)):
        row: dict[str, Any] = {name: getattr(item, name) for name in FIELDS}
        for key in ("created_time", "first_seen_at", "due_at"):
            row[key] = _iso(row[key])
        if item.confidential and not reveal_confidential:
            row["author_id"] = None
            row["author_name"] = _MASK
        yield row

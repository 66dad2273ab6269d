"""Item export (``pakn export``): one flat record per item, streamed.

``id`` is the item number officers see as ``#id``; every time is given in UTC (``…Z``) and in
Vietnam's time (``…_local``, ``+07:00``).

Nobody is entitled to a denouncer's identity in a file (storage.visibility): a shielded row
loses its author, its ids that open it on Facebook (external_id, permalink), its attachments,
and the identity written in its text. Text cells are made safe for spreadsheets unless the
caller writes JSON (``spreadsheet=False``): a comment "=HYPERLINK(...)" must not run in Excel.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.masking import MASKED_AUTHOR, spreadsheet_text
from storage.tables import Item
from storage.visibility import Shield, every_shield, reveal
from storage.workdays import VIETNAM_TZ

FIELDS = (
    "id",
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
    "created_time_local",
    "first_seen_at_local",
    "due_at_local",
)
_TIMES = ("created_time", "first_seen_at", "due_at")
_HIDDEN_WHEN_SHIELDED = ("external_id", "attachments")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _local(value: datetime | None) -> str | None:
    """The same moment in Vietnam's time (``2026-12-04T09:30:00+07:00``), as officers read it."""
    return value.astimezone(VIETNAM_TZ).isoformat() if value else None


def export_rows(
    session: Session, *, include_page_replies: bool = False, spreadsheet: bool = True
) -> Iterator[dict[str, Any]]:
    """Items oldest first, every denouncer masked."""
    query = select(Item).order_by(Item.created_time, Item.id)
    if not include_page_replies:
        query = query.where(Item.by_page.is_(False))
    shield = every_shield(session)
    for item in session.scalars(query.execution_options(yield_per=1000)):
        row = _row(item, shield)
        if spreadsheet:
            row = {k: spreadsheet_text(v) if isinstance(v, str) else v for k, v in row.items()}
        yield row


def _row(item: Item, shield: Shield) -> dict[str, Any]:
    row: dict[str, Any] = {name: getattr(item, name) for name in FIELDS if hasattr(item, name)}
    for key in _TIMES:
        row[f"{key}_local"] = _local(row[key])
        row[key] = _iso(row[key])
    shown = reveal(item, shield.guard(item), None, MASKED_AUTHOR)
    row |= {
        "author_id": shown.author_id,
        "author_name": shown.author_name,
        "permalink": shown.permalink,
        "text": shown.text,
    }
    if not shown.known:
        row |= dict.fromkeys(_HIDDEN_WHEN_SHIELDED)
    return row

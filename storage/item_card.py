"""ItemCard: an item as a list row or a context entry shows it, the sender already decided.

Built only through storage.visibility (``card``, ``cards``), which decides what of the sender
and the text the viewer may see; this module just copies the rest of the item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.tables import Item


@dataclass(frozen=True)
class Shown:
    """An item's sender and text as one audience sees them (storage.visibility.reveal)."""

    known: bool
    shielded: bool  # the sender is a denouncer
    author_name: str | None
    author_id: str | None
    author_phone: str | None
    permalink: str | None
    text: str


@dataclass(frozen=True, kw_only=True)
class ItemCard:
    """What a list row or a context entry shows: the item with the sender masked if needed."""

    id: int
    source: str
    unit_id: str
    text: str
    created_time: datetime
    author_name: str | None
    author_id: str | None
    author_phone: str | None
    permalink: str | None
    masked: bool
    shielded: bool  # the sender is a denouncer (shown only when not ``masked``)
    openable: bool
    by_page: bool
    category: str | None
    urgent: bool
    field: str | None
    confidence: float | None
    model_version: str | None
    labels_corrected: bool
    labels_reviewed_at: datetime | None
    status: str
    flagged: bool
    flag_reasons: tuple[str, ...]
    confidential: bool
    department: str | None
    assignee_id: int | None
    due_at: datetime | None
    deadline_rule: str | None
    duplicate_of_id: int | None
    edited: bool
    deleted: bool
    hidden: bool


def card_of(item: Item, shown: Shown, *, openable: bool) -> ItemCard:
    return ItemCard(
        id=item.id,
        source=item.source,
        unit_id=item.unit_id,
        text=shown.text,
        created_time=item.created_time,
        author_name=shown.author_name,
        author_id=shown.author_id,
        author_phone=shown.author_phone,
        permalink=shown.permalink,
        masked=not shown.known,
        shielded=shown.shielded,
        openable=openable,
        by_page=item.by_page,
        category=item.category,
        urgent=item.urgent,
        field=item.field,
        confidence=item.confidence,
        model_version=item.model_version,
        labels_corrected=item.labels_corrected,
        labels_reviewed_at=item.labels_reviewed_at,
        status=item.status,
        flagged=item.flagged,
        flag_reasons=tuple(r for r in (item.flag_reasons or "").split(",") if r),
        confidential=item.confidential,
        department=item.department,
        assignee_id=item.assignee_id,
        due_at=item.due_at,
        deadline_rule=item.deadline_rule,
        duplicate_of_id=item.duplicate_of_id,
        edited=item.edited,
        deleted=item.deleted,
        hidden=item.hidden,
    )

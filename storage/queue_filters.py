"""The filters an officer narrows a queue view to: urgent, category, field, channel, page, unit,
status, assignee, date range, whether it has a reply. Each becomes one SQL condition on ``Item``
that the queue views (storage/queue_search.py) add to their own.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from storage.tables import Item, Page, Reply, User, UserUnit
from storage.visibility import Viewer

ASSIGNEE_NOBODY: Final = "none"
ASSIGNEE_ME: Final = "me"


@dataclass(frozen=True)
class QueueFilters:
    """What an officer narrows a queue view to; empty strings and None mean "any".

    ``assignee`` is a user id, "me" or "none" (nobody); ``received_to`` is exclusive.
    """

    urgent: bool | None = None
    category: str = ""
    field: str = ""
    source: str = ""
    page_id: str = ""
    unit_id: str = ""
    status: str = ""
    assignee: str = ""
    received_from: datetime | None = None
    received_to: datetime | None = None
    has_reply: bool | None = None

    def clauses(self, viewer: Viewer) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.urgent is not None:
            found.append(Item.urgent.is_(self.urgent))
        if self.category == "none":
            found.append(Item.category.is_(None))
        elif self.category:
            found.append(Item.category == self.category)
        for column, value in (
            (Item.field, self.field),
            (Item.source, self.source),
            (Item.page_id, self.page_id),
            (Item.unit_id, self.unit_id),
            (Item.status, self.status),
        ):
            if value:
                found.append(column == value)
        found += self._assignee(viewer)
        if self.received_from is not None:
            found.append(Item.created_time >= self.received_from)
        if self.received_to is not None:
            found.append(Item.created_time < self.received_to)
        if self.has_reply is not None:
            answered = exists().where(Reply.item_id == Item.id, Reply.status != "cancelled")
            found.append(answered if self.has_reply else ~answered)
        return found

    def _assignee(self, viewer: Viewer) -> list[ColumnElement[bool]]:
        if self.assignee == ASSIGNEE_NOBODY:
            return [Item.assignee_id.is_(None)]
        if self.assignee == ASSIGNEE_ME:
            return [Item.assignee_id == viewer.user_id]
        if self.assignee.isdigit():
            return [Item.assignee_id == int(self.assignee)]
        return []

    def active(self) -> bool:
        """Whether any filter narrows the view."""
        return any(getattr(self, f.name) not in ("", None) for f in fields(self))


@dataclass(frozen=True)
class FilterChoices:
    """What the filter form offers the viewer: their units' pages and colleagues."""

    pages: list[tuple[str, str]]  # (page id, name)
    people: list[tuple[int, str]]  # (user id, display name)


def filter_choices(session: Session, viewer: Viewer) -> FilterChoices:
    pages = select(Page.id, Page.name).order_by(Page.name)
    people = select(User.id, User.display_name).where(User.active.is_(True))
    if viewer.unit_ids is not None:
        units = sorted(viewer.unit_ids)
        pages = pages.where(Page.unit_id.in_(units))
        members = select(UserUnit.user_id).where(UserUnit.unit_id.in_(units))
        people = people.where(User.id.in_(members))
    else:
        people = people.where(User.role != "admin")
    return FilterChoices(
        pages=[(p.id, p.name) for p in session.execute(pages)],
        people=[
            (u.id, u.display_name) for u in session.execute(people.order_by(User.display_name))
        ],
    )

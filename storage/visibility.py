"""Who may see which items, and how an item looks to someone who may not open it.

Users see the items of the units they belong to (``UserUnit``); admins see every unit. An item
classified or confirmed as tố cáo is ``confidential``: only the leaders of its unit and its
assigned officer may open it or see who sent it (Luật Tố cáo 2018, Điều 8 khoản 3 and Điều 56).
Everyone else, admins included (they run the system, they do not handle denunciations), sees it
in lists with the sender's name, id, phone and link replaced by ``MASK`` and may not open it.
The web layer writes a "view_confidential" audit entry for every opening.

A Messenger conversation is one citizen writing: when one of its messages is confidential, the
sender of every message in it is the denouncer, so the whole conversation is "shielded".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select, true
from sqlalchemy.orm import Session, aliased

from storage.masking import excerpt
from storage.tables import Item, User, UserUnit

MASK = "Thông tin người gửi được bảo mật"


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the access rules see them."""

    user_id: int
    role: str
    unit_ids: frozenset[str] | None  # None: every unit (admins)

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def sees_unit(self, unit_id: str) -> bool:
        return self.unit_ids is None or unit_id in self.unit_ids


def viewer_for(session: Session, user: User) -> Viewer:
    if user.role == "admin":
        return Viewer(user.id, user.role, None)
    units = session.scalars(select(UserUnit.unit_id).where(UserUnit.user_id == user.id)).all()
    return Viewer(user.id, user.role, frozenset(units))


def unit_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Restricts a query on ``Item`` to the viewer's units."""
    if viewer.unit_ids is None:
        return true()
    return Item.unit_id.in_(sorted(viewer.unit_ids))


def identity_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Items whose sender the viewer may know: searching by author must not find the others,
    or a masked item would give its author away by turning up in the results."""
    if viewer.is_leader:
        return true()
    other = aliased(Item)
    denounced_in_conversation = exists().where(
        other.thread_id == Item.thread_id,
        other.source == "facebook_message",
        other.confidential.is_(True),
    )
    unprotected = and_(
        Item.confidential.is_(False),
        or_(Item.source != "facebook_message", ~denounced_in_conversation),
    )
    return or_(unprotected, Item.assignee_id == viewer.user_id)


def shielded_conversations(session: Session, items: Iterable[Item]) -> set[str]:
    """The Messenger conversations (thread ids) among ``items`` that hold a confidential
    message."""
    threads = {i.thread_id for i in items if i.source == "facebook_message" and i.thread_id}
    if not threads:
        return set()
    found = session.scalars(
        select(Item.thread_id)
        .where(
            Item.thread_id.in_(sorted(threads)),
            Item.source == "facebook_message",
            Item.confidential.is_(True),
        )
        .distinct()
    )
    return {t for t in found if t is not None}


def is_shielded(item: Item, shielded: set[str]) -> bool:
    return item.source == "facebook_message" and item.thread_id in shielded


def may_see_identity(viewer: Viewer, item: Item, *, shielded: bool = False) -> bool:
    if not viewer.sees_unit(item.unit_id):
        return False
    if not (item.confidential or shielded):
        return True
    return viewer.is_leader or item.assignee_id == viewer.user_id


def may_open(viewer: Viewer, item: Item) -> bool:
    """Open the item page and act on it: the same rule as knowing the sender."""
    return may_see_identity(viewer, item)


def may_assign_others(viewer: Viewer) -> bool:
    """Leaders (and admins) hand work out; an officer may only take an item themselves."""
    return viewer.role in ("leader", "admin")


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


def card(item: Item, viewer: Viewer, *, shielded: bool = False) -> ItemCard:
    known = may_see_identity(viewer, item, shielded=shielded)
    text = item.text
    if not known:
        # Denouncers often sign their text ("Tôi là ..., sđt ..."): strip that too.
        hide = (item.author_name, item.author_id, item.author_phone)
        text = excerpt(item.text, limit=len(item.text) + 1, hide=hide)
    return ItemCard(
        id=item.id,
        source=item.source,
        unit_id=item.unit_id,
        text=text,
        created_time=item.created_time,
        author_name=item.author_name if known else MASK,
        author_id=item.author_id if known else None,
        author_phone=item.author_phone if known else None,
        permalink=item.permalink if known else None,
        masked=not known,
        openable=may_open(viewer, item),
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

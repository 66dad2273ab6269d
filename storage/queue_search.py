"""Queue lists and search, paginated by keyset so that page 100 costs what page 1 costs.

Each list is a filter on the viewer's units plus an order on one column and the id; the cursor
is the last row's (value, id). Ordering by deadline puts urgent items (4-hour rule) first
without a separate sort key. Items without a deadline (only possible without a deadline policy)
come after the others, ordered by id.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import Session

from storage.tables import OPEN_STATUSES, STATUSES, Item, UTCDateTime
from storage.visibility import (
    ItemCard,
    Viewer,
    card,
    identity_clause,
    is_shielded,
    shielded_conversations,
    unit_clause,
)

VIEWS: Final = ("triage", "mine", "due_soon", "overdue", "all")
COUNTED_VIEWS: Final = ("triage", "mine", "due_soon", "overdue")
PAGE_SIZE: Final = 50
_CLOSED_STATUSES = tuple(s for s in STATUSES if s not in OPEN_STATUSES)
_CURSOR = re.compile(r"^(?:v(-?\d{1,20})_(\d{1,18})|n(\d{1,18}))$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ItemPage:
    cards: list[ItemCard]
    next_cursor: str | None


@dataclass(frozen=True)
class _Order:
    column: Any
    descending: bool
    nullable: bool


_BY_DEADLINE = _Order(Item.due_at, descending=False, nullable=True)
_NEWEST_FIRST = _Order(Item.created_time, descending=True, nullable=False)


def view_clause(view: str, viewer: Viewer, now: datetime, soon: timedelta) -> ColumnElement[bool]:
    """The filter of one queue view (besides the viewer's units)."""
    if view == "all":
        return true()
    return and_(_still_open(), _work_clause(view, viewer, now, soon))


def _work_clause(view: str, viewer: Viewer, now: datetime, soon: timedelta) -> ColumnElement[bool]:
    """What singles out a work view among the open items."""
    if view == "triage":
        return or_(Item.status.in_(_literal(("new", "reopened"))), Item.flagged.is_(True))
    if view == "mine":
        return Item.assignee_id == viewer.user_id
    if view == "due_soon":
        return and_(Item.due_at >= now, Item.due_at <= now + soon)
    if view == "overdue":
        return Item.due_at < now
    raise ValueError(f"unknown queue view {view!r}; one of {', '.join(VIEWS)}")


def _literal(values: tuple[str, ...]) -> Any:
    # Written into the SQL rather than bound, so that PostgreSQL can prove that the query only
    # wants open items and use the partial indexes on them (storage/tables.py).
    return bindparam("statuses", values, unique=True, expanding=True, literal_execute=True)


def _still_open() -> ColumnElement[bool]:
    # The same words as the partial indexes' predicate in storage/tables.py.
    return Item.status.not_in(_literal(_CLOSED_STATUSES))


def _base(viewer: Viewer) -> Select[Item]:
    return select(Item).where(unit_clause(viewer), Item.by_page.is_(False))


def queue_page(
    session: Session,
    viewer: Viewer,
    view: str,
    *,
    now: datetime,
    soon: timedelta,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> ItemPage:
    query = _base(viewer).where(view_clause(view, viewer, now, soon))
    order = _NEWEST_FIRST if view == "all" else _BY_DEADLINE
    return _paginate(session, viewer, query, order, cursor, limit)


def queue_counts(
    session: Session, viewer: Viewer, *, now: datetime, soon: timedelta
) -> dict[str, int]:
    """Open items per work view, in one pass over the viewer's open items."""
    columns = [
        func.count().filter(_work_clause(v, viewer, now, soon)).label(v) for v in COUNTED_VIEWS
    ]
    row = session.execute(
        select(*columns).where(unit_clause(viewer), Item.by_page.is_(False), _still_open())
    ).one()
    return {v: int(row._mapping[v] or 0) for v in COUNTED_VIEWS}


@dataclass(frozen=True)
class SearchFilters:
    """Search criteria; empty strings and None mean "any". ``received_to`` is exclusive."""

    text: str = ""
    author: str = ""
    category: str = ""
    status: str = ""
    unit_id: str = ""
    received_from: datetime | None = None
    received_to: datetime | None = None

    def clauses(self, viewer: Viewer) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.text.strip():
            found.append(_contains(Item.text, self.text))
        if self.author.strip():
            who = self.author.strip()
            found.append(
                or_(
                    _contains(Item.author_name, who),
                    Item.author_phone == who,
                    Item.author_id == who,
                )
            )
            found.append(identity_clause(viewer))
        if self.category == "none":
            found.append(Item.category.is_(None))
        elif self.category:
            found.append(Item.category == self.category)
        if self.status:
            found.append(Item.status == self.status)
        if self.unit_id:
            found.append(Item.unit_id == self.unit_id)
        if self.received_from is not None:
            found.append(Item.created_time >= self.received_from)
        if self.received_to is not None:
            found.append(Item.created_time < self.received_to)
        return found


def _contains(column: Any, needle: str) -> ColumnElement[bool]:
    """Case-insensitive substring match; Facebook text arrives in NFC or NFD, so try both."""
    forms = {unicodedata.normalize(f, needle.strip()) for f in ("NFC", "NFD")}
    return or_(*(column.icontains(form, autoescape=True) for form in sorted(forms)))


def search(
    session: Session,
    viewer: Viewer,
    filters: SearchFilters,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> ItemPage:
    query = _base(viewer).where(*filters.clauses(viewer))
    return _paginate(session, viewer, query, _NEWEST_FIRST, cursor, limit)


def _paginate(
    session: Session,
    viewer: Viewer,
    query: Select[Item],
    order: _Order,
    cursor: str | None,
    limit: int,
) -> ItemPage:
    key = decode_cursor(cursor)
    col = order.column
    rows: list[Item] = []
    if key is None or key[0] is not None:
        ranked = query.where(col.is_not(None))
        if key is not None:
            bound = tuple_(col, Item.id)
            value = tuple_(literal(key[0], UTCDateTime()), literal(key[1]))
            ranked = ranked.where(bound < value if order.descending else bound > value)
        by = (col.desc(), Item.id.desc()) if order.descending else (col.asc(), Item.id.asc())
        rows = list(session.scalars(ranked.order_by(*by).limit(limit + 1)))
    if order.nullable and len(rows) <= limit:
        after = key[1] if key is not None and key[0] is None else 0
        rest = query.where(col.is_(None), Item.id > after).order_by(Item.id)
        rows += session.scalars(rest.limit(limit + 1 - len(rows)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(getattr(rows[-1], col.key), rows[-1].id) if more else None
    shielded = shielded_conversations(session, rows)
    cards = [card(item, viewer, shielded=is_shielded(item, shielded)) for item in rows]
    return ItemPage(cards, next_cursor)


def encode_cursor(value: datetime | None, item_id: int) -> str:
    if value is None:
        return f"n{item_id}"
    micros = (value - _EPOCH) // timedelta(microseconds=1)
    return f"v{micros}_{item_id}"


def decode_cursor(cursor: str | None) -> tuple[datetime | None, int] | None:
    """(value, id) of the last row shown, or None for the first page (also for a bad cursor)."""
    match = _CURSOR.match(cursor or "")
    if match is None:
        return None
    if match.group(3) is not None:
        return None, int(match.group(3))
    try:
        value = _EPOCH + timedelta(microseconds=int(match.group(1)))
    except OverflowError:
        return None
    return value, int(match.group(2))

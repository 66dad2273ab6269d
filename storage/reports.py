"""The leadership's figures for a period: what came in, how it was handled, what is late.

The cohort is every citizen item received in the period (page replies excluded). Each falls in
exactly one outcome, so the four add up to the number received:

- ``on_time``: handled (answered, closed or not actionable) by its deadline, or without one;
- ``late``: handled after its deadline;
- ``open``: not handled yet and still within its deadline;
- ``overdue``: not handled yet and past its deadline at the time of the report.

An item handled without a recorded time counts as on time: nothing shows it was late.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage.masking import MASKED_AUTHOR, excerpt
from storage.report_periods import Period
from storage.tables import OPEN_STATUSES, Item, Unit
from storage.visibility import Guard, reveal, shield_for
from storage.workdays import VIETNAM_TZ

OUTCOMES = ("on_time", "late", "open", "overdue")
DIMENSIONS = ("source", "category", "field", "department", "unit_id")
SOURCE_NAMES = {
    "facebook_comment": "Bình luận Facebook",
    "facebook_message": "Tin nhắn Messenger",
    "facebook_post": "Bài đăng của người dân",
    "hotline": "Đường dây nóng",
}
STATUS_NAMES = {
    "new": "Mới",
    "acknowledged": "Đã tiếp nhận",
    "in_triage": "Đang phân loại",
    "assigned": "Đã giao xử lý",
    "in_progress": "Đang xử lý",
    "waiting_citizen": "Chờ bổ sung",
    "transferred": "Đã chuyển",
    "answered": "Đã trả lời",
    "closed": "Đã đóng",
    "not_actionable": "Không cần xử lý",
    "reopened": "Mở lại",
}
_COLUMNS = (
    Item.id,
    Item.created_time,
    Item.status,
    Item.due_at,
    Item.acknowledged_at,
    Item.answered_at,
    Item.closed_at,
    Item.urgent,
    *(getattr(Item, d) for d in DIMENSIONS),
)


@dataclass
class Tally:
    """Counts for one slice (the whole cohort, or one channel, category, ...)."""

    key: str | None = None
    received: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0

    def add(self, outcome: str) -> None:
        self.received += 1
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def on_time_rate(self) -> float | None:
        """Share of handled items that were handled on time (None when none was handled)."""
        handled = self.on_time + self.late
        return self.on_time / handled if handled else None


@dataclass(frozen=True)
class ListedItem:
    id: int
    received_at: datetime
    unit_id: str
    source: str
    category: str | None
    field: str | None
    department: str | None
    status: str
    urgent: bool
    due_at: datetime | None
    author: str
    excerpt: str
    outcome: str


@dataclass
class Report:
    period: Period
    unit_id: str | None
    generated_at: datetime
    totals: Tally = field(default_factory=Tally)
    by: dict[str, list[Tally]] = field(default_factory=dict)
    avg_ack_hours: float | None = None
    avg_answer_hours: float | None = None
    per_day: dict[date, Counter[str]] = field(default_factory=dict)
    overdue_items: list[ListedItem] = field(default_factory=list)
    urgent_items: list[ListedItem] = field(default_factory=list)
    unit_names: dict[str, str] = field(default_factory=dict)


def outcome(
    status: str, due_at: datetime | None, handled_at: datetime | None, now: datetime
) -> str:
    if status in OPEN_STATUSES:
        return "overdue" if due_at is not None and due_at < now else "open"
    if due_at is None or handled_at is None or handled_at <= due_at:
        return "on_time"
    return "late"


def build_report(
    session: Session,
    period: Period,
    now: datetime,
    unit_id: str | None = None,
    *,
    within: Collection[str] | None = None,
) -> Report:
    """All figures of the period for one unit, or every unit when ``unit_id`` is None.

    ``within`` limits the items to those units (a leader's own units); None means no limit.
    """
    start, end = period.bounds()
    query = select(*_COLUMNS).where(
        Item.by_page.is_(False), Item.created_time >= start, Item.created_time < end
    )
    if unit_id is not None:
        query = query.where(Item.unit_id == unit_id)
    if within is not None:
        query = query.where(Item.unit_id.in_(sorted(within)))
    report = Report(period, unit_id, now, per_day={d: Counter() for d in period.days()})
    slices: dict[str, dict[str | None, Tally]] = {d: {} for d in DIMENSIONS}
    ack: list[float] = []
    answer: list[float] = []
    overdue_ids: list[int] = []
    urgent_ids: list[int] = []
    for row in session.execute(query.order_by(Item.created_time, Item.id)).mappings():
        result = outcome(row["status"], row["due_at"], row["answered_at"] or row["closed_at"], now)
        report.totals.add(result)
        for dim in DIMENSIONS:
            slices[dim].setdefault(row[dim], Tally(row[dim])).add(result)
        _hours(ack, row["created_time"], row["acknowledged_at"])
        _hours(answer, row["created_time"], row["answered_at"])
        day = row["created_time"].astimezone(VIETNAM_TZ).date()
        report.per_day.setdefault(day, Counter())[row["category"] or ""] += 1
        if result == "overdue":
            overdue_ids.append(row["id"])
        if row["urgent"]:
            urgent_ids.append(row["id"])
    report.by = {dim: _sorted(slices[dim].values()) for dim in DIMENSIONS}
    report.avg_ack_hours = sum(ack) / len(ack) if ack else None
    report.avg_answer_hours = sum(answer) / len(answer) if answer else None
    report.overdue_items = listed(session, overdue_ids, now)
    report.urgent_items = listed(session, urgent_ids, now)
    report.unit_names = {u.id: u.name for u in session.scalars(select(Unit))}
    return report


def _hours(out: list[float], start: datetime, end: datetime | None) -> None:
    if end is not None:
        out.append(max((end - start).total_seconds(), 0.0) / 3600)


def _sorted(tallies: Iterable[Tally]) -> list[Tally]:
    return sorted(tallies, key=lambda t: (-t.received, t.key or "\uffff"))


def listed(session: Session, ids: Sequence[int], now: datetime) -> list[ListedItem]:
    """The items for the report's lists, denouncers masked (a report file travels: nobody is
    entitled in it, storage.visibility), oldest first."""
    out: list[ListedItem] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        items = list(session.scalars(select(Item).where(Item.id.in_(chunk))))
        shield = shield_for(session, items)
        out += [_listed(item, shield.guard(item), now) for item in items]
    return sorted(out, key=lambda i: (i.received_at, i.id))


def _listed(item: Item, guard: Guard | None, now: datetime) -> ListedItem:
    shown = reveal(item, guard, None, MASKED_AUTHOR)
    return ListedItem(
        id=item.id,
        received_at=item.created_time,
        unit_id=item.unit_id,
        source=item.source,
        category=item.category,
        field=item.field,
        department=item.department,
        status=item.status,
        urgent=item.urgent,
        due_at=item.due_at,
        author=shown.author_name or "",
        excerpt=excerpt(shown.text, 200),
        outcome=outcome(item.status, item.due_at, item.answered_at or item.closed_at, now),
    )


def summary_rows(report: Report) -> list[tuple[str, Any]]:
    """The summary table, in the order the leadership reads it (label, value)."""
    t = report.totals
    rate = t.on_time_rate
    return [
        ("Tổng số tiếp nhận", t.received),
        ("Đã xử lý đúng hạn", t.on_time),
        ("Đã xử lý trễ hạn", t.late),
        ("Đang xử lý, còn hạn", t.open),
        ("Quá hạn, chưa xử lý", t.overdue),
        ("Tỷ lệ xử lý đúng hạn (%)", None if rate is None else round(rate * 100, 1)),
        ("Thời gian tiếp nhận trung bình (giờ)", _round(report.avg_ack_hours)),
        ("Thời gian trả lời trung bình (giờ)", _round(report.avg_answer_hours)),
        ("Số phản ánh khẩn", len(report.urgent_items)),
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class Backlog:
    """Open items of one department right now, whenever they were received."""

    department: str | None
    open: int
    overdue: int


def open_backlog(
    session: Session, now: datetime, within: Collection[str] | None = None
) -> list[Backlog]:
    """Open citizen items per department, most loaded first."""
    overdue = func.sum(case((Item.due_at < now, 1), else_=0))
    query = (
        select(Item.department, func.count(), overdue)
        .where(Item.by_page.is_(False), Item.status.in_(OPEN_STATUSES))
        .group_by(Item.department)
    )
    if within is not None:
        query = query.where(Item.unit_id.in_(sorted(within)))
    rows = [Backlog(d, int(n), int(late or 0)) for d, n, late in session.execute(query).all()]
    return sorted(rows, key=lambda b: (-b.open, b.department or "\uffff"))
